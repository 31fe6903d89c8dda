// The DebugPolicy kind in `policy check`, and validatePolicyObject: a policy object as the API server
// stores it (what the policy webhook and the informer validate), with the same problems as the file.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { PolicyError } from '../../src/errors.js'
import { ALL_POLICY_KINDS, MAX_POLICY_OBJECT_SPEC_BYTES, MAX_POLICY_RULES, parsePolicy, parsePolicyAsync, validatePolicyObject } from '../../src/policy/load.js'
import type { DebugPolicyDocument, PolicyDocument } from '../../src/policy/types.js'

const DEBUG_HEAD = 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: DebugPolicy\nmetadata: {name: team, namespace: shop}\n'

function problems(text: string, kinds = ALL_POLICY_KINDS): readonly string[] {
  try {
    parsePolicy(text, 'p.yaml', kinds)
  } catch (e) {
    if (e instanceof PolicyError) return e.problems
    throw e
  }
  return []
}

/** What the API server hands a webhook or an informer: the document plus the server's metadata and a status. */
const stored = (doc: object): Record<string, unknown> => {
  const d = doc as { metadata: Record<string, unknown> }
  return {
    ...doc,
    metadata: {
      ...d.metadata,
      uid: '2d5f7c1e-0000-4000-8000-000000000001', generation: 3, resourceVersion: '812', creationTimestamp: '2026-12-01T00:00:00Z',
      managedFields: [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'ephemeral-guard.dev/v1alpha1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }],
    },
    status: { observedGeneration: 3, hash: 'abc', rules: 1, conditions: [{ type: 'Ready', status: 'True' }] },
  }
}

t.test('policy check takes a DebugPolicy: mode and rules, checked as a cluster policy\'s rules are', async (t) => {
  const text = `${DEBUG_HEAD}spec:\n  mode: warn\n  rules:\n    - {name: images, match: {users: [dev-*]}, images: {allow: [busybox]}}\n    - {name: caps, securityContext: {allowedCapabilities: [SYS_PTRACE]}}\n`
  const loaded = parsePolicy(text, 'team.yaml', ALL_POLICY_KINDS)
  t.equal(loaded.kind, 'DebugPolicy')
  t.equal(loaded.policy.name, 'team')
  t.same(loaded.rules.map((r) => [r.rule, r.mode]), [['images', 'warn'], ['caps', 'warn']])
  t.equal(parsePolicy(readFileSync(new URL('../../policies/default.yaml', import.meta.url), 'utf8'), 'default.yaml', ALL_POLICY_KINDS).kind, 'EphemeralContainerPolicy')
})

t.test('a DebugPolicy cannot reach other namespaces, exempt, mutate or set limits; its rules get the semantic checks', async (t) => {
  const cases: Array<[string, string, string[]]> = [
    ['fields of cluster policies', `${DEBUG_HEAD}spec: {exemptions: {users: [me]}, mutations: {provenance: {enabled: true}}, limits: {maxNewContainers: 1}}`,
      ['spec.exemptions: unknown field', 'spec.mutations: unknown field', 'spec.limits: unknown field']],
    ['namespaces in match', `${DEBUG_HEAD}spec: {rules: [{name: r, match: {namespaces: [prod], excludeNamespaces: [dev], users: [a]}}]}`, [
      "spec.rules[0].match.namespaces: not allowed in a DebugPolicy: its rules apply only in the policy's own namespace",
      "spec.rules[0].match.excludeNamespaces: not allowed in a DebugPolicy: its rules apply only in the policy's own namespace",
    ]],
    ['an unknown rule field and a bad mode', `${DEBUG_HEAD}spec: {mode: block, rules: [{name: r, imagez: {}}]}`, ['spec.mode: must be one of "enforce", "warn", "audit"', 'spec.rules[0].imagez: unknown field']],
    ['semantic checks', `${DEBUG_HEAD}spec: {rules: [{name: r, images: {deny: ["a//b"]}}, {name: r, env: {require: [{name: X, pattern: "(?=x)"}]}, securityContext: {allowedCapabilities: [CAP_SYS_ADMIN]}}, {name: s, schema: {type: strange}}]}`, [
      'spec.rules[0].images.deny[0]: image pattern "a//b" has an empty path segment',
      'spec.rules[1].name: duplicate rule name "r"',
      'spec.rules[1].env.require[0].pattern: ',
      'spec.rules[1].securityContext.allowedCapabilities[0]: capability "CAP_SYS_ADMIN" never matches',
      'spec.rules[2].schema: schema is invalid',
    ]],
    ['a bad name and namespace', 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: DebugPolicy\nmetadata: {name: Team, namespace: "a.b", uid: x}\nspec: {}', [
      'metadata.uid: unknown field', 'metadata.name: must match pattern', 'metadata.namespace: must match pattern',
    ]],
    ['the kind decides the schema', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nspec: {}', ['apiVersion: must be "ephemeral-guard.dev/v1alpha1"', 'kind: must be "EphemeralContainerPolicy"']],
    ['a cluster policy has no namespace', 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: x, namespace: shop}\nspec: {}', ['metadata.namespace: unknown field']],
  ]
  for (const [name, text, expected] of cases) {
    const got = problems(text)
    t.equal(got.length, expected.length, `${name}: ${JSON.stringify(got)}`)
    expected.forEach((e, i) => t.ok(got[i]?.startsWith(e), `${name}: ${got[i]} starts with ${e}`))
  }
})

t.test('where a cluster policy is needed (serve, review, audit, test), a DebugPolicy is refused, saying why', async (t) => {
  const text = `${DEBUG_HEAD}spec: {rules: [{name: r}]}`
  const why = 'kind: a DebugPolicy is read from the cluster (kubectl apply -n NAMESPACE) and applies in its own namespace only; here a policy of kind "EphemeralContainerPolicy" is needed'
  t.same(problems(text, ['EphemeralContainerPolicy']), [why])
  t.same(problems(text.replace('kind: DebugPolicy', 'kind: EphemeralContainerPolicy').replace(', namespace: shop', ''), ['DebugPolicy']),
    ['kind: "EphemeralContainerPolicy" is not taken here; here a policy of kind "DebugPolicy" is needed'])
  const async = await parsePolicyAsync(text, 'p.yaml').then(() => [], (e: unknown) => (e as PolicyError).problems)
  t.same(async, [why], 'parsePolicyAsync (serve\'s reload) too')
})

t.test('validatePolicyObject: a stored object validates as its document does', async (t) => {
  const ecp: PolicyDocument = { apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'EphemeralContainerPolicy', metadata: { name: 'org', labels: { team: 'platform' } }, spec: { mode: 'enforce', rules: [{ name: 'r', images: { allow: ['busybox'] } }], mutations: { provenance: { enabled: true } } } }
  const debug: DebugPolicyDocument = { apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'DebugPolicy', metadata: { name: 'team', namespace: 'shop', annotations: { a: 'b' } }, spec: { rules: [{ name: 'r', match: { users: ['dev-*'] }, subjects: { groups: ['shop-oncall'] } }] } }
  t.same(validatePolicyObject(stored(ecp), 'ephemeralcontainerpolicy/org'), { kind: 'EphemeralContainerPolicy', problems: [] })
  t.same(validatePolicyObject(stored(debug), 'shop/debugpolicy/team'), { kind: 'DebugPolicy', problems: [] }, 'a DebugPolicy round-trips')
  // The same problems as `policy check` of the same document, in the same order.
  const bad = { ...debug, spec: { mode: 'strict', exemptions: {}, rules: [{ name: 'r', match: { namespaces: ['x'] } }, { name: 'r', images: { allow: ['a//b'] } }, { name: 'r' }] } }
  const expected = problems(JSON.stringify(bad))
  t.ok(expected.length >= 4, JSON.stringify(expected))
  t.same(validatePolicyObject(stored(bad), 'shop/debugpolicy/team'), { kind: 'DebugPolicy', problems: expected })
  for (const policy of readdirSync(new URL('../../policies/examples/', import.meta.url)).filter((f) => f.endsWith('.yaml'))) {
    const doc = parse(readFileSync(new URL(`../../policies/examples/${policy}`, import.meta.url), 'utf8')) as object
    t.same(validatePolicyObject(stored(doc), policy).problems, [], `${policy} as an object`)
  }
})

t.test('validatePolicyObject: whatever it is given, problems, never a throw', async (t) => {
  t.same(validatePolicyObject(null, 'x'), { kind: 'EphemeralContainerPolicy', problems: ['(document): must be object'] })
  t.same(validatePolicyObject([1], 'x').problems, ['(document): must be object'])
  t.same(validatePolicyObject({ apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'DebugPolicy', metadata: 'team', spec: {} }, 'x'), { kind: 'DebugPolicy', problems: ['metadata: must be object'] })
  t.same(validatePolicyObject({ apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'DebugPolicy', metadata: { generateName: 'team-' } }, 'x').problems,
    ["(document): must have required property 'spec'", "metadata: must have required property 'name'"])
  const head = { apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'EphemeralContainerPolicy', metadata: { name: 'big' } }
  const huge = { ...head, spec: { rules: [{ name: 'r', description: 'x'.repeat(MAX_POLICY_OBJECT_SPEC_BYTES) }] } }
  t.same(validatePolicyObject(huge, 'x').problems, [`spec: ${MAX_POLICY_OBJECT_SPEC_BYTES + 41} bytes of JSON; at most ${MAX_POLICY_OBJECT_SPEC_BYTES} bytes are accepted`])
  const many = { ...head, spec: { rules: Array.from({ length: MAX_POLICY_RULES + 1 }, (_, i) => ({ name: `r${i}` })) } }
  t.same(validatePolicyObject(many, 'x').problems, [`spec.rules: ${MAX_POLICY_RULES + 1} rules; at most ${MAX_POLICY_RULES} are accepted`])
})
