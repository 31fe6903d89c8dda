// Issue 12 finding 8: the EPHEMERAL_GUARD_ variables belong to ephemeral-guard. The mutating webhook
// overwrites them all; the validating webhook denies forged provenance. Every decision on a fixed clock.
import t from 'tap'
import fastJsonPatch from 'fast-json-patch'
import { type DecisionContext } from '../../../src/decision/types.js'
import { auditPod } from '../../../src/audit/evaluate.js'
import type { AdmissionReview, JsonObject, JsonValue } from '../../../src/kube/types.js'
import { parsePolicy } from '../../../src/policy/load.js'
import { groupsValid, groupsValue, REQUESTED_GROUPS_MAX_BYTES } from '../../../src/decision/mutation/provenance.js'
import { debugContainer, admissionReview } from '../../support/reviews.js'
import { answer } from '../../support/decide.js'

const { applyPatch, deepClone } = fastJsonPatch
type Operation = Parameters<typeof applyPatch>[1][number]
type Review = ReturnType<typeof admissionReview>

const NOW = new Date('2026-11-27T03:04:05Z')
const at = (offsetS: number): string => new Date(NOW.getTime() + offsetS * 1000).toISOString().replace(/\.000Z$/, 'Z')
const clock = (offsetS = 0): DecisionContext => ({ now: () => new Date(NOW.getTime() + offsetS * 1000) })
const loaded = parsePolicy('apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: m}\nspec:\n  mutations: {imagePullPolicy: preserve, provenance: {enabled: true}}\n', 'm.yaml')
const PROV = loaded.policy
const USER = 'alice@example.com'
/** The groups of test/support/reviews.ts's userInfo, as recorded. */
const GROUPS = 'sre,system:authenticated'

const decide = (r: AdmissionReview, webhook: 'validate' | 'mutate', context: DecisionContext) =>
  answer(r, webhook, PROV, context).review.response!
const withEnv = (env: JsonObject[]): Review => admissionReview({ added: [debugContainer({ env })], username: USER })

function mutated(r: Review, context: DecisionContext): Review {
  const res = decide(r, 'mutate', context)
  const ops = res.patch === undefined ? [] : JSON.parse(Buffer.from(res.patch, 'base64').toString('utf8')) as Operation[]
  const next = deepClone(r) as Review
  next.request.object = applyPatch(next.request.object, ops, true, false).newDocument as JsonValue
  return next
}
const envAfter = (r: Review): JsonObject[] => {
  const spec = (r.request.object as JsonObject)['spec'] as JsonObject
  return ((spec['ephemeralContainers'] as JsonObject[])[0]!['env'] ?? []) as JsonObject[]
}
const owned = (b: string = USER, a: string = at(0)): JsonObject[] => [
  { name: 'EPHEMERAL_GUARD_REQUESTED_BY', value: b },
  { name: 'EPHEMERAL_GUARD_REQUESTED_AT', value: a },
  { name: 'EPHEMERAL_GUARD_POLICY', value: `m@${PROV.hash}` },
  { name: 'EPHEMERAL_GUARD_REQUESTED_GROUPS', value: GROUPS },
]

t.test('mutation: a forged future EPHEMERAL_GUARD_REQUESTED_AT is overwritten with the time of the request', async (t) => {
  const r = withEnv([{ name: 'DEBUG_TICKET', value: 'INC-1' }, { name: 'EPHEMERAL_GUARD_REQUESTED_AT', value: '2099-01-01T00:00:00Z' }])
  const out = mutated(r, clock())
  t.same(envAfter(out), [
    { name: 'DEBUG_TICKET', value: 'INC-1' },
    { name: 'EPHEMERAL_GUARD_REQUESTED_AT', value: at(0) },
    { name: 'EPHEMERAL_GUARD_REQUESTED_BY', value: USER },
    { name: 'EPHEMERAL_GUARD_POLICY', value: `m@${PROV.hash}` },
    { name: 'EPHEMERAL_GUARD_REQUESTED_GROUPS', value: GROUPS },
  ])
  t.equal(decide(r, 'mutate', clock()).auditAnnotations?.['requested-at'], at(0), 'the audit annotation tells the true time')
})

