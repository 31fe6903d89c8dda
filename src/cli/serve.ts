// `serve`: the HTTPS webhook, with the policy and certificates watched, metrics and probes on the
// operations port, and the graceful shutdown sequence on SIGTERM/SIGINT.
import { createLogger } from '../log.js'
import { packageVersion } from '../paths.js'
import { defaultPolicy } from '../policy/default.js'
import { type Policy } from '../decision/types.js'
import { PolicyWatcher } from '../policy/watch.js'
import { startServer } from '../server/listen.js'
import { Metrics } from '../server/metrics.js'
import { createAdmitContext } from '../cluster/context.js'
import { stringOf, type Io, type Parsed } from './command.js'
import { parsePort, UsageError } from './usage.js'

/** How often serve re-reads --policy. Kubelet updates a mounted ConfigMap within about a minute. */
const POLICY_POLL_MS = 2000

/** A non-negative number of seconds (decimals allowed), in milliseconds. */
function parseSeconds(flag: string, value: string): number {
  const seconds = Number(value)
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0 || seconds > 3600) {
    throw new UsageError(`${flag} must be a number of seconds from 0 to 3600, got ${value}`)
  }
  return Math.round(seconds * 1000)
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
  const logger = createLogger({ env: io.env })
  const metrics = new Metrics({ version: packageVersion() })
  const file = stringOf(values, 'policy')
  let policy: () => Policy = () => defaultPolicy
  let status = (): Record<string, unknown> => ({ policy: { name: defaultPolicy.name, hash: defaultPolicy.hash, source: 'built-in' } })
  let watcher: PolicyWatcher | undefined
  if (file !== undefined) {
    const w = PolicyWatcher.open(file, logger)
    w.onReload((e) => {
      metrics.policyReload(e.result)
      if (e.result === 'success') metrics.policyInForce(e.policy) // a failure keeps the policy in force
    })
    w.start(POLICY_POLL_MS)
    policy = w.current
    status = () => ({ policy: w.status() })
    watcher = w
  }
  metrics.policyInForce(policy())
  let certFile = stringOf(values, 'tls-cert')
  let keyFile = stringOf(values, 'tls-key')
  const devCerts = stringOf(values, 'dev-certs')
  if (devCerts !== undefined && certFile === undefined && keyFile === undefined) {
    const { ensureDevCertificates } = await import('../certs/generate.js') // loaded only when needed
    const dev = await ensureDevCertificates(devCerts)
    certFile = dev.certFile
    keyFile = dev.keyFile
    logger.info({ certFile, keyFile, caBundle: dev.caFile, created: dev.created },
      dev.created ? 'created development certificates; trust the CA bundle to call the webhook' : 'using development certificates')
  }
  if (certFile === undefined || keyFile === undefined) throw new UsageError('needs --tls-cert and --tls-key (or --dev-certs DIR for development)')
  const clientCaFile = stringOf(values, 'client-ca')
  const kubeconfig = stringOf(values, 'kubeconfig')
  const context = await createAdmitContext({ logger, env: io.env, ...(kubeconfig !== undefined ? { kubeconfig } : {}) })
  const policyStatus = status
  // /readyz shows the namespace cache too; it stays ready while the cache syncs or retries, since
  // only the Pod Security fit of the (failurePolicy Ignore) mutating webhook depends on it.
  if (context.namespaceCache) status = () => ({ ...policyStatus(), namespaceCache: context.namespaceCache!() })
  const server = await startServer({
    host: flag('host'),
    port,
    tls: { certFile, keyFile, ...(clientCaFile !== undefined ? { clientCaFile } : {}) },
    tlsReloadIntervalMs,
    policy,
    context,
    status,
    logger,
    metrics,
    ops: { host: flag('metrics-host'), port: metricsPort },
  })
  const { serialNumber, notAfter } = server.certificates.material.certificate
  logger.info({
    addresses: server.app.addresses(),
    metricsHost: server.ops?.address.address,
    metricsPort: server.ops?.address.port,
    clientCertificates: clientCaFile !== undefined ? 'required' : 'not requested',
    certificate: { serialNumber, notAfter: notAfter.toISOString() },
    policy: policy().name,
    hash: policy().hash,
  }, 'ephemeral-guard serving')

  // SIGTERM (the kubelet): the shutdown sequence. SIGINT (Ctrl-C) or a second signal: the same
  // without what is left of the delay; in-flight requests still drain.
  const hurry = new AbortController()
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping || signal === 'SIGINT') {
      if (!hurry.signal.aborted) logger.info({ signal }, 'skipping the rest of the shutdown delay')
      hurry.abort()
    }
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    watcher?.stop()
    void context.stop()
    server.shutdown({ delayMs, drainTimeoutMs, hurry: hurry.signal }).then(
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
