// Policy objects as the API server stores them, to what is served (design note §2, §6).
import t from 'tap'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { lazyPolicyAjv } from '../../src/schemas.js'
import { defaultServedPolicy, PolicyObjects } from '../../src/policy/policy-objects.js'
import { specHash } from '../../src/policy/policy-set.js'
import type { JsonObject } from '../../src/kube/types.js'

const ajv = lazyPolicyAjv() as Ajv2020
const goodSpec = { rules: [{ name: 'no-privileged', securityContext: { allowPrivileged: false } }] }
const badSpec = { rules: [{ name: 'no-privileged', securityContext: { allowPrivileged: 'no' } }] }

const stored = (kind: string, name: string, spec: unknown, extra: JsonObject = {}, namespace?: string): JsonObject => ({
  apiVersion: 'ephemeral-guard.dev/v1alpha1',
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}), uid: `uid-${name}`, generation: 3, resourceVersion: '17', creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [{ manager: 'kubectl' }] },
  spec: spec as JsonObject,
  ...extra,
})

t.test('a valid object is served from its spec; server-side metadata is not judged', async (t) => {
  const s = new PolicyObjects(ajv).state(stored('EphemeralContainerPolicy', 'p', goodSpec))
  t.same([s.servedFrom, s.problems, s.hash, s.generation], ['spec', [], specHash(goodSpec), 3])
  t.equal(s.served?.ref.name, 'p')
})

t.test('an invalid object: every problem, and its last good copy served when that is sound', async (t) => {
  const objects = new PolicyObjects(ajv)
  const none = objects.state(stored('EphemeralContainerPolicy', 'p', badSpec))
  t.equal(none.servedFrom, 'none')
  t.match(none.problems.join('\n'), /spec\.rules\[0\]\.securityContext\.allowPrivileged: must be boolean/)
  const withLastGood = objects.state(stored('EphemeralContainerPolicy', 'p', badSpec, { status: { lastGood: { generation: 2, hash: specHash(goodSpec), spec: goodSpec } } }))
  t.equal(withLastGood.servedFrom, 'lastGood')
  t.equal(withLastGood.served?.ref.hash, specHash(goodSpec))
  const forged = objects.state(stored('EphemeralContainerPolicy', 'p', badSpec, { status: { lastGood: { generation: 2, hash: 'aaaaaaaaaaaa', spec: goodSpec } } }))
  t.equal(forged.servedFrom, 'none', 'a last good copy whose hash does not match is not served')
  const invalidCopy = objects.state(stored('EphemeralContainerPolicy', 'p', badSpec, { status: { lastGood: { generation: 2, hash: specHash(badSpec), spec: badSpec } } }))
  t.equal(invalidCopy.servedFrom, 'none', 'nor one that is itself invalid')
})

t.test('a DebugPolicy cannot name namespaces, exemptions or mutations', async (t) => {
  const s = new PolicyObjects(ajv).state(stored('DebugPolicy', 'd', { exemptions: { users: ['*'] }, rules: [{ name: 'r', match: { namespaces: ['*'] }, images: { requireDigest: true } }] }, {}, 'shop'))
  t.equal(s.servedFrom, 'none')
  t.match(s.problems.join('\n'), /spec\.exemptions: unknown field/)
  t.match(s.problems.join('\n'), /spec\.rules\[0\]\.match\.namespaces: not allowed in a DebugPolicy/)
  const ok = new PolicyObjects(ajv).state(stored('DebugPolicy', 'd', { mode: 'warn', rules: [{ name: 'r', images: { requireDigest: true } }] }, {}, 'shop'))
  t.same([ok.servedFrom, ok.served?.ref.namespace, ok.served?.rules[0]?.mode], ['spec', 'shop', 'warn'])
})

t.test('combine: compiled specs are kept while their object stays, and the set is built from them', async (t) => {
  const objects = new PolicyObjects(ajv)
  const fallback = defaultServedPolicy(ajv)
  const a = stored('EphemeralContainerPolicy', 'a', goodSpec)
  const first = objects.combine([a, stored('DebugPolicy', 'd', { rules: [{ name: 'r', images: { requireDigest: true } }] }, {}, 'shop')], fallback)
  t.same(first.set.inForce.map((r) => r.name), ['a', 'd'])
  const second = objects.combine([a], fallback)
  t.equal(second.states[0]!.served, first.states[0]!.served, 'not compiled again')
  const none = objects.combine([stored('EphemeralContainerPolicy', 'bad', badSpec)], fallback)
  t.same(none.set.inForce.map((r) => r.name), ['default'], 'no servable cluster policy: the built-in default')
  t.equal(none.states[0]!.servedFrom, 'none')
})

t.test('an object seen before is not judged again; a changed (replaced) object is', async (t) => {
  const objects = new PolicyObjects(ajv)
  const obj = stored('EphemeralContainerPolicy', 'p', goodSpec)
  const first = objects.state(obj)
  t.equal(objects.state(obj), first, 'the same object: the same state, not validated or compiled again')
  const used = new Map()
  objects.state(obj, used)
  t.same([...used.keys()], [`uid-p@${specHash(goodSpec)}`], 'and its compiled spec is still counted as in use')
  const replaced = stored('EphemeralContainerPolicy', 'p', badSpec)
  t.not(objects.state(replaced), first)
  t.equal(objects.state(replaced).servedFrom, 'none')
  const unused = new Map()
  objects.state(replaced, unused)
  t.equal(unused.size, 0, 'nothing served, nothing in use')
  const { set } = await objects.combineAsync([obj], defaultServedPolicy(ajv), async () => {})
  t.same(set.inForce.map((r) => r.name), ['p'], 'combineAsync: the same set as combine')
})

t.test('combineAsync pauses inside one big object, not only between objects', async (t) => {
  const rules = Array.from({ length: 30 }, (_, i) => ({ name: `r${i}`, schema: { properties: { container: { properties: { image: { pattern: `^img${i}` } } } } } }))
  let pauses = 0
  const { states } = await new PolicyObjects(ajv).combineAsync([stored('EphemeralContainerPolicy', 'big', { rules })], defaultServedPolicy(ajv), async () => { pauses++ }, 0)
  t.equal(states[0]!.servedFrom, 'spec')
  t.ok(pauses > 30, `paused ${pauses} times for one object of 30 rules with custom schemas`)
  const sync = new PolicyObjects(ajv).state(stored('EphemeralContainerPolicy', 'big', { rules }))
  t.same(sync.problems, states[0]!.problems)
})
