// The cluster's policy objects to the policy served (serve --cluster-policies): not ready and refusing
// until both lists are read, then every change combined, bursts coalesced, what is in force and what
// is not served shown, the spec.mutations holders known. Informers are the test's (support/fake-informer.ts).
import t from 'tap'
import pino from 'pino'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { WatchedObjects } from '../../src/cluster/policy-informer.js'
import type { JsonObject } from '../../src/kube/types.js'
import { lazyPolicyAjv } from '../../src/schemas.js'
import { defaultServedPolicy } from '../../src/policy/policy-objects.js'
import { specHash } from '../../src/policy/policy-set.js'
import { ClusterPolicySource, clippedProblems, NOT_SYNCED_RULE, setLabel, STATUS_NOT_SERVED_MAX, STATUS_PROBLEMS_MAX, type CombineEvent } from '../../src/policy/cluster-source.js'
import { fakeInformer } from '../support/fake-informer.js'
import { answer } from '../support/decide.js'
import { admissionReview, profileContainer } from '../support/reviews.js'
import { logSink } from '../support/server.js'
import { createLogger } from '../../src/log.js'

const ajv = lazyPolicyAjv() as Ajv2020
const fallback = defaultServedPolicy(ajv)
const silent = pino({ level: 'silent' })

const stored = (kind: string, name: string, spec: unknown, o: { namespace?: string; createdAt?: string; status?: JsonObject } = {}): JsonObject => ({
  apiVersion: 'ephemeral-guard.dev/v1alpha1',
  kind,
  metadata: { name, ...(o.namespace ? { namespace: o.namespace } : {}), uid: `uid-${o.namespace ?? ''}-${name}`, generation: 1, creationTimestamp: o.createdAt ?? '2026-01-01T00:00:00Z' },
  spec: spec as JsonObject,
  ...(o.status ? { status: o.status } : {}),
})
const noPrivileged = { rules: [{ name: 'no-privileged', securityContext: { allowPrivileged: false } }] }
const denyAll = { rules: [{ name: 'only-digests', images: { requireDigest: true } }] }
const invalid = { rules: [{ name: 'x', securityContext: { allowPrivileged: 'no' } }] }

function setup(o: { pause?: () => Promise<void>; logger?: pino.Logger } = {}) {
  const cluster = fakeInformer()
  const debug = fakeInformer()
  const logger = o.logger ?? silent
  const clusterPolicies = new WatchedObjects(cluster.informer, 'ephemeralcontainerpolicies', logger)
  const debugPolicies = new WatchedObjects(debug.informer, 'debugpolicies', logger)
  const source = new ClusterPolicySource({ clusterPolicies, debugPolicies, ajv, fallback, logger, ...(o.pause ? { pause: o.pause } : {}) })
  const events: CombineEvent[] = []
  source.onCombine((e) => events.push(e))
  /** Waits for the combines scheduled so far (each waits a turn or two of the event loop per object). */
  const settle = async (): Promise<void> => { for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r)) }
  return { cluster, debug, clusterPolicies, debugPolicies, source, events, settle }
}

const decision = (source: ClusterPolicySource, container = profileContainer('general'), namespace?: string) => {
  const review = admissionReview({ added: [container] })
  if (namespace !== undefined) {
    review.request.namespace = namespace
  }
  return answer(review, 'validate', source.current())
}

