// The status the controller writes, from PolicyObjects' view of each object, and the writer that
// writes only what changed and only while leading.
import t from 'tap'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { lazyPolicyAjv } from '../../src/schemas.js'
import { defaultServedPolicy, PolicyObjects } from '../../src/policy/policy-objects.js'
import { specHash } from '../../src/policy/policy-set.js'
import type { JsonObject } from '../../src/kube/types.js'
import { canonical, conflictsOf, desiredStatus, MESSAGE_MAX, statusDiffers } from '../../src/controller/status.js'
import { PolicyStatusWriter, type StatusIo } from '../../src/controller/policies.js'
import { ControllerMetrics } from '../../src/controller/metrics.js'

const ajv = lazyPolicyAjv() as Ajv2020
const fallback = defaultServedPolicy(ajv)
const goodSpec = { rules: [{ name: 'no-privileged', securityContext: { allowPrivileged: false } }, { name: 'busybox', images: { allow: ['docker.io/library/busybox'] } }] }
const badSpec = { mode: 'sometimes', rules: [{ name: 'no-privileged', securityContext: { allowPrivileged: 'no' } }] }
const mutating = { mutations: { securityContext: { allowPrivilegeEscalation: false } } }
const NOW = '2026-12-01T00:00:00Z'
const LATER = '2026-12-01T01:00:00Z'

const stored = (name: string, spec: unknown, o: { generation?: number; status?: JsonObject; created?: string; kind?: string; namespace?: string } = {}): JsonObject => ({
  apiVersion: 'ephemeral-guard.dev/v1alpha1',
  kind: o.kind ?? 'EphemeralContainerPolicy',
  metadata: { name, ...(o.namespace ? { namespace: o.namespace } : {}), uid: `uid-${name}`, generation: o.generation ?? 1, resourceVersion: '5', creationTimestamp: o.created ?? '2026-01-01T00:00:00Z' },
  spec: spec as JsonObject,
  ...(o.status ? { status: o.status } : {}),
})

const cond = (status: JsonObject, type: string): JsonObject => (status['conditions'] as JsonObject[]).find((c) => c['type'] === type)!

t.test('a valid policy: Ready True/Valid, rules, hash, lastGood = the spec', async (t) => {
  const obj = stored('p', goodSpec, { generation: 4 })
  const s = desiredStatus(obj, new PolicyObjects(ajv).state(obj), undefined, NOW)
  t.match(s, { observedGeneration: 4, hash: specHash(goodSpec), rules: 2, lastGood: { generation: 4, hash: specHash(goodSpec), spec: goodSpec } })
  t.same(cond(s, 'Ready'), { type: 'Ready', status: 'True', observedGeneration: 4, reason: 'Valid', message: `generation 4 is valid (hash ${specHash(goodSpec)}, 2 rules)`, lastTransitionTime: NOW })
  t.match(cond(s, 'Serving'), { status: 'True', reason: 'Spec' })
})

t.test('an invalid policy: every problem with its path; its last good copy served, and kept', async (t) => {
  const objects = new PolicyObjects(ajv)
  const good = stored('p', goodSpec)
  const first = desiredStatus(good, objects.state(good), undefined, NOW)
  const bad = stored('p', badSpec, { generation: 2, status: first })
  const s = desiredStatus(bad, objects.state(bad), undefined, LATER)
  t.same(s['lastGood'], first['lastGood'], 'lastGood not overwritten by an invalid spec')
  t.equal(s['rules'], 1)
  const ready = cond(s, 'Ready')
  t.match(ready, { status: 'False', reason: 'Invalid', observedGeneration: 2, lastTransitionTime: LATER })
  t.match(ready['message'], /^generation 2 is invalid, serving the last good copy \(generation 1, hash [0-9a-f]{12}\)\. 2 problems: /)
  t.match(ready['message'], /spec\.mode: must be one of/)
  t.match(ready['message'], /spec\.rules\[0\]\.securityContext\.allowPrivileged: must be boolean/)
  t.match(cond(s, 'Serving'), { status: 'True', reason: 'ServingLastGood', lastTransitionTime: NOW }, 'Serving stayed True: its transition time is kept')

  const never = stored('q', badSpec)
  const n = desiredStatus(never, objects.state(never), undefined, NOW)
  t.notOk('lastGood' in n)
  t.match(cond(n, 'Ready')['message'], /not served: no valid last good copy/)
  t.match(cond(n, 'Serving'), { status: 'False', reason: 'NeverValid' })
  const noSpec = stored('r', undefined)
  delete noSpec['spec']
  t.equal(desiredStatus(noSpec, objects.state(noSpec), undefined, NOW)['rules'], 0, 'no spec: no rules')
})

