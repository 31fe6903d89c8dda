// Commands declared as data: each command's options, help text and examples live in one table
// (commands.ts) that both parses the command line and prints help, so the two cannot drift. A
// command's implementation is loaded only when it runs: `--help` and `--version` load none of them.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from '../errors.js'

/** Where a command writes: process.stdout/stderr in the bin, a buffer in tests. */
export interface Output {
  write(chunk: string): unknown
  readonly isTTY?: boolean
}

/** What a command may touch of its process; it never reads `process` itself (serve's signals aside). */
export interface Io {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean }
  readonly stdout: Output
  readonly stderr: Output
  readonly env: Readonly<Record<string, string | undefined>>
}

/** One flag. `value` names its argument in help (absent for booleans). */
export interface OptionSpec {
  readonly type: 'string' | 'boolean'
  readonly short?: string
  readonly value?: string
  readonly default?: string
  /** May be given more than once (kubectl's --as-group); its value is then a list. */
  readonly multiple?: boolean
  readonly help: string
}

export type Values = Readonly<Record<string, string | boolean | readonly string[] | undefined>>

export interface Parsed {
  readonly values: Values
  readonly positionals: readonly string[]
}

/**
 * What a command returns: its exit code, or undefined when it keeps running (serve), in which case
 * the process ends on its own terms.
 */
export type Exit = number | undefined

export interface CommandSpec {
  readonly name: string
  /** One line for the command list. */
  readonly summary: string
  /** The synopsis after the command name, e.g. `[--policy FILE] [FILE|-]`. */
  readonly synopsis: string
  /** Paragraphs printed by `<command> --help`, after the options. */
  readonly description: string
  readonly options: Readonly<Record<string, OptionSpec>>
  /** Whole command lines, each shown as is. */
  readonly examples: readonly string[]
  readonly allowPositionals: boolean
  /** Loads and runs the implementation. */
  readonly run: (parsed: Parsed, io: Io) => Promise<Exit>
}

/** Levenshtein distance, for "did you mean": names are short, so the quadratic table is fine. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = row
  }
  return prev[b.length]!
}

/** The candidate closest to `word` (a prefix of it counts as close), if any is close enough to suggest. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined
  for (const c of candidates) {
    const d = c.startsWith(word) && word.length >= 3 ? 1 : editDistance(word, c)
    if (best === undefined || d < best.d) best = { name: c, d }
  }
  return best !== undefined && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.name : undefined
}

const flagsOf = (spec: CommandSpec): string[] => ['help', ...Object.keys(spec.options)].map((n) => `--${n}`)

/** Parses `args` against the command's table; unknown flags name the nearest known one. */
export function parseCommand(spec: CommandSpec, args: readonly string[]): Parsed & { help: boolean } {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } }
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.default !== undefined ? { default: o.default } : {}), ...(o.multiple ? { multiple: true } : {}) }
  }
  try {
    const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: spec.allowPositionals, strict: true })
    const { help, ...rest } = values as Record<string, string | boolean | string[] | undefined>
    return { values: rest, positionals, help: help === true }
  } catch (e) {
    throw new UsageError(usageMessage(spec, e as Error & { code?: string }), spec.name)
  }
}

function usageMessage(spec: CommandSpec, e: Error & { code?: string }): string {
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'(-[^']*)'/.exec(e.message)?.[1] ?? ''
    const name = flag.replace(/=.*$/, '')
    const near = name.startsWith('--') ? nearest(name, flagsOf(spec)) : undefined
    return `unknown option ${name}${near ? `; did you mean ${near}?` : ''}`
  }
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']*)'/.exec(e.message)?.[1]
    return `unexpected argument${arg === undefined ? '' : ` ${JSON.stringify(arg)}`}: ${spec.name} takes only flags`
  }
  return e.message.replace(/\. To specify.*$/s, '')
}

/** `-n, --namespace NS` as shown in help. */
const flagText = (name: string, o: OptionSpec): string =>
  `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`

/** `<command> --help`: synopsis, options with their defaults, description, examples. */
export function commandHelp(spec: CommandSpec, program: string): string {
  const rows = Object.entries(spec.options).map(([name, o]) => [flagText(name, o), `${o.help}${o.default !== undefined ? ` (default ${o.default})` : ''}`] as const)
  rows.push(['-h, --help', 'this help'])
  const width = Math.min(32, Math.max(...rows.map(([f]) => f.length)))
  const lines = [`${program} ${spec.name}: ${spec.summary}`, '', 'Usage:', `  ${program} ${spec.name} ${spec.synopsis}`.trimEnd(), '', 'Options:']
  for (const [flag, help] of rows) lines.push(flag.length > width ? `  ${flag}\n  ${' '.repeat(width)}  ${help}` : `  ${flag.padEnd(width)}  ${help}`)
  lines.push('', spec.description.trimEnd())
  if (spec.examples.length > 0) lines.push('', 'Examples:', ...spec.examples.map((x) => `  ${x}`))
  return `${lines.join('\n')}\n`
}

/** Top-level help: every command's synopsis and summary, generated from the same table. */
export function programHelp(specs: readonly CommandSpec[], program: string, intro: string, outro: string): string {
  const width = Math.max(...specs.map((s) => s.name.length))
  return [
    intro,
    '',
    'Usage:',
    ...specs.map((s) => `  ${program} ${s.name} ${s.synopsis}`.trimEnd()),
    `  ${program} --help | --version`,
    '',
    'Commands:',
    ...specs.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`),
    '',
    `Run '${program} <command> --help' for a command's options and examples.`,
    '',
    outro.trimEnd(),
    '',
  ].join('\n')
}

/** A string flag's value (parseArgs has checked its type against the table). */
export const stringOf = (values: Values, name: string): string | undefined => {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

/** A repeatable string flag's values, in order (none: empty). */
export const listOf = (values: Values, name: string): readonly string[] => {
  const v = values[name]
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : []
}

/** A boolean flag's value. */
export const flagOf = (values: Values, name: string): boolean => values[name] === true

/**
 * The one format of every CLI error: `ephemeral-guard[ <command>]: <message>` on stderr (a policy's
 * problems follow on indented lines, as PolicyError's message has them); returns exit 2.
 */
export function fail(io: Io, command: string | undefined, message: string): 2 {
  io.stderr.write(`ephemeral-guard${command === undefined ? '' : ` ${command}`}: ${message}\n`)
  return 2
}
