// Errors that mean "the command line was wrong": main.ts prints them with a pointer to --help, exit 2.
export class UsageError extends Error {}

export function parsePort(flag: string, value: string | undefined): number {
  const port = Number(value)
  if (value === undefined || value === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${flag} must be a port number, got ${value}`)
  }
  return port
}
