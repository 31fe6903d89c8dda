// `serve`: the HTTPS webhook, with the policy watched and signals handled.
import { parseArgs } from 'node:util'
import { createLogger } from '../log.js'
import { defaultPolicy, type Policy } from '../policy.js'
import { PolicyWatcher } from '../policy/watch.js'
import { startServer } from '../server/listen.js'
import { createAdmitContext } from '../kube/context.js'
import { parsePort, UsageError } from './usage.js'

/** How often serve re-reads --policy. Kubelet updates a mounted ConfigMap within about a minute. */
const POLICY_POLL_MS = 2000

export async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '8443' },
      host: { type: 'string', default: '0.0.0.0' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'dev-certs': { type: 'string' },
      policy: { type: 'string' },
      kubeconfig: { type: 'string' },
    },
  })
  const port = parsePort('--port', values.port)
  const logger = createLogger()
  const file = values.policy
  let policy: () => Policy = () => defaultPolicy
  let status = (): Record<string, unknown> => ({ policy: { name: defaultPolicy.name, hash: defaultPolicy.hash, source: 'built-in' } })
  if (file !== undefined) {
    const watcher = PolicyWatcher.open(file, logger)
    watcher.start(POLICY_POLL_MS)
    policy = watcher.current
    status = () => ({ policy: watcher.status() })
  }
  let certFile = values['tls-cert']
  let keyFile = values['tls-key']
  if (values['dev-certs'] !== undefined && certFile === undefined && keyFile === undefined) {
    const { ensureDevCertificates } = await import('../certs/generate.js') // loaded only when needed
    const dev = await ensureDevCertificates(values['dev-certs'])
    certFile = dev.certFile
    keyFile = dev.keyFile
    logger.info({ certFile, keyFile, caBundle: dev.caFile, created: dev.created },
      dev.created ? 'created development certificates; trust the CA bundle to call the webhook' : 'using development certificates')
  }
  if (certFile === undefined || keyFile === undefined) throw new UsageError('serve needs --tls-cert and --tls-key (or --dev-certs DIR for development)')
  const context = await createAdmitContext({ logger, ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}) })
  const app = await startServer({ host: values.host, port, certFile, keyFile, policy, context, status, logger })
  logger.info({ addresses: app.addresses(), policy: policy().name, hash: policy().hash }, 'ephemeral-guard serving')
  const stop = (signal: string): void => {
    logger.info({ signal }, 'shutting down')
    app.close().then(() => process.exit(0), () => process.exit(1))
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}

