// Starts the webhook: TLS from files (reloaded on change), the HTTPS listener, the operations port
// (metrics and probes), and the graceful shutdown sequence. server/serve.ts assembles serve around it
// (policy source, certificates, cluster context); cli/serve.ts wires flags and signals to that.
import type { Server } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { DecisionContext } from '../decision/types.js'
import type { Policy } from '../decision/types.js'
import { buildApp, type AppOptions } from './app.js'
import type { GrantAccess } from './grant-webhook.js'
import type { Metrics } from './metrics.js'
import { startOpsServer, type OpsServer } from './ops-server.js'
import { CertificateReloader, DEFAULT_TLS_RELOAD_INTERVAL_MS, loadTlsMaterial, serverTlsOptions, type SecureContextTarget, type TlsFiles, type TlsMaterial } from './tls-reload.js'


export interface ServeOptions {
  readonly host: string
  readonly port: number
  readonly tls: TlsFiles
  /** Milliseconds between re-reads of the certificate files; 0 never re-reads. Default 10 s. */
  readonly tlsReloadIntervalMs?: number
  /** The policy in force, read once per request. */
  readonly policy: () => Policy
  /** Names the policies in force in the decision log line (AppOptions.policyLabel). */
  readonly policyLabel?: (policy: Policy) => string
  /** Why the replica is not ready yet, though not shutting down; undefined when it is. */
  readonly notReady?: () => string | undefined
  /** The cluster's servable policies that define spec.mutations (the policy webhook's view). */
  readonly mutationsHolders?: AppOptions['mutationsHolders']
  readonly context?: DecisionContext
  readonly status?: () => Record<string, unknown>
  readonly logger: Logger
  /** Counts decisions, certificate reloads; also served on the operations port. */
  readonly metrics?: Metrics
  /** The plain-HTTP operations port: GET /metrics (with metrics), /healthz, /readyz. */
  readonly ops?: { readonly host: string; readonly port: number }
  /** Open connections the HTTPS port keeps at once; more are closed as they arrive. Default 512. */
  readonly maxConnections?: number
  /** Milliseconds a connection has to complete the TLS handshake, counted from accept. Default 10 s. */
  readonly handshakeTimeoutMs?: number
  /** The grant webhook's access to the API server (approval checks); none offline. */
  readonly grants?: GrantAccess
}

/** The API servers hold a few keep-alive connections each; 512 leaves ample room and bounds memory. */
export const DEFAULT_MAX_CONNECTIONS = 512
/** A TLS handshake takes milliseconds; Node's own default (120 s) lets silent sockets pile up. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000
/** Prometheus and the kubelet's probes need a handful of connections on the operations port. */
export const OPS_MAX_CONNECTIONS = 64
/** A refused connection is logged at most this often (a flood must not flood the log). */
const DROP_LOG_INTERVAL_MS = 60_000

/**
 * Connections beyond `limit` are closed as they arrive (net.Server.maxConnections: Node accepts and
 * destroys them at once, and emits 'drop'); the first of each minute is logged with a count.
 */
function limitConnections(server: Server, limit: number, port: string, logger: Logger): void {
  server.maxConnections = limit
  let dropped = 0
  let lastLog: number | undefined
  server.on('drop', () => {
    dropped++
    const now = Date.now()
    if (lastLog !== undefined && now - lastLog < DROP_LOG_INTERVAL_MS) return
    lastLog = now
    logger.warn({ port, maxConnections: limit, dropped }, 'connection limit reached: closing new connections')
    dropped = 0
  })
}

export interface ShutdownOptions {
  /** How long to keep answering after readiness fails, while endpoints drop this replica. */
  readonly delayMs: number
  /** How long in-flight requests may take once the listener is closed; then connections are cut. */
  readonly drainTimeoutMs: number
  /** Aborting it ends the delay early (a second signal). */
  readonly hurry?: AbortSignal
}

export interface ShutdownReport {
  /** True if connections were still open at the drain timeout and had to be cut. */
  readonly forced: boolean
}

