// What a decision may need from the cluster beyond the review itself (the namespace's labels).
// serve builds it once at start; review builds it from flags; tests pass their own.
//
// The namespace cache starts only when told where the cluster is: --kubeconfig FILE, or running in a
// pod (KUBERNETES_SERVICE_HOST set, the service account's token and CA mounted). ~/.kube/config is
// never read implicitly, so `npm start` stays offline.
import type { KubeConfig, V1Namespace } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import type { DecisionContext } from '../decision/types.js'
import { NamespaceCache, type NamespaceCacheStatus, type NamespaceInformer } from './namespace-cache.js'
import type { KubeApi } from './api.js'

export interface AdmitContextOptions {
  /** Kubeconfig file; without it, the in-cluster service account when running in a pod. */
  readonly kubeconfig?: string
  readonly logger: Logger
  /** The environment to read KUBERNETES_SERVICE_HOST from (process.env by default). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** How long to wait for the first namespace list before serving anyway (default SYNC_WAIT_MS). */
  readonly syncWaitMs?: number
}

/** An DecisionContext with what serve shows in /readyz and stops at shutdown. */
export interface ClusterContext extends DecisionContext {
  /** The namespace cache's state; undefined when no cluster was given (offline). */
  readonly namespaceCache?: () => NamespaceCacheStatus
  readonly stop: () => Promise<void>
  /** The API server, as serve reaches it (the grant webhook's lookups and SubjectAccessReviews); undefined offline. */
  readonly api?: KubeApi
}

/** Start-up waits this long for the first namespace list; decisions before it see unknown labels. */
const SYNC_WAIT_MS = 5000

// @kubernetes/client-node takes about a second of CPU to import: loaded only when a cluster is named,
// so review, policy and an offline serve start without it.
const client = () => import('@kubernetes/client-node')

/** A kubeconfig from --kubeconfig, or the in-cluster one, or undefined (offline). */
export async function clusterConfig(options: Pick<AdmitContextOptions, 'kubeconfig' | 'env'>): Promise<KubeConfig | undefined> {
  const env = options.env ?? process.env
  if (options.kubeconfig === undefined && !env['KUBERNETES_SERVICE_HOST']) return undefined
  const kc = new (await client()).KubeConfig()
  if (options.kubeconfig !== undefined) kc.loadFromFile(options.kubeconfig)
  else kc.loadFromCluster()
  return kc
}

/** A list+watch informer on namespaces. */
async function namespaceInformer(kc: KubeConfig): Promise<NamespaceInformer> {
  const { CoreV1Api, makeInformer } = await client()
  const core = kc.makeApiClient(CoreV1Api)
  return makeInformer<V1Namespace>(kc, '/api/v1/namespaces', () => core.listNamespace()) as unknown as NamespaceInformer
}

export async function createAdmitContext(options: AdmitContextOptions): Promise<ClusterContext> {
  const kc = await clusterConfig(options)
  if (kc === undefined) return { stop: async () => {} }
  const cache = new NamespaceCache(await namespaceInformer(kc), options.logger)
  void cache.start() // in the background: an unreachable API server must not hold up serving
  await cache.waitForSync(options.syncWaitMs ?? SYNC_WAIT_MS)
  options.logger.info({ server: kc.getCurrentCluster()?.server, ...cache.status() }, 'namespace cache started')
  const { kubeApiFrom } = await import('./api.js') // loads client-node, already loaded here
  // 4 s per call: the grant webhook answers within its timeoutSeconds of 5.
  const api = kubeApiFrom(kc, { timeoutMs: 4000 })
  return {
    api,
    namespaceLabels: (ns) => cache.labels(ns),
    namespaceCache: () => cache.status(),
    stop: () => cache.stop(),
  }
}
