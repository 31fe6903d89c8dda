// `serve`: flags into a ServeConfig (server/serve.ts assembles and starts everything from it), and
// SIGTERM/SIGINT into the graceful shutdown sequence.
import { createLogger } from '../log.js'
import { startWebhook, type ServeConfig } from '../server/serve.js'
import { stringOf, type Io, type Parsed } from './command.js'
import { parsePort } from './usage.js'
import { UsageError } from '../errors.js'

/** A non-negative number of seconds (decimals allowed), in milliseconds. */
function parseSeconds(flag: string, value: string): number {
  const seconds = Number(value)
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0 || seconds > 3600) {
    throw new UsageError(`${flag} must be a number of seconds from 0 to 3600, got ${value}`)
  }
  return Math.round(seconds * 1000)
}

/** A whole number of connections from 1 to 65536. */
function parseConnections(flag: string, value: string): number {
  const n = Number(value)
  if (!/^[0-9]+$/.test(value) || n < 1 || n > 65536) throw new UsageError(`${flag} must be a whole number from 1 to 65536, got ${value}`)
  return n
}

/** --tls-cert and --tls-key, or --dev-certs DIR when neither is given; --client-ca with either. */
function tlsSource(values: Parsed['values']): ServeConfig['tls'] {
  const certFile = stringOf(values, 'tls-cert')
  const keyFile = stringOf(values, 'tls-key')
  const devCerts = stringOf(values, 'dev-certs')
  const clientCaFile = stringOf(values, 'client-ca')
  const clientCa = clientCaFile !== undefined ? { clientCaFile } : {}
  if (devCerts !== undefined && certFile === undefined && keyFile === undefined) return { devCerts, ...clientCa }
  if (certFile === undefined || keyFile === undefined) throw new UsageError('needs --tls-cert and --tls-key (or --dev-certs DIR for development)')
  return { certFile, keyFile, ...clientCa }
}

/**
 * Starts serving and returns undefined: the process then runs until a signal ends it (the one place
 * besides main.ts that ends the process, after the shutdown sequence).
 */
export async function serve({ values }: Parsed, io: Io): Promise<undefined> {
  // Every flag with a default in the command table is present.
  const flag = (name: string): string => stringOf(values, name)!
  const port = parsePort('--port', flag('port'))
  const metricsPort = parsePort('--metrics-port', flag('metrics-port'))
  const tlsReloadIntervalMs = parseSeconds('--tls-reload-interval', flag('tls-reload-interval'))
  const delayMs = parseSeconds('--shutdown-delay', flag('shutdown-delay'))
  const drainTimeoutMs = parseSeconds('--drain-timeout', flag('drain-timeout'))
  const maxConnections = parseConnections('--max-connections', flag('max-connections'))
  const handshakeTimeoutMs = parseSeconds('--tls-handshake-timeout', flag('tls-handshake-timeout'))
  if (handshakeTimeoutMs === 0) throw new UsageError('--tls-handshake-timeout must be more than 0 seconds')
  const policyFile = stringOf(values, 'policy')
  const kubeconfig = stringOf(values, 'kubeconfig')
  const logger = createLogger({ env: io.env })
  const webhook = await startWebhook({
    host: flag('host'),
    port,
    ops: { host: flag('metrics-host'), port: metricsPort },
    tls: tlsSource(values),
    tlsReloadIntervalMs,
    maxConnections,
    handshakeTimeoutMs,
    ...(policyFile !== undefined ? { policyFile } : {}),
    ...(kubeconfig !== undefined ? { kubeconfig } : {}),
    env: io.env,
    logger,
  })

  // SIGTERM (the kubelet): the shutdown sequence. SIGINT (Ctrl-C) or a second signal: the same
  // without what is left of the delay; in-flight requests still drain.
  const hurry = new AbortController()
  const stopping = new AbortController()
  const stop = (signal: string): void => {
    if (stopping.signal.aborted || signal === 'SIGINT') {
      if (!hurry.signal.aborted) logger.info({ signal }, 'skipping the rest of the shutdown delay')
      hurry.abort()
    }
    if (stopping.signal.aborted) return
    stopping.abort()
    logger.info({ signal }, 'shutting down')
    webhook.stop({ delayMs, drainTimeoutMs, hurry: hurry.signal }).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  return undefined
}
