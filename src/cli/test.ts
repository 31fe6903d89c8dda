// `test [DIR|FILE]...`: runs policy test files (*.test.yaml) and prints the results.
import { readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { UsageError } from '../errors.js'
import type { LoadedPolicy } from '../policy/load.js'
import { loadTestFile, runCase, type CaseResult } from '../verify/cases.js'
import { formatJson, formatJunit, formatTable } from '../verify/format.js'
import { stringOf, type Io, type Parsed } from './command.js'

const TEST_FILE = /\.test\.ya?ml$/

/** Test files under `path` (itself when a file), sorted; node_modules and dot-directories skipped. */
export function testFiles(path: string): string[] {
  let stat
  try {
    stat = statSync(path)
  } catch {
    throw new UsageError(`${path}: no such file or directory`)
  }
  if (stat.isFile()) return [path]
  const out: string[] = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue
      const p = join(dir, entry.name)
      if (entry.isDirectory()) walk(p)
      else if (TEST_FILE.test(entry.name)) out.push(p)
    }
  }
  walk(path)
  return out
}

export function testCommand({ values, positionals }: Parsed, io: Io): number {
  const output = stringOf(values, 'output') ?? 'table'
  if (output !== 'table' && output !== 'json' && output !== 'junit') throw new UsageError(`-o must be table, json or junit, got ${output}`)
  const roots = positionals.length === 0 ? ['.'] : positionals
  const files = roots.flatMap((r) => testFiles(resolve(r)))
  if (files.length === 0) throw new UsageError(`no test files (*.test.yaml) in ${roots.join(', ')}`)
  // Every file is read before any case runs: a malformed file stops the run (exit 2), naming the field.
  const cases = files.flatMap((f) => loadTestFile(f))
  const policies = new Map<string, LoadedPolicy>()
  const results: CaseResult[] = cases.map((c) => runCase(c, policies))
  const cwd = process.cwd()
  io.stdout.write(output === 'json' ? formatJson(results) : output === 'junit' ? formatJunit(results, cwd) : formatTable(results, cwd))
  return results.every((r) => r.passed) ? 0 : 1
}
