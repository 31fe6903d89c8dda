// Several policy objects combined (docs/design/policies-and-grants.md §2), judged end to end.
import t from 'tap'
import { parse } from 'yaml'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { lazyPolicyAjv } from '../../src/schemas.js'
import { combinePolicies, compileClusterPolicy, compileDebugPolicy, specHash, POLICY_LIST_MAX_BYTES, type ServedPolicy } from '../../src/policy/policy-set.js'
import type { DebugPolicyDocument, PolicyDocument } from '../../src/policy/types.js'
import { admissionReview, debugContainer, profileContainer, type ReviewOptions } from '../support/reviews.js'
import { answer } from '../support/decide.js'
import type { Policy } from '../../src/decision/types.js'

const ajv = lazyPolicyAjv() as Ajv2020

const cluster = (name: string, spec: string, createdAt = '2026-01-01T00:00:00Z'): ServedPolicy =>
  compileClusterPolicy(parse(`apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: ${name}}\nspec:\n${spec}`) as PolicyDocument, createdAt, ajv)

const debugPolicy = (namespace: string, name: string, spec: string): ServedPolicy =>
  compileDebugPolicy(parse(`apiVersion: ephemeral-guard.dev/v1alpha1\nkind: DebugPolicy\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n${spec}`) as DebugPolicyDocument, namespace, '2026-01-01T00:00:00Z', ajv)

const noPrivileged = '  rules:\n  - name: no-privileged\n    securityContext: {allowPrivileged: false}\n'
const onlyDigests = '  rules:\n  - name: digests\n    images: {requireDigest: true}\n'
const fallback = cluster('default', '  rules: []\n')

const rulesOf = (policy: Policy, o: ReviewOptions): string[] => answer(admissionReview(o), 'validate', policy).summary.rules.map((r) => r.rule)
const causesOf = (policy: Policy, o: ReviewOptions): string[] =>
  (answer(admissionReview(o), 'validate', policy).review.response?.status?.details?.causes ?? []).map((c) => c.message ?? '')

t.test('specHash ignores key order and tells specs apart', async (t) => {
  t.equal(specHash({ a: 1, b: [{ c: 2, d: 3 }] }), specHash({ b: [{ d: 3, c: 2 }], a: 1 }))
  t.not(specHash({ a: 1 }), specHash({ a: 2 }))
  t.match(specHash({}), /^[0-9a-f]{12}$/)
})

t.test('every rule of every policy applies, and messages name policy/rule', async (t) => {
  const { policy, inForce } = combinePolicies([cluster('images', onlyDigests), cluster('privileges', noPrivileged)], [], fallback)
  t.same(inForce.map((r) => r.name), ['images', 'privileges'])
  const privileged = { added: [profileContainer('sysadmin', { image: 'busybox:1.36' })] }
  t.same(rulesOf(policy, privileged), ['images/digests', 'privileges/no-privileged'])
  t.ok(causesOf(policy, privileged).some((m) => m.endsWith('(rule privileges/no-privileged)')), 'the cause names policy/rule')
  t.same(rulesOf(policy, { added: [debugContainer({ image: `busybox@sha256:${'e'.repeat(64)}` })] }), [])
})

t.test("an exemption applies only within its own policy", async (t) => {
  const exempting = cluster('privileges', `  exemptions: {groups: [sre]}\n${noPrivileged}`)
  const { policy } = combinePolicies([exempting, cluster('images', onlyDigests)], [], fallback)
  const o = { groups: ['sre'], added: [profileContainer('sysadmin', { image: 'busybox:1.36' })] }
  t.same(rulesOf(policy, o), ['images/digests'], 'exempt from privileges, still judged by images')
  t.equal(answer(admissionReview(o), 'validate', policy).summary.outcome, 'denied')

  const both = combinePolicies([exempting, cluster('images', `  exemptions: {groups: [sre]}\n${onlyDigests}`)], [], fallback).policy
  const decision = answer(admissionReview(o), 'validate', both)
  t.equal(decision.summary.outcome, 'exempt', 'exempt as a whole when every policy exempts')
  t.match(decision.summary.note, /group "sre" matches exemption "sre"/)
})

