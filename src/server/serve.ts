// The one place that assembles `serve` from a plain options object: the policy source (watched file or
// the built-in policy) and its metrics, the certificate files (or development certificates), the
// cluster context, the /readyz status, then startServer (listen.ts: TLS, app, operations port,
// shutdown sequence). cli/serve.ts only turns flags into ServeConfig and signals into stop().
import type { Logger } from 'pino'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { packageVersion } from '../paths.js'
import { clusterConfig, createAdmitContext } from '../cluster/context.js'
import { policyInformer, POLICY_RESOURCES, WatchedObjects, type ObjectInformer, type PolicyResource } from '../cluster/policy-informer.js'
import { grantAccessFrom } from './grant-webhook.js'
import type { Policy } from '../decision/types.js'
import { ClusterError } from '../errors.js'
import type { ClusterPolicySource } from '../policy/cluster-source.js'
import { PolicyWatcher } from '../policy/watch.js'
import { startServer, type RunningServer, type ShutdownOptions, type ShutdownReport } from './listen.js'
import { Metrics } from './metrics.js'
import type { TlsFiles } from './tls-reload.js'

/** How often serve re-reads the policy file. Kubelet updates a mounted ConfigMap within about a minute. */
export const POLICY_POLL_MS = 2000

export interface ServeConfig {
  readonly host: string
  readonly port: number
  /** The plain-HTTP operations port (metrics and probes). */
  readonly ops: { readonly host: string; readonly port: number }
  /** Certificate files, or a folder of development certificates, created when it holds none. */
  readonly tls: TlsFiles | { readonly devCerts: string; readonly clientCaFile?: string }
  /** Milliseconds between re-reads of the certificate files; 0 never re-reads. */
  readonly tlsReloadIntervalMs: number
  /** Open HTTPS connections at most (listen.ts DEFAULT_MAX_CONNECTIONS without it). */
  readonly maxConnections?: number
  /** Milliseconds a connection has to complete TLS (listen.ts DEFAULT_HANDSHAKE_TIMEOUT_MS without it). */
  readonly handshakeTimeoutMs?: number
  /** The policy file, watched; without it the built-in policy (or the cluster's, with clusterPolicies). */
  readonly policyFile?: string
  /**
   * Serve the cluster's EphemeralContainerPolicy and DebugPolicy objects (list+watch through the
   * kubeconfig, or in-cluster); not with policyFile.
   */
  readonly clusterPolicies?: boolean
  /** Tests: the informers of the two policy resources, instead of ones on the cluster. */
  readonly policyInformers?: (resource: PolicyResource) => Promise<ObjectInformer>
  /** How long start-up waits for the cluster's policies before listening anyway, not ready (default CLUSTER_POLICY_WAIT_MS). */
  readonly clusterPolicyWaitMs?: number
  /** Milliseconds between re-reads of the policy file; default POLICY_POLL_MS. */
  readonly policyPollMs?: number
  readonly kubeconfig?: string
  /** The environment (KUBERNETES_SERVICE_HOST: in-cluster access). */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly logger: Logger
  /** Default: a new registry with the package version and process metrics. */
  readonly metrics?: Metrics
}

export interface Webhook {
  readonly server: RunningServer
  /** Stops polling and the cluster context, then runs the server's shutdown sequence. */
  stop(o: ShutdownOptions): Promise<ShutdownReport>
}

/** Start-up waits this long for the cluster's policies; the replica then listens, not ready, and keeps waiting. */
export const CLUSTER_POLICY_WAIT_MS = 10_000

/** The policy in force, what /readyz shows about it, and how to stop watching. */
interface PolicySource {
  readonly current: () => Policy
  readonly status: () => unknown
  readonly stop: () => void
  /** `name@hash,…` of the policies in force, for the decision log line (computed once per policy). */
  readonly label: (policy: Policy) => string
  /** Why the replica is not ready yet (the cluster's policies not read); undefined once it is. */
  readonly notReady?: () => string | undefined
  /** The cluster's policies (the policy webhook's view of spec.mutations). */
  readonly cluster?: ClusterPolicySource
}

