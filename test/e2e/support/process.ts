// Child processes for the e2e suite: one-shot commands with a deadline, and long-running servers
// (the harness, ephemeral-guard) that stop by themselves whatever happens to the test process.
import { spawn } from 'node:child_process'
import { basename } from 'node:path'
import { trackProcess, untrackProcess } from './network-guard.js'

export interface RunResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a command to completion, feeding `input` on stdin; killed (SIGKILL) after `timeoutMs`. */
export function run(command: string, args: readonly string[], o: { input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: o.cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000)
    child.on('error', (e) => { clearTimeout(timer); reject(e) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })
    })
    child.stdin.on('error', () => {}) // a command that exits without reading its input
    child.stdin.end(o.input ?? '')
  })
}

// The guard runs "$@" with its stdin from /dev/null and, beside it, a watcher blocked on the guard's
// own stdin, a pipe from this process. The pipe closes when stop() ends it or when this process dies,
// however it dies (even SIGKILL), and the watcher then sends SIGTERM. `timeout` bounds the lifetime
// as a last resort and follows any SIGTERM with SIGKILL after KILL_AFTER_S seconds.
// (A non-interactive shell gives background jobs /dev/null as stdin, hence the copy on fd 3.)
const KILL_AFTER_S = 10
const GUARD = `exec 3<&0
timeout --kill-after=${KILL_AFTER_S} "$@" </dev/null &
child=$!
{ cat <&3; kill -TERM "$child"; } >/dev/null 2>&1 &
exec 3<&-
wait "$child"`

export interface Service {
  readonly pid: number
  /** Resolves with the exit code (or 128 + signal number, as a shell reports it) when the process ends. */
  readonly exited: Promise<number>
  readonly stdout: () => string
  readonly stderr: () => string
  /** Called with each complete stdout line. */
  onLine(listener: (line: string) => void): void
  /** Sends SIGTERM (through the guard) and waits for the exit code. */
  stop(): Promise<number>
}

/** Starts a long-running command that ends when stop() is called, when this process dies, or after maxSeconds. */
export function startService(command: string, args: readonly string[], o: { maxSeconds: number; cwd?: string; env?: NodeJS.ProcessEnv }): Service {
  const child = spawn('sh', ['-c', GUARD, 'guard', `${o.maxSeconds}`, command, ...args], { cwd: o.cwd, env: o.env, stdio: ['pipe', 'pipe', 'pipe'] })
  if (child.pid === undefined) throw new Error(`cannot start ${command}`)
  // Its sockets, and those of everything below it, are checked by the network guard.
  const pid = child.pid
  trackProcess(pid, basename(command))
  let out = ''
  let err = ''
  let partial = ''
  const listeners: Array<(line: string) => void> = []
  child.stdout.on('data', (c: Buffer) => {
    const text = c.toString('utf8')
    out += text
    partial += text
    const lines = partial.split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) for (const l of listeners) l(line)
  })
  child.stderr.on('data', (c: Buffer) => { err += c.toString('utf8') })
  child.stdin.on('error', () => {})
  const exited = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => {
      untrackProcess(pid)
      resolve(code ?? 128 + (signal === null ? 0 : signalNumber(signal)))
    })
  })
  return {
    pid: child.pid,
    exited,
    stdout: () => out,
    stderr: () => err,
    onLine: (l) => { listeners.push(l) },
    stop: () => {
      child.stdin.end()
      return exited
    },
  }
}

const signalNumber = (s: NodeJS.Signals): number => ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Partial<Record<NodeJS.Signals, number>>)[s] ?? 0

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Calls `attempt` until it returns a value other than undefined, or throws with `what` after `timeoutMs`. */
export async function poll<T>(what: string, attempt: () => Promise<T | undefined>, o: { timeoutMs?: number; intervalMs?: number; last?: () => string } = {}): Promise<T> {
  const deadline = Date.now() + (o.timeoutMs ?? 30_000)
  for (;;) {
    const v = await attempt()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${o.last ? `; last: ${o.last()}` : ''}`)
    await sleep(o.intervalMs ?? 200)
  }
}

/**
 * `node ARGS` in a clean environment, as an admin would run it: tap's process tracking injects its
 * loader into every child through NODE_OPTIONS (which more than doubles the child's memory and time);
 * `env -i` drops it.
 */
export const cleanNode = (args: readonly string[]): [string, string[]] =>
  ['env', ['-i', `PATH=${process.env['PATH'] ?? ''}`, `HOME=${process.env['HOME'] ?? ''}`, process.execPath, ...args]]