export interface RunningServer {
  readonly app: FastifyInstance
  readonly certificates: CertificateReloader
  readonly ops?: OpsServer
  /** False from the moment shutdown begins. */
  readonly ready: () => boolean
  /**
   * The shutdown sequence: readiness fails at once (both ports); requests are still answered for
   * delayMs, each with `Connection: close` so clients reconnect elsewhere; then the listener closes,
   * idle connections are closed, in-flight requests finish (cut after drainTimeoutMs), and the
   * operations port closes last.
   */
  shutdown(o: ShutdownOptions): Promise<ShutdownReport>
}

/** Certificate facts into metrics, at start and on every reload. */
function recordCertificate(metrics: Metrics, m: TlsMaterial): void {
  metrics.certificateInUse('serving', m.certificate.notAfter)
  if (m.clientCaNotAfter) metrics.certificateInUse('client-ca', m.clientCaNotAfter)
}

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const material = loadTlsMaterial(o.tls) // throws TlsMaterialError: serve refuses to start
  let shuttingDown = false
  const ready = (): boolean => !shuttingDown
  // /readyz and the operations port's /readyz show the serving certificate and a failed reload.
  const status = (): Record<string, unknown> => ({ ...o.status?.(), certificate: certificates.status() })
  const app = buildApp({
    logger: o.logger,
    policy: o.policy,
    ...(o.policyLabel ? { policyLabel: o.policyLabel } : {}),
    ...(o.notReady ? { notReady: o.notReady } : {}),
    ...(o.mutationsHolders ? { mutationsHolders: o.mutationsHolders } : {}),
    ...(o.context ? { context: o.context } : {}),
    status,
    ...(o.metrics ? { metrics: o.metrics } : {}),
    ...(o.grants ? { grants: o.grants } : {}),
    ready,
    // handshakeTimeout counts from accept and is not reset by incoming bytes, so a client that
    // trickles a ClientHello is cut as surely as a silent one.
    https: { ...serverTlsOptions(material), handshakeTimeout: o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS },
  })
  limitConnections(app.server, o.maxConnections ?? DEFAULT_MAX_CONNECTIONS, 'https', o.logger)
  const certificates = new CertificateReloader(app.server as unknown as SecureContextTarget, o.tls, material, o.logger)
  const { metrics } = o
  if (metrics) {
    recordCertificate(metrics, material)
    certificates.onReload((e) => {
      metrics.certificateReload(e.result)
      if (e.result === 'success') recordCertificate(metrics, e.material)
    })
  }
  await app.listen({ host: o.host, port: o.port })
  let ops: OpsServer | undefined
  try {
    if (o.ops) {
      ops = await startOpsServer({ ...o.ops, ...(metrics ? { metrics } : {}), logger: o.logger, ready, status, ...(o.notReady ? { notReady: o.notReady } : {}) })
      limitConnections(ops.server, OPS_MAX_CONNECTIONS, 'operations', o.logger)
    }
  } catch (e) {
    await app.close()
    throw e
  }
  const interval = o.tlsReloadIntervalMs ?? DEFAULT_TLS_RELOAD_INTERVAL_MS
  if (interval > 0) certificates.start(interval)

  const shutdown = async (s: ShutdownOptions): Promise<ShutdownReport> => {
    shuttingDown = true
    const started = Date.now()
    o.logger.info({ delayMs: s.delayMs, drainTimeoutMs: s.drainTimeoutMs }, 'shutting down: not ready; still answering during the delay')
    await sleep(s.delayMs, undefined, s.hurry ? { signal: s.hurry } : {}).catch(() => undefined)
    certificates.stop()
    o.logger.info({ afterMs: Date.now() - started }, 'closing the listener; draining in-flight requests')
    let forced = false
    const cut = setTimeout(() => {
      forced = true
      o.logger.warn({ drainTimeoutMs: s.drainTimeoutMs }, 'drain timeout: closing the connections still open')
      app.server.closeAllConnections()
    }, s.drainTimeoutMs)
    await app.close()
    clearTimeout(cut)
    await ops?.close()
    o.logger.info({ afterMs: Date.now() - started, forced }, 'stopped')
    return { forced }
  }
  return { app, certificates, ...(ops ? { ops } : {}), ready, shutdown }
}