/** name@hash of one policy, computed once per policy object. */
function fixedLabel(): (policy: Policy) => string {
  let last: { policy: Policy; label: string } | undefined
  return (policy) => {
    if (last?.policy !== policy) last = { policy, label: `${policy.name}@${policy.hash}` }
    return last.label
  }
}

/**
 * The cluster's policy objects: two informers, combined on every change (src/policy/cluster-source.ts),
 * with metrics. Start-up waits up to clusterPolicyWaitMs for the first combine.
 */
async function clusterSource(c: ServeConfig, metrics: Metrics): Promise<PolicySource> {
  const [{ ClusterPolicySource }, { defaultServedPolicy, POLICY_GROUP, POLICY_VERSION }, { lazyPolicyAjv }] =
    await Promise.all([import('../policy/cluster-source.js'), import('../policy/policy-objects.js'), import('../schemas.js')])
  let informerOf = c.policyInformers
  if (informerOf === undefined) {
    const kc = await clusterConfig({ env: c.env, ...(c.kubeconfig !== undefined ? { kubeconfig: c.kubeconfig } : {}) })
    if (kc === undefined) throw new ClusterError('--cluster-policies needs a cluster: --kubeconfig FILE, or run in a pod (KUBERNETES_SERVICE_HOST set)')
    informerOf = (resource) => policyInformer(kc, POLICY_GROUP, POLICY_VERSION, resource)
  }
  const [clusterPolicies, debugPolicies] = await Promise.all(POLICY_RESOURCES.map(async (r) => new WatchedObjects(await informerOf(r), r, c.logger)))
  const ajv = lazyPolicyAjv() as Ajv2020
  const source = new ClusterPolicySource({ clusterPolicies: clusterPolicies!, debugPolicies: debugPolicies!, ajv, fallback: defaultServedPolicy(ajv), logger: c.logger })
  source.onCombine((e) => {
    metrics.policyReload('success')
    metrics.policiesInForce(e.inForce.map((p) => ({ name: p.namespace === undefined ? p.name : `${p.namespace}/${p.name}`, hash: p.hash })), e.notServed.length)
  })
  source.onCombineFailure(() => metrics.policyReload('failure'))
  // In the background: an unreachable API server must not hold up listening (/readyz says why).
  for (const w of [clusterPolicies!, debugPolicies!]) void w.start()
  await source.waitForReady(c.clusterPolicyWaitMs ?? CLUSTER_POLICY_WAIT_MS)
  return {
    current: source.current,
    status: () => source.status(),
    stop: () => { for (const w of [clusterPolicies!, debugPolicies!]) void w.stop() },
    label: source.label,
    notReady: () => (source.ready() ? undefined : "the cluster's policies are not read yet"),
    cluster: source,
  }
}

/**
 * The policy in force, what /readyz shows about it, and how to stop watching. The built-in policy is
 * loaded (and compiled) only when neither a policy file nor the cluster's policies are asked for.
 */
async function policySource(c: ServeConfig, metrics: Metrics): Promise<PolicySource> {
  if (c.clusterPolicies === true) {
    if (c.policyFile !== undefined) throw new ClusterError('--cluster-policies and --policy exclude each other')
    return clusterSource(c, metrics)
  }
  if (c.policyFile === undefined) {
    const { defaultPolicy } = await import('../policy/default.js')
    const { name, hash } = defaultPolicy
    return { current: () => defaultPolicy, status: () => ({ name, hash, source: 'built-in' }), stop: () => {}, label: fixedLabel() }
  }
  // Compiled before serve listens (throws PolicyError: serve refuses to start); until then neither
  // port answers, so the pod is not ready.
  const w = await PolicyWatcher.load(c.policyFile, c.logger)
  w.onReload((e) => {
    metrics.policyReload(e.result)
    if (e.result === 'success') metrics.policyInForce(e.policy) // a failure keeps the policy in force
  })
  w.start(c.policyPollMs ?? POLICY_POLL_MS)
  return { current: w.current, status: () => w.status(), stop: () => w.stop(), label: fixedLabel() }
}

