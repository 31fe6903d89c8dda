#!/usr/bin/env node
// The bin: the command line of src/cli/run.ts with this process's streams; the only place that reads
// process.argv and sets the exit code.
import { runCli } from './cli/run.js'

runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => { if (code !== undefined) process.exitCode = code },
  (e: unknown) => {
    process.stderr.write(`ephemeral-guard: ${(e as Error).message}\n`)
    process.exitCode = 2
  },
)
