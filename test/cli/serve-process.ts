// `node dist/main.js serve` in a child process, as a user (or a container) runs it: its JSON log lines
// parsed, its ports read from the "ephemeral-guard serving" line.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'

export const BIN = new URL('../../dist/main.js', import.meta.url).pathname

export type LogRecord = Record<string, unknown> & { msg?: string }

export interface ServeProcess {
  readonly child: ChildProcessWithoutNullStreams
  readonly logs: LogRecord[]
  readonly port: number
  readonly metricsPort: number
  readonly url: string
  readonly opsUrl: string
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number | null>
  stderr(): string
}

/**
 * Starts serve with `args` (host 127.0.0.1, ports chosen by the OS unless given) and waits for its
 * "ephemeral-guard serving" line. Killed with SIGKILL after `maxMs` whatever happens.
 */
export async function startServe(args: string[], o: { maxMs?: number } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--metrics-host', '127.0.0.1', '--metrics-port', '0', ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  const kill = setTimeout(() => child.kill('SIGKILL'), o.maxMs ?? 60_000)
  const logs: LogRecord[] = []
  let partial = ''
  let err = ''
  child.stdout.on('data', (c: Buffer) => {
    partial += c.toString('utf8')
    const lines = partial.split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) if (line.trim() !== '') logs.push(JSON.parse(line) as LogRecord)
  })
  child.stderr.on('data', (c: Buffer) => { err += c.toString('utf8') })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { clearTimeout(kill); resolve(code) }))
  const serving = await new Promise<LogRecord>((resolve, reject) => {
    const poll = setInterval(() => {
      const line = logs.find((r) => r.msg === 'ephemeral-guard serving')
      if (line) { clearInterval(poll); resolve(line) }
    }, 20)
    void exited.then((code) => { clearInterval(poll); reject(new Error(`serve exited (${code}) before serving: ${err}`)) })
  })
  const port = (serving['addresses'] as Array<{ port: number }>)[0]!.port
  const metricsPort = serving['metricsPort'] as number
  return { child, logs, port, metricsPort, url: `https://127.0.0.1:${port}`, opsUrl: `http://127.0.0.1:${metricsPort}`, exited, stderr: () => err }
}

/** Polls `attempt` every 50 ms until it returns true; throws after `timeoutMs`. */
export async function eventually(what: string, attempt: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await attempt())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
