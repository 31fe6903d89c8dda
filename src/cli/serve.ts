// `serve`: flags into a ServeConfig (server/serve.ts assembles and starts everything from it), and
// SIGTERM/SIGINT into the graceful shutdown sequence.
import { createLogger } from '../log.js'
import { startWebhook, type ServeConfig } from '../server/serve.js'
import { stringOf, type Io, type Output, type Parsed } from './command.js'
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

/** Fields every record has, left out of the terminal line (time, level and msg lead it). */
const PLAIN_HIDDEN = new Set(['time', 'level', 'msg', 'name', 'pid', 'hostname'])

const plainValue = (v: unknown): string => (typeof v === 'string' && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v))

/**
 * One JSON log record as a terminal line: `12:00:01 INFO  ephemeral-guard serving policy=default …`.
 * A line that is not a JSON object is passed on as it is.
 */
export function plainLine(json: string): string {
  let record: unknown
  try {
    record = JSON.parse(json)
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return `${json.trimEnd()}\n`
  const r = record as Record<string, unknown>
  const time = typeof r['time'] === 'string' ? r['time'].slice(11, 19) : ''
  const level = String(r['level'] ?? '').toUpperCase().padEnd(5)
  const fields = Object.entries(r).filter(([k]) => !PLAIN_HIDDEN.has(k)).map(([k, v]) => `${k}=${plainValue(v)}`)
  return `${[time, level, String(r['msg'] ?? ''), ...fields].filter((x) => x !== '').join(' ')}\n`
}

/** Where the logger writes: JSON lines, except on a terminal, where each record is one plain line. */
export function logDestination(stdout: Output): { write(line: string): void } | undefined {
  if (stdout.isTTY !== true) return undefined // the logger's own fast stdout destination
  return { write: (line: string) => { for (const l of line.split('\n')) if (l !== '') stdout.write(plainLine(l)) } }
}

/** EADDRINUSE names the flag that moves the listener. */
function addressInUse(e: unknown, ports: { port: number; metricsPort: number }): Error | undefined {
  const err = e as NodeJS.ErrnoException & { port?: number; address?: string }
  if (err === null || typeof err !== 'object' || err.code !== 'EADDRINUSE') return undefined
  const flags = [...(err.port === ports.port ? ['--port'] : []), ...(err.port === ports.metricsPort ? ['--metrics-port'] : [])]
  const where = err.address !== undefined && err.port !== undefined ? `${err.address.includes(':') ? `[${err.address}]` : err.address}:${err.port}` : 'the address'
  return new Error(`${where} is already in use (another ephemeral-guard, or another program); choose a free port with ${flags.length > 0 ? flags.join(' or ') : '--port or --metrics-port'}`)
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
  const clusterPolicies = values['cluster-policies'] === true
  if (clusterPolicies && policyFile !== undefined) throw new UsageError('--cluster-policies and --policy exclude each other: serve the cluster\'s policies or a file')
  const kubeconfig = stringOf(values, 'kubeconfig')
  const destination = logDestination(io.stdout)
  const logger = createLogger({ env: io.env, ...(destination !== undefined ? { destination } : {}) })
  const webhook = await startWebhook({
    host: flag('host'),
    port,
    ops: { host: flag('metrics-host'), port: metricsPort },
    tls: tlsSource(values),
    tlsReloadIntervalMs,
    maxConnections,
    handshakeTimeoutMs,
    ...(policyFile !== undefined ? { policyFile } : {}),
    ...(clusterPolicies ? { clusterPolicies } : {}),
    ...(kubeconfig !== undefined ? { kubeconfig } : {}),
    env: io.env,
    logger,
  }).catch((e: unknown) => {
    throw addressInUse(e, { port, metricsPort }) ?? e
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