t.test('a long list of problems is clipped to the condition message limit', async (t) => {
  const rules = Array.from({ length: 2000 }, (_, i) => ({ name: `r${i}`, securityContext: { allowPrivileged: 'no' } }))
  const obj = stored('big', { rules })
  const s = desiredStatus(obj, new PolicyObjects(ajv).state(obj), undefined, NOW)
  const message = cond(s, 'Ready')['message'] as string
  t.equal(message.length, MESSAGE_MAX)
  t.ok(message.endsWith('…'))
})

t.test('conflicting mutations: the newer policy is refused whole, named after the one in force', async (t) => {
  const objects = new PolicyObjects(ajv)
  const older = stored('mut-a', mutating, { created: '2026-01-01T00:00:00Z' })
  const newer = stored('mut-b', mutating, { created: '2026-01-02T00:00:00Z' })
  const { set, states } = objects.combine([newer, older], fallback)
  const conflicts = conflictsOf(states, set.conflicting)
  t.same([...conflicts], [['mut-b', 'mut-a']])
  const s = desiredStatus(newer, states[0]!, conflicts.get('mut-b'), NOW)
  t.match(cond(s, 'Ready'), { status: 'False', reason: 'ConflictingMutations', message: /cluster policy mut-a defines spec.mutations and was served first/ })
  t.match(cond(s, 'Serving'), { status: 'False', reason: 'ConflictingMutations' })
  t.same(s['lastGood'], { generation: 1, hash: specHash(mutating), spec: mutating }, 'the spec is valid: it is the last good copy')
  // Invalid, its last good copy conflicting.
  const broken = stored('mut-b', badSpec, { generation: 2, status: s, created: '2026-01-02T00:00:00Z' })
  const again = objects.combine([broken, older], fallback)
  const c2 = conflictsOf(again.states, again.set.conflicting)
  const s2 = desiredStatus(broken, again.states[0]!, c2.get('mut-b'), LATER)
  t.match(cond(s2, 'Ready'), { status: 'False', reason: 'Invalid', message: /is invalid, not served: cluster policy mut-a/ })
  t.match(cond(s2, 'Serving'), { reason: 'ConflictingMutations' })
  t.same(conflictsOf(again.states, []).size, 0)
  t.same([...conflictsOf([], [{ kind: 'EphemeralContainerPolicy', name: 'x', hash: 'h' }])], [['x', 'another']])
})

t.test('canonical and statusDiffers ignore key order and undefined', async (t) => {
  t.equal(canonical({ b: 1, a: [1, { d: undefined, c: 'x' }] }), '{"a":[1,{"c":"x"}],"b":1}')
  t.equal(statusDiffers({ status: { a: 1, b: 2 } }, { b: 2, a: 1 }), false)
  t.equal(statusDiffers({}, { a: 1 }), true)
  t.equal(statusDiffers({}, {}), false)
})

