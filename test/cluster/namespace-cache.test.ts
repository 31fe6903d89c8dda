// The namespace cache through its interface: a plain object stands in for the informer here; the e2e
// suite (test/e2e/mutations.test.ts) runs it against a real API server.
import t from 'tap'
import { unreachableKubeconfig, UNREACHABLE_SERVER } from '../support/kubeconfig.js'
import pino from 'pino'
import { NamespaceCache, RETRY_MIN_MS, type NamespaceInformer, type NamespaceObject } from '../../src/cluster/namespace-cache.js'
import { clusterConfig, createAdmitContext } from '../../src/cluster/context.js'

const logger = pino({ level: 'silent' })

/** An informer driven by the test: `list` is what start() delivers, or an error it reports. */
function fakeInformer() {
  const handlers: Record<string, Array<(x?: unknown) => void>> = {}
  const emit = (verb: string, x?: unknown): void => { for (const h of handlers[verb] ?? []) h(x) }
  const state = { starts: 0, stops: 0, next: [] as Array<NamespaceObject[] | Error> }
  const informer: NamespaceInformer = {
    on: ((verb: string, cb: (x?: unknown) => void) => { (handlers[verb] ??= []).push(cb) }) as NamespaceInformer['on'],
    start: async () => {
      state.starts++
      emit('connect')
      const outcome = state.next.shift() ?? []
      if (outcome instanceof Error) emit('error', outcome)
      else for (const ns of outcome) emit('add', ns)
    },
    stop: async () => { state.stops++ },
  }
  return { informer, emit, state }
}

const ns = (name: string, labels?: Record<string, string>): NamespaceObject => ({ metadata: { name, ...(labels ? { labels } : {}) } })

t.test('labels are unknown until the first list, then follow add, update and delete', async (t) => {
  const { informer, emit, state } = fakeInformer()
  const cache = new NamespaceCache(informer, logger)
  t.equal(cache.labels('shop'), undefined, 'before start')
  t.same(cache.status(), { synced: false, watching: false, namespaces: 0 })
  state.next.push([ns('shop', { 'pod-security.kubernetes.io/enforce': 'restricted' }), ns('default'), { metadata: {} }])
  await cache.start()
  t.same(cache.labels('shop'), { 'pod-security.kubernetes.io/enforce': 'restricted' })
  t.same(cache.labels('default'), {}, 'a namespace without labels is known, with none')
  t.equal(cache.labels('other'), undefined, 'a namespace not seen is unknown')
  t.same(cache.status(), { synced: true, watching: true, namespaces: 2 })
  emit('update', ns('shop', { 'pod-security.kubernetes.io/enforce': 'baseline' }))
  t.same(cache.labels('shop'), { 'pod-security.kubernetes.io/enforce': 'baseline' }, 'a label change is seen')
  emit('add', ns('new'))
  t.same(cache.labels('new'), {})
  emit('delete', ns('shop'))
  emit('delete', { metadata: {} })
  t.equal(cache.labels('shop'), undefined, 'a deleted namespace is unknown')
  t.equal(await cache.waitForSync(10), true)
  await cache.stop()
  t.equal(state.stops, 1)
  t.equal(cache.status().watching, false)
})

t.test('a failure is shown in status and retried with backoff; data seen before is kept', async (t) => {
  const { informer, emit, state } = fakeInformer()
  const cache = new NamespaceCache(informer, logger)
  state.next.push(new Error('connect ECONNREFUSED 127.0.0.1:6443'), [ns('shop', { a: 'b' })])
  await cache.start()
  t.equal(cache.status().synced, false)
  t.equal(cache.status().lastError, 'connect ECONNREFUSED 127.0.0.1:6443')
  t.match(cache.status().lastErrorAt, /^\d{4}-\d\d-\d\dT/)
  t.equal(cache.labels('shop'), undefined, 'unknown while not synced')
  t.equal(await cache.waitForSync(RETRY_MIN_MS * 4), true, 'the retry lists')
  t.equal(state.starts, 2)
  t.same(cache.labels('shop'), { a: 'b' })
  emit('error', { statusCode: 500, body: 'etcd unavailable' })
  t.same({ ...cache.status(), lastErrorAt: undefined }, { synced: true, watching: false, namespaces: 1, lastError: '500 etcd unavailable', lastErrorAt: undefined }, 'a broken watch')
  t.same(cache.labels('shop'), { a: 'b' }, 'labels seen before are still answered')
  emit('error', { code: 'ETIMEDOUT' })
  t.equal(cache.status().lastError, 'ETIMEDOUT')
  emit('error', {})
  t.equal(cache.status().lastError, 'unknown error')
  emit('error', 'text')
  t.equal(cache.status().lastError, 'text')
  await cache.stop()
  emit('error', new Error('after stop'))
  t.equal(cache.status().lastError, 'after stop', 'recorded, but not retried')
  t.equal(await new NamespaceCache(fakeInformer().informer, logger).waitForSync(5), false, 'waitForSync gives up after its time')
})

t.test('stop during the first attempt: never synced', async (t) => {
  const { informer, state } = fakeInformer()
  let cache: NamespaceCache | undefined
  const stopsFirst: NamespaceInformer = { on: informer.on, stop: informer.stop, start: async () => { await cache?.stop(); await informer.start() } }
  cache = new NamespaceCache(stopsFirst, logger)
  await cache.start()
  t.equal(cache.status().synced, false, 'not synced')
  t.equal(state.starts, 1)
})

t.test('the cluster is used only when named: --kubeconfig or in a pod', async (t) => {
  t.equal(await clusterConfig({ env: {} }), undefined, 'offline: ~/.kube/config is never read')
  const offline = await createAdmitContext({ logger, env: {} })
  t.equal(offline.namespaceLabels, undefined)
  t.equal(offline.namespaceCache, undefined)
  await offline.stop()

  const file = unreachableKubeconfig()
  t.equal((await clusterConfig({ kubeconfig: file, env: {} }))?.getCurrentCluster()?.server, UNREACHABLE_SERVER)
  const ctx = await createAdmitContext({ logger, kubeconfig: file, env: {}, syncWaitMs: 300 })
  t.equal(ctx.namespaceCache?.().synced, false, 'an unreachable API server: not synced')
  t.match(ctx.namespaceCache?.().lastError, /ECONNREFUSED|connect/, 'and the reason is shown')
  t.equal(ctx.namespaceLabels?.('default'), undefined, 'labels unknown')
  await ctx.stop()

  // In a pod: KubeConfig.loadFromCluster reads the service address from process.env itself.
  const saved = { host: process.env['KUBERNETES_SERVICE_HOST'], port: process.env['KUBERNETES_SERVICE_PORT'] }
  process.env['KUBERNETES_SERVICE_HOST'] = '127.0.0.1'
  process.env['KUBERNETES_SERVICE_PORT'] = '1'
  t.teardown(() => {
    for (const [k, v] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port]] as const) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })
  t.equal((await clusterConfig({}))?.getCurrentCluster()?.server, 'https://127.0.0.1:1', 'in a pod: the service address')
})
