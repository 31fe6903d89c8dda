import pino, { type DestinationStream, type Logger } from 'pino'

/**
 * The one logger. JSON lines with ISO times. Admission objects are never logged (env values can be
 * secrets); the redact paths are a second guard should one ever be passed by mistake.
 */
export function createLogger(options: { level?: string; destination?: DestinationStream; env?: Readonly<Record<string, string | undefined>> } = {}): Logger {
  return pino(
    {
      name: 'ephemeral-guard',
      level: options.level ?? (options.env ?? process.env)['LOG_LEVEL'] ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['object', 'oldObject', '*.object', '*.oldObject', 'request.object', 'request.oldObject'], censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  )
}