t.test('the writer: writes what differs, only while leading, and counts the results', async (t) => {
  const writes: string[] = []
  let answer: 'written' | 'conflict' | Error = 'written'
  const io: StatusIo = {
    putStatus: async (obj) => {
      if (answer instanceof Error) throw answer
      writes.push(String((obj['metadata'] as JsonObject)['name']))
      return { result: answer }
    },
  }
  let leading = true
  const errors: string[] = []
  const metrics = new ControllerMetrics({ processMetrics: false })
  const writer = new PolicyStatusWriter(ajv, fallback, io, { now: () => new Date(NOW), isLeader: () => leading, metrics, onError: (e) => errors.push(e.message) })
  const p = stored('p', goodSpec)
  const d = stored('d', { rules: [{ name: 'busybox', images: { allow: ['docker.io/library/busybox'] } }] }, { kind: 'DebugPolicy', namespace: 'shop' })
  const first = await writer.sync([p, d])
  t.equal(first.written, 2)
  t.same(writes, ['p', 'd'])
  t.match(first.combined.key, /p@[0-9a-f]{12},shop\/d@/)
  t.same(first.combined.audit.rules.map((r) => r.rule), ['no-privileged', 'busybox', 'busybox'], 'the rule views of every policy in force')
  // Stored as written: nothing to do.
  const pWritten = { ...p, status: desiredStatus(p, new PolicyObjects(ajv).state(p), undefined, '2026-12-01T00:00:00Z') }
  const dWritten = { ...d, status: desiredStatus(d, new PolicyObjects(ajv).state(d), undefined, '2026-12-01T00:00:00Z') }
  t.equal((await writer.sync([pWritten, dWritten])).written, 0, 'no write when nothing changed')
  answer = 'conflict'
  t.equal((await writer.sync([p])).written, 0, 'a conflict is not a write')
  answer = new Error('boom')
  await writer.sync([p])
  t.same(errors, ['boom'])
  leading = false
  writes.length = 0
  answer = 'written'
  const idle = await writer.sync([p, d])
  t.same([idle.written, writes], [0, []], 'not leading: no writes')
  t.equal(idle.combined.key, first.combined.key, 'the set is computed all the same')
  const none = writer.combine([])
  t.same(none.audit.rules.map((r) => r.rule), fallback.views.map((r) => r.rule), 'no cluster policy: the default in force')
  const text = (await metrics.text()).body
  t.match(text, /ephemeral_guard_controller_status_writes_total\{result="written"\} 2/)
  t.match(text, /ephemeral_guard_controller_status_writes_total\{result="conflict"\} 1/)
  t.match(text, /ephemeral_guard_controller_status_writes_total\{result="failed"\} 1/)
})

t.test('a status the API server prunes is not written again and again', async (t) => {
  const writes: JsonObject[] = []
  // The stored copy lacks the Serving condition, as a schema that prunes it would store it.
  const prune = (status: JsonObject): JsonObject => ({ ...status, conditions: (status['conditions'] as JsonObject[]).filter((c) => c['type'] !== 'Serving') })
  const writer = new PolicyStatusWriter(ajv, fallback, {
    putStatus: async (_obj, status) => {
      writes.push(status)
      return { result: 'written', stored: prune(status) }
    },
  }, { now: () => new Date(NOW), isLeader: () => true })
  const p = stored('p', goodSpec)
  await writer.sync([p])
  const asStored = { ...p, status: prune(writes[0]!) }
  t.equal((await writer.sync([asStored])).written, 0, 'the stored, pruned status is recognised')
  t.equal((await writer.sync([asStored])).written, 0, 'still')
  t.equal((await writer.sync([{ ...p, status: { hash: 'edited by hand' } }])).written, 1, 'a status changed by someone else is corrected')
  t.equal((await writer.sync([stored('p', badSpec, { generation: 2, status: prune(writes[0]!) })])).written, 1, 'a new generation is written')
  const noBody = new PolicyStatusWriter(ajv, fallback, { putStatus: async () => ({ result: 'written' }) }, { now: () => new Date(NOW), isLeader: () => true })
  t.equal((await noBody.sync([p])).written, 1, 'an answer without the stored status counts the desired one as stored')
  t.equal((await noBody.sync([p])).written, 1, 'and writes again while the object still shows the old status')
})

t.test("the set audit judges with knows each policy's exemptions, as audit's own does", async (t) => {
  const writer = new PolicyStatusWriter(ajv, fallback, { putStatus: async () => ({ result: 'written' }) }, { now: () => new Date(), isLeader: () => true })
  const exempting = stored('sre-exempt', { exemptions: { groups: ['sre'] }, rules: [{ name: 'no-privileged', securityContext: { allowPrivileged: false } }] })
  const { audit } = writer.combine([exempting])
  const rule = audit.identity?.find((r) => r.rule === 'sre-exempt/no-privileged')
  t.ok(rule, 'the rule is known by its policy/rule name')
  t.same(rule?.lifts, { users: false, groups: true }, "the policy's group exemption can lift its violation: never deny on unknown groups")
})