t.test('mutation: owns every EPHEMERAL_GUARD_ variable', async (t) => {
  const cases: Array<[string, JsonObject[], JsonObject[]]> = [
    ['an unknown name with the prefix is removed', [{ name: 'EPHEMERAL_GUARD_APPROVED', value: 'yes' }, { name: 'A', value: '1' }], [{ name: 'A', value: '1' }, ...owned()]],
    ['valueFrom on the timestamp is replaced by a value', [{ name: 'EPHEMERAL_GUARD_REQUESTED_AT', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      [{ name: 'EPHEMERAL_GUARD_REQUESTED_AT', value: at(0) }, owned()[0]!, owned()[2]!, owned()[3]!]],
    ['a forged policy is overwritten', [{ name: 'EPHEMERAL_GUARD_POLICY', value: 'lenient@000000000000' }], [{ name: 'EPHEMERAL_GUARD_POLICY', value: `m@${PROV.hash}` }, ...owned().slice(0, 2), owned()[3]!]],
    ['forged groups are overwritten', [{ name: 'EPHEMERAL_GUARD_REQUESTED_GROUPS', value: 'system:masters' }], [{ name: 'EPHEMERAL_GUARD_REQUESTED_GROUPS', value: GROUPS }, ...owned().slice(0, 3)]],
    ['every entry of an owned name is overwritten', [{ name: 'EPHEMERAL_GUARD_REQUESTED_AT', value: '2099-01-01T00:00:00Z' }, { name: 'EPHEMERAL_GUARD_REQUESTED_AT', value: 'x' }],
      [{ name: 'EPHEMERAL_GUARD_REQUESTED_AT', value: at(0) }, { name: 'EPHEMERAL_GUARD_REQUESTED_AT', value: at(0) }, owned()[0]!, owned()[2]!, owned()[3]!]],
    ['a timestamp 61 s old is replaced', owned(USER, at(-61)), owned()],
    ['a timestamp 6 s ahead is replaced', owned(USER, at(6)), owned()],
    ['a timestamp that is no RFC 3339 is replaced', owned(USER, '1764212645'), owned()],
    ['reinvocation: a timestamp 30 s old is kept (half the validating window)', owned(USER, at(-30)), owned(USER, at(-30))],
    ['a timestamp 31 s old is replaced, so validation 30 s later still passes', owned(USER, at(-31)), owned()],
    ['reinvocation: a timestamp within the window is kept (5 s ahead)', owned(USER, at(5)), owned(USER, at(5))],
  ]
  for (const [name, env, want] of cases) {
    const out = mutated(withEnv(env), clock())
    t.same(envAfter(out), want, name)
    t.equal(decide(out, 'validate', clock()).allowed, true, `${name}: the mutated container passes validation`)
    t.equal(decide(out, 'mutate', clock()).patch, undefined, `${name}: a fixed point`)
  }
})

t.test('validation: forged provenance is denied (the mutating webhook fails open)', async (t) => {
  const message = (env: JsonObject[], o = clock()) => decide(withEnv(env), 'validate', o).status?.message
  t.equal(decide(withEnv(owned()), 'validate', clock()).allowed, true, 'true provenance passes')
  t.equal(decide(withEnv([]), 'validate', clock()).allowed, true, 'no provenance passes (the mutating webhook may be down)')
  const denied: Array<[string, JsonObject[], string]> = [
    ['a future timestamp', owned(USER, '2099-01-01T00:00:00Z'), 'env[1]: Forbidden: EPHEMERAL_GUARD_REQUESTED_AT must be the time of the request'],
    ['6 s ahead', owned(USER, at(6)), 'env[1]: Forbidden: EPHEMERAL_GUARD_REQUESTED_AT must be the time of the request'],
    ['61 s old', owned(USER, at(-61)), 'env[1]: Forbidden: EPHEMERAL_GUARD_REQUESTED_AT must be the time of the request'],
    ['not RFC 3339', owned(USER, '2026-11-27 03:04:05'), 'env[1]: Forbidden: EPHEMERAL_GUARD_REQUESTED_AT must be the time of the request'],
    ['an impossible date', owned(USER, '2026-02-30T03:04:05Z'), 'env[1]: Forbidden: EPHEMERAL_GUARD_REQUESTED_AT must be the time of the request'],
    ['an offset an hour off', owned(USER, '2026-11-27T03:04:05+01:00'), 'env[1]: Forbidden: EPHEMERAL_GUARD_REQUESTED_AT must be the time of the request'],
    ['an impossible hour', owned(USER, '2026-11-27T24:04:05Z'), 'env[1]: Forbidden: EPHEMERAL_GUARD_REQUESTED_AT must be the time of the request'],
    ['an impossible offset', owned(USER, '2026-11-27T03:04:05+99:99'), 'env[1]: Forbidden: EPHEMERAL_GUARD_REQUESTED_AT must be the time of the request'],
    ['another requester', owned('mallory'), 'env[0]: Forbidden: EPHEMERAL_GUARD_REQUESTED_BY must be the requester\'s username "alice@example.com"'],
    ['valueFrom on the timestamp', [{ name: 'EPHEMERAL_GUARD_REQUESTED_AT', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], 'env[0]: Forbidden: EPHEMERAL_GUARD_REQUESTED_AT must be a value set by ephemeral-guard, not valueFrom'],
    ['valueFrom on the policy', [{ name: 'EPHEMERAL_GUARD_POLICY', value: 'm@x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], 'env[0]: Forbidden: EPHEMERAL_GUARD_POLICY must be a value set by ephemeral-guard, not valueFrom'],
    ['other groups', owned().map((e) => (e['name'] === 'EPHEMERAL_GUARD_REQUESTED_GROUPS' ? { ...e, value: 'sre,system:masters' } : e)),
      'env[3]: Forbidden: EPHEMERAL_GUARD_REQUESTED_GROUPS must be the requester\'s groups, comma-separated in request order: "sre,system:authenticated"'],
    ['groups in another order', owned().map((e) => (e['name'] === 'EPHEMERAL_GUARD_REQUESTED_GROUPS' ? { ...e, value: 'system:authenticated,sre' } : e)),
      'env[3]: Forbidden: EPHEMERAL_GUARD_REQUESTED_GROUPS must be the requester\'s groups'],
    ['a prefix of the groups that is not the clipped form', [{ name: 'EPHEMERAL_GUARD_REQUESTED_GROUPS', value: 'sre' }], 'env[0]: Forbidden: EPHEMERAL_GUARD_REQUESTED_GROUPS must be the requester\'s groups'],
    ['valueFrom on the groups', [{ name: 'EPHEMERAL_GUARD_REQUESTED_GROUPS', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], 'env[0]: Forbidden: EPHEMERAL_GUARD_REQUESTED_GROUPS must be a value set by ephemeral-guard, not valueFrom'],
    ['an unknown name with the prefix', [{ name: 'EPHEMERAL_GUARD_APPROVED', value: 'yes' }], 'env[0]: Forbidden: EPHEMERAL_GUARD_APPROVED is not a variable of ephemeral-guard, which reserves the EPHEMERAL_GUARD_ prefix'],
  ]
  for (const [name, env, want] of denied) t.match(message(env), `spec.ephemeralContainers[0].${want}`, name)
  // A value that is no string never comes from an API server (it cannot decode it): refused as it would be.
  const notString = decide(withEnv([owned()[0]!, { name: 'EPHEMERAL_GUARD_REQUESTED_AT', value: 1764212645 }]), 'validate', clock())
  t.equal(notString.status?.code, 400, 'a timestamp that is not a string: refused before admission, as the API server does')
  const allowed: Array<[string, JsonObject[]]> = [
    ['60 s old', owned(USER, at(-60))],
    ['5 s ahead', owned(USER, at(5))],
    ['the same instant with an offset', owned(USER, '2026-11-27T04:04:05+01:00')],
    ['fractional seconds', owned(USER, '2026-11-27T03:04:04.678Z')],
  ]
  for (const [name, env] of allowed) t.equal(decide(withEnv(env), 'validate', clock()).allowed, true, name)
  // envFrom could supply the variables while the mutating webhook is down; once it has written all
  // three, env overrides envFrom.
  const fromConfigMap = (env: JsonObject[]): Review => admissionReview({ added: [debugContainer({ env, envFrom: [{ configMapRef: { name: 'forged' } }] })], username: USER })
  t.match(decide(fromConfigMap([]), 'validate', clock()).status?.message,
    "spec.ephemeralContainers[0].envFrom: Forbidden: could supply EPHEMERAL_GUARD_ variables: a container with envFrom must carry ephemeral-guard's own EPHEMERAL_GUARD_REQUESTED_BY, EPHEMERAL_GUARD_REQUESTED_AT and EPHEMERAL_GUARD_POLICY (the mutating webhook did not run) (rule provenance)",
    'envFrom without the variables is denied')
  t.equal(decide(fromConfigMap([owned()[0]!]), 'validate', clock()).allowed, false, 'one of the three is not enough')
  t.equal(decide(fromConfigMap(owned()), 'validate', clock()).allowed, true, 'envFrom next to all three passes')
  t.equal(decide(mutated(fromConfigMap([]), clock()), 'validate', clock()).allowed, true, 'as the mutating webhook leaves it')
  t.equal(decide(withEnv(owned()), 'validate', clock(61)).allowed, false, 'the window is measured on the clock of the validating webhook')
  const junk = [{ value: 'no name' }, { name: null, value: 'null name' } as unknown as JsonObject]
  t.same(envAfter(mutated(withEnv(junk), clock())), [...junk, ...owned()], 'the mutation keeps entries that are not named')
  t.notMatch(decide(withEnv([...junk, ...owned()]), 'validate', clock()).status?.message, /rule provenance/, 'and they are left to Kubernetes\' checks')
})

t.test('audit judges admitted containers without the time window: their timestamps are history', async (t) => {
  const pod: JsonObject = {
    metadata: { name: 'shop-1', namespace: 'shop', uid: 'u1' },
    spec: { containers: [{ name: 'cart', image: 'cart:1' }], ephemeralContainers: [{ ...debugContainer(), env: owned(USER, '2026-01-01T00:00:00Z') }] },
  }
  const [found] = auditPod(pod, loaded, { now: NOW })
  t.equal(found?.requestedAt, '2026-01-01T00:00:00Z')
  t.same(found?.violations, [], 'no provenance violation for a container admitted long ago')
})

t.test('groups: recorded in request order, clipped at 2 KiB, and checked against the request', async (t) => {
  const many = Array.from({ length: 300 }, (_, i) => `team-${String(i).padStart(3, '0')}`)
  const review = (groups: string[], env: JsonObject[] = []): Review => admissionReview({ added: [debugContainer({ env })], username: USER, groups })
  const out = mutated(review(many), clock())
  const value = envAfter(out).find((e) => e['name'] === 'EPHEMERAL_GUARD_REQUESTED_GROUPS')?.['value'] as string
  t.equal(groupsValue(many), value, 'the value groupsValue gives')
  t.ok(value.endsWith('…'), 'clipped with an ellipsis')
  t.ok(Buffer.byteLength(JSON.stringify(value)) <= REQUESTED_GROUPS_MAX_BYTES, `at most ${REQUESTED_GROUPS_MAX_BYTES} bytes as JSON`)
  t.ok(many.join(',').startsWith(value.slice(0, -1)), 'a prefix of the whole list')
  t.equal(decide(out, 'validate', clock()).allowed, true, 'the clipped form passes validation')
  t.equal(decide(out, 'mutate', clock()).patch, undefined, 'a fixed point')
  const whole = owned().map((e) => (e['name'] === 'EPHEMERAL_GUARD_REQUESTED_GROUPS' ? { ...e, value: many.join(',') } : e))
  t.equal(decide(review(many, whole), 'validate', clock()).allowed, true, 'the whole list passes too (written while the mutating webhook was down)')
  const clippedElsewhere = owned().map((e) => (e['name'] === 'EPHEMERAL_GUARD_REQUESTED_GROUPS' ? { ...e, value: `${value.slice(0, -10)}…` } : e))
  t.equal(decide(review(many, clippedElsewhere), 'validate', clock()).allowed, false, 'any other prefix is refused')
  t.same(envAfter(mutated(review([]), clock())).at(-1), { name: 'EPHEMERAL_GUARD_REQUESTED_GROUPS', value: '' }, 'no groups: recorded as empty (known to be none)')
  t.equal(groupsValid('', []), true)
  t.equal(groupsValid(undefined, []), false, 'no value is no record')
})

t.test('groups: provenance.groups: false leaves them out, and removes a planted value', async (t) => {
  const off = parsePolicy('apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: m}\nspec:\n  mutations: {imagePullPolicy: preserve, provenance: {enabled: true, groups: false}}\n', 'm.yaml')
  t.equal(off.policy.mutations?.provenanceGroups, false, 'compiled')
  t.equal(PROV.mutations?.provenanceGroups, undefined, 'absent by default: recorded')
  const r = withEnv([{ name: 'EPHEMERAL_GUARD_REQUESTED_GROUPS', value: 'system:masters' }])
  const res = answer(r, 'mutate', off.policy, clock()).review.response!
  const ops = JSON.parse(Buffer.from(res.patch!, 'base64').toString('utf8')) as Operation[]
  const next = applyPatch(deepClone(r) as Review, ops.map((o) => ({ ...o, path: `/request/object${o.path}` })), true, false).newDocument as Review
  t.same(envAfter(next).map((e) => e['name']), ['EPHEMERAL_GUARD_REQUESTED_BY', 'EPHEMERAL_GUARD_REQUESTED_AT', 'EPHEMERAL_GUARD_POLICY'])
  t.equal(answer(next, 'validate', off.policy, clock()).review.response!.allowed, true)
  t.equal(answer(r, 'validate', off.policy, clock()).review.response!.allowed, false, 'a forged value is still refused')
})