t.test('before both lists are read: not ready, and every new container refused', async (t) => {
  const { cluster, clusterPolicies, source, settle } = setup()
  t.equal(source.ready(), false)
  t.match(source.status(), { source: 'cluster', ready: false, informers: { ephemeralcontainerpolicies: { synced: false }, debugpolicies: { synced: false } } })
  const d = decision(source)
  t.equal(d.review.response?.allowed, false)
  t.match(d.review.response?.status?.message, /has not yet read the cluster's policies/)
  t.same(d.summary.rules.map((r) => r.rule), [NOT_SYNCED_RULE])
  t.equal(source.label(source.current()), NOT_SYNCED_RULE)
  cluster.state.next.push([stored('EphemeralContainerPolicy', 'p', noPrivileged)])
  await clusterPolicies.start()
  await settle()
  t.equal(source.ready(), false, 'one list is not enough')
  t.equal(await source.waitForReady(5), false, 'waitForReady gives up after its time')
})

t.test('both lists read: the objects combined; changes follow; bursts coalesce', async (t) => {
  const { cluster, debug, clusterPolicies, debugPolicies, source, events, settle } = setup()
  cluster.state.next.push([stored('EphemeralContainerPolicy', 'p', noPrivileged)])
  debug.state.next.push([stored('DebugPolicy', 'digests', denyAll, { namespace: 'shop' })])
  await clusterPolicies.start()
  await debugPolicies.start()
  t.equal(await source.waitForReady(10_000), true)
  await settle()
  t.equal(events.length, 1, 'one combine for the first lists')
  const hp = specHash(noPrivileged)
  const hd = specHash(denyAll)
  t.equal(source.label(source.current()), `p@${hp},shop/digests@${hd}`)
  const other = { ...source.current() }
  t.equal(source.label(other), `${other.name}@${other.hash}`, 'any other policy: name@hash')
  t.match(source.status(), {
    source: 'cluster', ready: true, objects: 2,
    inForce: [
      { kind: 'EphemeralContainerPolicy', name: 'p', hash: hp, servedFrom: 'spec', policy: `EphemeralContainerPolicy/p@${hp}` },
      { kind: 'DebugPolicy', namespace: 'shop', name: 'digests', hash: hd, servedFrom: 'spec', policy: `DebugPolicy/shop/digests@${hd}` },
    ],
    notServed: [],
  })
  // The DebugPolicy applies in its namespace only.
  const inShop = decision(source, profileContainer('general'), 'shop')
  t.equal(inShop.review.response?.allowed, false)
  t.match(inShop.review.response?.status?.message, /shop\/digests\/only-digests/)
  t.equal(decision(source, profileContainer('general'), 'other').review.response?.allowed, true)
  const sysadmin = decision(source, profileContainer('sysadmin'), 'other')
  t.match(sysadmin.review.response?.status?.message, /\(rule p\/no-privileged\)/)

  // A burst of changes: one or two combines, and the last state wins.
  const before = events.length
  cluster.emit('add', stored('EphemeralContainerPolicy', 'q', denyAll, { createdAt: '2026-01-02T00:00:00Z' }))
  cluster.emit('update', stored('EphemeralContainerPolicy', 'p', invalid))
  debug.emit('delete', stored('DebugPolicy', 'digests', denyAll, { namespace: 'shop' }))
  await settle()
  t.ok(events.length - before >= 1 && events.length - before <= 2, `a burst of three events: ${events.length - before} combines`)
  t.match(source.status(), {
    inForce: [{ name: 'q', servedFrom: 'spec' }],
    notServed: [{ kind: 'EphemeralContainerPolicy', name: 'p', reason: 'Invalid', problems: [/allowPrivileged: must be boolean/] }],
  })
  t.equal(events.at(-1)?.notServed.length, 1)

  // Every cluster policy gone: the built-in default.
  cluster.emit('delete', stored('EphemeralContainerPolicy', 'q', denyAll))
  cluster.emit('delete', stored('EphemeralContainerPolicy', 'p', invalid))
  await settle()
  t.match(source.status(), { inForce: [{ kind: 'EphemeralContainerPolicy', name: 'default', servedFrom: 'built-in' }], notServed: [] })
  t.equal(decision(source, profileContainer('sysadmin')).review.response?.allowed, false, 'the default refuses a privileged container')
})

t.test('last good copies, conflicting mutations and the holders of spec.mutations', async (t) => {
  const { cluster, debug, clusterPolicies, debugPolicies, source, settle } = setup()
  const mutations = { ...noPrivileged, mutations: { imagePullPolicy: 'preserve' } }
  cluster.state.next.push([
    stored('EphemeralContainerPolicy', 'first', mutations, { createdAt: '2026-01-01T00:00:00Z' }),
    stored('EphemeralContainerPolicy', 'second', mutations, { createdAt: '2026-01-02T00:00:00Z' }),
    stored('EphemeralContainerPolicy', 'repaired', invalid, { status: { lastGood: { generation: 1, hash: specHash(denyAll), spec: denyAll } } }),
  ])
  await clusterPolicies.start()
  await debugPolicies.start()
  await source.waitForReady(10_000)
  await settle()
  t.match(source.status(), {
    inForce: [{ name: 'first', servedFrom: 'spec' }, { name: 'repaired', servedFrom: 'lastGood', hash: specHash(denyAll), problems: [/must be boolean/] }],
    notServed: [{ name: 'second', reason: 'ConflictingMutations' }],
  })
  t.same(source.mutationsHolders(), [{ name: 'first', uid: 'uid--first', createdAt: '2026-01-01T00:00:00Z' }], 'the conflicting one holds nothing')
  void debug
})

t.test('a combine that fails keeps the set in force and is reported', async (t) => {
  let fail = false
  const sink = logSink()
  const { cluster, clusterPolicies, debugPolicies, source, settle } = setup({
    pause: async () => { if (fail) throw new Error('boom') },
    logger: createLogger({ destination: sink.stream }),
  })
  const failures: unknown[] = []
  source.onCombineFailure((e) => failures.push(e))
  cluster.state.next.push([stored('EphemeralContainerPolicy', 'p', noPrivileged)])
  await clusterPolicies.start()
  await debugPolicies.start()
  await settle()
  t.equal(source.ready(), true)
  const inForce = source.current()
  fail = true
  cluster.emit('add', stored('EphemeralContainerPolicy', 'q', denyAll))
  await settle()
  t.equal(failures.length, 1)
  t.equal(source.current(), inForce, 'the set in force stays')
  t.ok(sink.records.some((r) => r.msg === 'combining the cluster policies failed; the policies in force before stay'))
  t.ok(sink.records.some((r) => r.msg === 'cluster policies in force'), 'the first combine is logged')
})

t.test('/readyz stays bounded: problems and objects not served are clipped and counted', async (t) => {
  const many = Array.from({ length: STATUS_PROBLEMS_MAX + 5 }, (_, i) => `spec.rules[${i}].name: ${'x'.repeat(2000)}`)
  const clipped = clippedProblems(many)
  t.equal(clipped.length, STATUS_PROBLEMS_MAX + 1)
  t.equal(clipped.at(-1), 'and 5 more')
  t.ok(clipped[0]!.length < 600 && clipped[0]!.endsWith('…'))
  t.same(clippedProblems(['a']), ['a'])

  const { cluster, clusterPolicies, debugPolicies, source, settle } = setup()
  cluster.state.next.push(Array.from({ length: STATUS_NOT_SERVED_MAX + 3 }, (_, i) => stored('EphemeralContainerPolicy', `bad-${String(i).padStart(3, '0')}`, invalid)))
  await clusterPolicies.start()
  await debugPolicies.start()
  await source.waitForReady(30_000)
  await settle()
  const status = source.status() as { notServed: unknown[]; notServedMore: number }
  t.equal(status.notServed.length, STATUS_NOT_SERVED_MAX)
  t.equal(status.notServedMore, 3)
  t.match(status, { inForce: [{ servedFrom: 'built-in' }] }, 'never valid: the default is in force')

  const long = setLabel(Array.from({ length: 200 }, (_, i) => ({ kind: 'DebugPolicy' as const, namespace: `namespace-${i}`, name: 'policy', hash: '0123456789ab' })))
  t.ok(Buffer.byteLength(long) <= 1024 && long.endsWith('…'), 'the label is clipped at 1 KiB')
})
