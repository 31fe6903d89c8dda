// The command line in-process: runCli with buffers for stdout and stderr and a string (or nothing)
// for standard input, as the bin would see them.
import { Readable } from 'node:stream'
import type { Io, Output } from '../../src/cli/command.js'
import { runCli } from '../../src/cli/run.js'

export interface CliResult {
  /** The exit code; undefined when the command keeps running (serve). */
  readonly status: number | undefined
  readonly stdout: string
  readonly stderr: string
}

class Buffer implements Output {
  text = ''
  constructor(readonly isTTY = false) {}
  write(chunk: string): boolean {
    this.text += chunk
    return true
  }
}

export interface CliOptions {
  /** Standard input; absent: an empty stream, or a terminal with `stdinTTY`. */
  readonly input?: string
  readonly stdinTTY?: boolean
  readonly stdoutTTY?: boolean
  readonly env?: Readonly<Record<string, string | undefined>>
}

export async function cli(argv: readonly string[], o: CliOptions = {}): Promise<CliResult> {
  const stdin = Object.assign(Readable.from(o.input === undefined ? [] : [o.input]), { isTTY: o.stdinTTY === true })
  const stdout = new Buffer(o.stdoutTTY === true)
  const stderr = new Buffer()
  const io: Io = { stdin, stdout, stderr, env: o.env ?? {} }
  const status = await runCli(argv, io)
  return { status, stdout: stdout.text, stderr: stderr.text }
}