t.test('a DebugPolicy restricts its own namespace only, and no exemption reaches it', async (t) => {
  const exemptAll = cluster('base', '  exemptions: {groups: [sre]}\n  rules: []\n')
  const { policy, inForce } = combinePolicies([exemptAll], [debugPolicy('shop', 'tight', onlyDigests), debugPolicy('other', 'x', noPrivileged)], fallback)
  t.same(inForce.map((r) => `${r.kind}:${r.namespace ?? ''}/${r.name}`), ['EphemeralContainerPolicy:/base', 'DebugPolicy:other/x', 'DebugPolicy:shop/tight'])
  // admissionReview's pod is in namespace shop
  const o = { groups: ['sre'], added: [profileContainer('sysadmin', { image: 'busybox:1.36' })] }
  t.same(rulesOf(policy, o), ['shop/tight/digests'], "shop's rule applies, other's does not, the cluster exemption does not lift it")
  const noDebugPolicy = combinePolicies([exemptAll], [debugPolicy('other', 'x', noPrivileged)], fallback).policy
  t.equal(answer(admissionReview(o), 'validate', noDebugPolicy).summary.outcome, 'exempt')
})

t.test('DebugPolicy modes are kept per rule', async (t) => {
  const warnOnly = debugPolicy('shop', 'soft', `  mode: warn\n${onlyDigests}`)
  const { policy } = combinePolicies([fallback], [warnOnly], fallback)
  const d = answer(admissionReview({ added: [debugContainer({ image: 'busybox:1.36' })] }), 'validate', policy)
  t.equal(d.summary.outcome, 'allowed')
  t.same(d.summary.rules, [{ rule: 'shop/soft/digests', mode: 'warn' }])
  t.match(d.review.response?.warnings?.[0], /\(rule shop\/soft\/digests\)$/)
})

t.test('one policy defines mutations: a later one that does too is left out whole', async (t) => {
  const older = cluster('first', '  mutations: {imagePullPolicy: preserve}\n  rules: []\n', '2026-01-01T00:00:00Z')
  const newer = cluster('second', `  mutations: {imagePullPolicy: {pinned: Never, unpinned: Never}}\n${noPrivileged}`, '2026-02-01T00:00:00Z')
  const plain = cluster('third', onlyDigests, '2026-03-01T00:00:00Z')
  const set = combinePolicies([plain, newer, older], [], fallback)
  t.same(set.conflicting.map((r) => r.name), ['second'])
  t.same(set.inForce.map((r) => r.name), ['first', 'third'])
  t.equal(set.policy.mutations?.pullPolicy, undefined, "the older policy's mutations (preserve) are in force")
  t.same(rulesOf(set.policy, { added: [profileContainer('sysadmin', { image: 'busybox:1.36' })] }), ['third/digests'], "the conflicting policy's rules are not served")
  const sameAge = combinePolicies([cluster('b', '  mutations: {}\n  rules: []\n'), cluster('a', '  mutations: {}\n  rules: []\n')], [], fallback)
  t.same(sameAge.conflicting.map((r) => r.name), ['b'], 'same age: by name')
})

t.test('limits: the smallest applies; none given: the built-in', async (t) => {
  const a = cluster('a', '  limits: {maxNewContainers: 5}\n  rules: []\n')
  const b = cluster('b', '  limits: {maxNewContainers: 3}\n  rules: []\n')
  t.equal(combinePolicies([a, b], [], fallback).policy.limits?.maxNewContainers, 3)
  t.equal(combinePolicies([cluster('c', '  rules: []\n')], [], fallback).policy.limits?.maxNewContainers, 100)
})

t.test('no cluster policy: the fallback is in force, with any DebugPolicy', async (t) => {
  const set = combinePolicies([], [debugPolicy('shop', 'tight', onlyDigests)], cluster('default', noPrivileged))
  t.same(set.inForce.map((r) => r.name), ['default', 'tight'])
  t.same(rulesOf(set.policy, { added: [profileContainer('sysadmin', { image: 'busybox:1.36' })] }), ['default/no-privileged', 'shop/tight/digests'])
})

t.test('provenance names every policy in force in the namespace, clipped', async (t) => {
  const withProvenance = cluster('p', '  mutations: {provenance: {enabled: true}}\n  rules: []\n')
  const { policy } = combinePolicies([withProvenance], [debugPolicy('shop', 'tight', onlyDigests)], fallback)
  t.equal(policy.inForce?.('shop'), `p@${withProvenance.ref.hash},shop/tight@${specHash(parse(onlyDigests))}`)
  t.equal(policy.inForce?.('elsewhere'), `p@${withProvenance.ref.hash}`)
  const d = answer(admissionReview({ added: [debugContainer()] }), 'mutate', policy)
  t.equal(d.review.response?.auditAnnotations?.['policy'], policy.inForce?.('shop'))
  const many = combinePolicies(Array.from({ length: 100 }, (_, i) => cluster(`policy-with-a-long-name-${i}`, '  rules: []\n')), [], fallback).policy
  const value = many.inForce!('shop')
  t.ok(value.endsWith('…') && Buffer.byteLength(value) <= POLICY_LIST_MAX_BYTES, 'clipped at 1 KiB')
})