/** The certificate files given, or development certificates (generated only when needed). */
async function tlsFiles(c: ServeConfig): Promise<TlsFiles> {
  if (!('devCerts' in c.tls)) return c.tls
  const { clientCaFile } = c.tls
  const { ensureDevCertificates } = await import('../certs/generate.js') // loaded only when needed
  const dev = await ensureDevCertificates(c.tls.devCerts)
  c.logger.info({ certFile: dev.certFile, keyFile: dev.keyFile, caBundle: dev.caFile, created: dev.created },
    dev.created ? 'created development certificates; trust the CA bundle to call the webhook' : 'using development certificates')
  return { certFile: dev.certFile, keyFile: dev.keyFile, ...(clientCaFile !== undefined ? { clientCaFile } : {}) }
}

/** Certificates, the cluster context and the server; the context is stopped again if the server cannot start. */
async function listen(c: ServeConfig, policy: PolicySource, metrics: Metrics): Promise<Webhook> {
  const tls = await tlsFiles(c)
  const context = await createAdmitContext({ logger: c.logger, env: c.env, ...(c.kubeconfig !== undefined ? { kubeconfig: c.kubeconfig } : {}) })
  const { namespaceCache } = context
  const server = await startServer({
    host: c.host,
    port: c.port,
    tls,
    tlsReloadIntervalMs: c.tlsReloadIntervalMs,
    ...(c.maxConnections !== undefined ? { maxConnections: c.maxConnections } : {}),
    ...(c.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: c.handshakeTimeoutMs } : {}),
    policy: policy.current,
    policyLabel: policy.label,
    ...(policy.notReady ? { notReady: policy.notReady } : {}),
    ...(policy.cluster ? { mutationsHolders: () => policy.cluster!.mutationsHolders() } : {}),
    context,
    ...(context.api ? { grants: grantAccessFrom(context.api) } : {}),
    // /readyz shows the namespace cache too; it stays ready while the cache syncs or retries, since
    // only the Pod Security fit of the (failurePolicy Ignore) mutating webhook depends on it.
    status: () => ({ policy: policy.status(), ...(namespaceCache ? { namespaceCache: namespaceCache() } : {}) }),
    logger: c.logger,
    metrics,
    ops: c.ops,
  }).catch(async (e: unknown) => {
    await context.stop()
    throw e
  })
  const { serialNumber, notAfter } = server.certificates.material.certificate
  const inForce = policy.current()
  c.logger.info({
    addresses: server.app.addresses(),
    metricsHost: server.ops?.address.address,
    metricsPort: server.ops?.address.port,
    clientCertificates: tls.clientCaFile !== undefined ? 'required' : 'not requested',
    certificate: { serialNumber, notAfter: notAfter.toISOString() },
    policy: inForce.name,
    hash: inForce.hash,
    policies: policy.label(inForce),
  }, 'ephemeral-guard serving')
  return {
    server,
    stop: (o) => {
      policy.stop()
      void context.stop()
      return server.shutdown(o)
    },
  }
}

/** Starts serving and logs "ephemeral-guard serving"; throws, with nothing left running, if it cannot. */
export async function startWebhook(c: ServeConfig): Promise<Webhook> {
  const metrics = c.metrics ?? new Metrics({ version: packageVersion() })
  const policy = await policySource(c, metrics)
  if (policy.cluster === undefined) metrics.policyInForce(policy.current())
  return listen(c, policy, metrics).catch((e: unknown) => {
    policy.stop()
    throw e
  })
}
