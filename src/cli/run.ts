// The command line as a function: argv and the process's streams in, an exit code out. main.ts is
// its only caller in the bin; tests call it in-process.
import { commandHelp, fail, nearest, parseCommand, programHelp, type Exit, type Io } from './command.js'
import { COMMANDS, INTRO, OUTRO, PROGRAM } from './commands.js'
import { UsageError } from '../errors.js'
import { packageVersion } from '../paths.js'

const names = COMMANDS.map((c) => c.name)

function unknownCommand(word: string): UsageError {
  const near = nearest(word, names)
  return new UsageError(`unknown command ${JSON.stringify(word)}${near ? `; did you mean ${near}?` : ''}`)
}

/**
 * Runs one command line. Every failure becomes one line on stderr and exit 2 (1 is each command's
 * "found something"); a usage error also says where the help is. Never a stack trace.
 */
export async function runCli(argv: readonly string[], io: Io): Promise<Exit> {
  const [word, ...rest] = argv
  let command: string | undefined
  try {
    if (word === undefined || word === '-h' || word === '--help' || (word === 'help' && rest.length === 0)) {
      io.stdout.write(programHelp(COMMANDS, PROGRAM, INTRO, OUTRO))
      return 0
    }
    if (word === '--version') {
      io.stdout.write(`${packageVersion()}\n`)
      return 0
    }
    const name = word === 'help' ? rest[0]! : word
    const spec = COMMANDS.find((c) => c.name === name)
    if (spec === undefined) throw unknownCommand(name)
    command = spec.name
    if (word === 'help') {
      io.stdout.write(commandHelp(spec, PROGRAM))
      return 0
    }
    const parsed = parseCommand(spec, rest)
    if (parsed.help) {
      io.stdout.write(commandHelp(spec, PROGRAM))
      return 0
    }
    return await spec.run(parsed, io)
  } catch (e) {
    const where = e instanceof UsageError ? (e.command ?? command) : command
    fail(io, where, (e as Error).message)
    if (e instanceof UsageError) io.stderr.write(`Run ${PROGRAM}${where ? ` ${where}` : ''} --help for usage.\n`)
    return 2
  }
}
