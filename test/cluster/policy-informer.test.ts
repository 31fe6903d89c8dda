// The policy objects' list+watch through their interface: a plain object stands in for the informer
// here; the e2e suite (test/e2e/cluster-policies.test.ts) runs the real one against an API server.
import t from 'tap'
import { unreachableKubeconfig } from '../support/kubeconfig.js'
import pino from 'pino'
import { policyInformer, WatchedObjects, type ObjectInformer } from '../../src/cluster/policy-informer.js'
import { fakeInformer } from '../support/fake-informer.js'
import { RETRY_MIN_MS } from '../../src/cluster/namespace-cache.js'
import { clusterConfig } from '../../src/cluster/context.js'
import type { JsonObject } from '../../src/kube/types.js'

const logger = pino({ level: 'silent' })

const obj = (name: string, namespace?: string, spec: JsonObject = {}): JsonObject => ({ metadata: { name, ...(namespace ? { namespace } : {}) }, spec })

t.test('objects follow add, update and delete; listeners hear of each change and of the first sync', async (t) => {
  const { informer, emit, state } = fakeInformer()
  const w = new WatchedObjects(informer, 'debugpolicies', logger)
  let changes = 0
  w.onChange(() => changes++)
  t.equal(w.resource, 'debugpolicies')
  t.same(w.status(), { synced: false, watching: false, objects: 0 })
  state.next.push([obj('a', 'shop'), obj('a', 'other'), { metadata: {} }])
  await w.start()
  t.equal(w.synced, true)
  t.same(w.status(), { synced: true, watching: true, objects: 2 }, 'same name in two namespaces: two objects; one without a name ignored')
  t.equal(changes, 3, 'two adds and the first sync')
  emit('update', obj('a', 'shop', { mode: 'warn' }))
  t.same(w.list().find((o) => (o['metadata'] as JsonObject)['namespace'] === 'shop')?.['spec'], { mode: 'warn' })
  emit('delete', obj('a', 'other'))
  emit('delete', obj('never-seen'))
  emit('delete', { metadata: {} })
  t.equal(w.list().length, 1)
  t.equal(changes, 5, 'an update and one real delete; deletes of unknown objects are no change')
  await w.stop()
  t.equal(state.stops, 1)
  t.equal(w.status().watching, false)
})

t.test('a failure is shown in status and retried with backoff; objects seen before are kept', async (t) => {
  const { informer, emit, state } = fakeInformer()
  const w = new WatchedObjects(informer, 'ephemeralcontainerpolicies', logger)
  let synced = 0
  w.onChange(() => { if (w.synced) synced++ })
  state.next.push(new Error('the server could not find the requested resource'), [obj('p')])
  await w.start()
  t.equal(w.synced, false)
  t.equal(w.status().lastError, 'the server could not find the requested resource')
  t.match(w.status().lastErrorAt, /^\d{4}-\d\d-\d\dT/)
  await new Promise((resolve) => setTimeout(resolve, RETRY_MIN_MS * 3))
  t.equal(state.starts, 2, 'retried')
  t.equal(w.synced, true)
  t.ok(synced >= 1)
  emit('error', { statusCode: 500, body: 'etcd unavailable' })
  t.equal(w.status().lastError, '500 etcd unavailable')
  emit('error', { code: 'ETIMEDOUT' })
  t.equal(w.status().lastError, 'ETIMEDOUT')
  emit('error', {})
  t.equal(w.status().lastError, 'unknown error')
  emit('error', 'text')
  t.equal(w.status().lastError, 'text')
  t.same(w.list().length, 1, 'objects seen before are still held')
  await w.stop()
  emit('error', new Error('after stop'))
  t.equal(w.status().lastError, 'after stop', 'recorded, but not retried')
})

t.test('a watch restarted after synced: no second first-sync', async (t) => {
  const { informer, state } = fakeInformer()
  const w = new WatchedObjects(informer, 'ephemeralcontainerpolicies', logger)
  let changes = 0
  w.onChange(() => changes++)
  await w.start()
  t.equal(changes, 1)
  await w.start()
  t.equal(changes, 1, 'a second successful start is no change')
  t.equal(state.starts, 2)
})

t.test('stop during the first attempt: never synced', async (t) => {
  const { informer } = fakeInformer()
  let w: WatchedObjects | undefined
  const stopsFirst: ObjectInformer = { on: informer.on, stop: informer.stop, start: async () => { await w?.stop(); await informer.start() } }
  w = new WatchedObjects(stopsFirst, 'debugpolicies', logger)
  await w.start()
  t.equal(w.synced, false)
})

t.test('the real informer on an unreachable API server reports the failure', async (t) => {
  const file = unreachableKubeconfig()
  const kc = (await clusterConfig({ kubeconfig: file, env: {} }))!
  const w = new WatchedObjects(await policyInformer(kc, 'ephemeral-guard.dev', 'v1alpha1', 'debugpolicies'), 'debugpolicies', logger)
  await w.start()
  t.equal(w.synced, false)
  t.match(w.status().lastError, /ECONNREFUSED|connect/)
  await w.stop()
})
