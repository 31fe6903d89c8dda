// Errors that mean "the command line was wrong": printed with a pointer to the command's --help, exit 2.
export class UsageError extends Error {
  override readonly name = 'UsageError'
  /** The command whose --help the message points at; undefined for the top level. */
  readonly command: string | undefined
  constructor(message: string, command?: string) {
    super(message)
    this.command = command
  }
}

export function parsePort(flag: string, value: string | undefined): number {
  const port = Number(value)
  if (value === undefined || value === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${flag} must be a port number, got ${value}`)
  }
  return port
}
