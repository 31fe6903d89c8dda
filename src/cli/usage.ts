// Reading the command line: a wrong one throws UsageError (src/errors.ts), printed with a pointer to
// the command's --help, exit 2.
import { UsageError } from '../errors.js'


export function parsePort(flag: string, value: string | undefined): number {
  const port = Number(value)
  if (value === undefined || value === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${flag} must be a port number, got ${value}`)
  }
  return port
}
