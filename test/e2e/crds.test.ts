// The policy CRDs (manifests/base/crds/, generated from schemas/policy.schema.json) in the real API
// server: for a corpus of documents of both kinds (every shipped policy, valid DebugPolicies and
// invalid variants of both), a server-side dry-run create accepts exactly what Ajv
// (validatePolicyObject) accepts. The differences that cannot be avoided are listed below as
// webhook-only cases (checks a structural schema cannot express, made by the policy webhook): each is
// asserted to be accepted by the CRD and refused by validatePolicyObject. Then `kubectl get` shows
// the printer columns once a status is written through the status subresource.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import type { JsonObject, JsonValue } from '../../src/kube/types.js'
import { validatePolicyObject } from '../../src/policy/load.js'
import type { DebugPolicyDocument, PolicyDocument } from '../../src/policy/types.js'
import { kubectlOk, REPO_ROOT } from './support/cluster.js'
import { fileCluster } from './support/setup.js'
import { guardNetwork } from './support/network-guard.js'

// Loopback only: fails this file on any socket or Service that could reach off this machine.
guardNetwork(t)

const { cluster } = fileCluster(t, 'crds')
const CRDS = join(REPO_ROOT, 'manifests/base/crds')
const GROUP = 'ephemeral-guard.dev'
const NAMESPACE = 'default'

t.before(async () => {
  await kubectlOk(cluster(), ['apply', '-k', CRDS])
  await kubectlOk(cluster(), ['wait', '--for=condition=Established', '--timeout=60s', `crd/ephemeralcontainerpolicies.${GROUP}`, `crd/debugpolicies.${GROUP}`])
})

type Doc = PolicyDocument | DebugPolicyDocument
const clone = <T>(v: T): T => structuredClone(v)

/** The collection a document is created in. */
const collection = (doc: { kind?: unknown }): string =>
  doc.kind === 'DebugPolicy' ? `/apis/${GROUP}/v1alpha1/namespaces/${NAMESPACE}/debugpolicies` : `/apis/${GROUP}/v1alpha1/ephemeralcontainerpolicies`

/**
 * A server-side dry-run create with Strict field validation (kubectl's default): unknown fields are
 * refused, not pruned. Accepted means 201; the stored object comes back.
 */
async function dryRunCreate(doc: unknown): Promise<{ accepted: boolean; status: number; message: string; body: JsonObject }> {
  const r = await cluster().api('POST', `${collection(doc as { kind?: unknown })}?dryRun=All&fieldValidation=Strict`, doc as JsonValue)
  return { accepted: r.status === 201, status: r.status, message: String(r.body['message'] ?? ''), body: r.body }
}

// ---- The corpus ----

const shipped: Array<[string, Doc]> = [
  ...readdirSync(join(REPO_ROOT, 'policies')).filter((f) => f.endsWith('.yaml')).map((f) => `policies/${f}`),
  ...readdirSync(join(REPO_ROOT, 'policies/examples')).filter((f) => f.endsWith('.yaml')).map((f) => `policies/examples/${f}`),
].map((f) => [f, parse(readFileSync(join(REPO_ROOT, f), 'utf8')) as Doc])

const ECP: PolicyDocument = shipped.find(([f]) => f === 'policies/examples/mutations.yaml')![1] as PolicyDocument
const DEBUG: DebugPolicyDocument = {
  apiVersion: 'ephemeral-guard.dev/v1alpha1',
  kind: 'DebugPolicy',
  metadata: { name: 'team' },
  spec: {
    mode: 'enforce',
    rules: [
      { name: 'oncall-only', match: { podSelector: { matchLabels: { tier: 'db' } } }, subjects: { groups: ['shop-oncall'] } },
      { name: 'images', mode: 'warn', match: { excludeUsers: ['lead'] }, images: { allow: ['registry.example.com/debug/**'], requireDigest: true, forbidTags: ['latest'] } },
      { name: 'pss', podSecurity: { level: 'restricted', version: 'v1.30', exceptions: { capabilities: ['SYS_PTRACE'], checks: ['runAsNonRoot'] } } },
      { name: 'targets', targets: { requireTarget: true, denyContainers: ['vault'], denyPtraceWhenHostPID: true }, env: { forbidSecretRefs: true, require: [{ name: 'TICKET', pattern: '^INC[0-9]+$' }] } },
      { name: 'custom', volumeMounts: { allow: [] }, maxEphemeralContainers: 3, schema: { type: 'object', properties: { container: { type: 'object' } } } },
    ],
  },
}

/** A variant of a base document: `change` edits a copy. */
const variant = <T extends Doc>(base: T, change: (d: T) => void): T => {
  const d = clone(base)
  change(d)
  return d
}
const rule0 = (d: Doc): Record<string, unknown> => d.spec.rules![0] as unknown as Record<string, unknown>
const mutations = (d: PolicyDocument): Record<string, unknown> => d.spec.mutations as unknown as Record<string, unknown>
const seccomp = (d: PolicyDocument): Record<string, unknown> => (mutations(d)['securityContext'] as Record<string, unknown>)['seccompProfile'] as Record<string, unknown>

const valid: Array<[string, unknown]> = [
  ...shipped,
  ['a DebugPolicy of every rule field', DEBUG],
  ['an empty DebugPolicy', { ...clone(DEBUG), spec: {} }],
  ['imagePullPolicy preserve', variant(ECP, (d) => { mutations(d)['imagePullPolicy'] = 'preserve' })],
  ['a Localhost seccomp profile', variant(ECP, (d) => { mutations(d)['securityContext'] = { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/debug.json' } } })],
  ['a custom schema true', variant(DEBUG, (d) => { rule0(d)['schema'] = true })],
  ['limits at the bounds', variant(ECP, (d) => { d.spec.limits = { maxNewContainers: 1000 } })],
]

const invalid: Array<[string, unknown]> = [
  // Both kinds.
  ['wrong enum: mode', variant(ECP, (d) => { (d.spec as Record<string, unknown>)['mode'] = 'block' })],
  ['wrong enum: rule mode (DebugPolicy)', variant(DEBUG, (d) => { rule0(d)['mode'] = 'strict' })],
  ['wrong enum: selector operator', variant(DEBUG, (d) => { rule0(d)['match'] = { podSelector: { matchExpressions: [{ key: 'a', operator: 'Has', values: ['b'] }] } } })],
  ['wrong enum: podSecurity level', variant(ECP, (d) => { rule0(d)['podSecurity'] = { level: 'privileged' } })],
  ['wrong enum: a Pod Security check', variant(DEBUG, (d) => { rule0(d)['podSecurity'] = { level: 'baseline', exceptions: { checks: ['hostPorts'] } } })],
  ['wrong enum: seccomp type', variant(ECP, (d) => { seccomp(d)['type'] = 'Unconfined' })],
  ['unknown field: in a rule', variant(ECP, (d) => { rule0(d)['imagez'] = {} })],
  ['unknown field: in spec', variant(ECP, (d) => { (d.spec as Record<string, unknown>)['extra'] = true })],
  ['unknown field: in a DebugPolicy rule', variant(DEBUG, (d) => { rule0(d)['images'] = { allowed: ['x'] } })],
  ['unknown field: in env.require', variant(DEBUG, (d) => { rule0(d)['env'] = { require: [{ name: 'A', value: 'b' }] } })],
  ['wrong type: images.allow a string', variant(DEBUG, (d) => { rule0(d)['images'] = { allow: 'busybox' } })],
  ['wrong type: requireTarget a string', variant(ECP, (d) => { rule0(d)['targets'] = { requireTarget: 'yes' } })],
  ['wrong type: rules an object', variant(DEBUG, (d) => { (d.spec as Record<string, unknown>)['rules'] = { name: 'r' } })],
  ['wrong type: maxEphemeralContainers 1.5', variant(ECP, (d) => { rule0(d)['maxEphemeralContainers'] = 1.5 })],
  ['wrong type: a label value a number', variant(DEBUG, (d) => { rule0(d)['match'] = { podSelector: { matchLabels: { a: 1 } } } })],
  ['wrong type: spec a list', variant(ECP, (d) => { (d as unknown as Record<string, unknown>)['spec'] = [] })],
  ['bad const: privileged true', variant(ECP, (d) => { (mutations(d)['securityContext'] as Record<string, unknown>)['privileged'] = true })],
  ['bad const: runAsNonRoot false', variant(ECP, (d) => { (mutations(d)['securityContext'] as Record<string, unknown>)['runAsNonRoot'] = false })],
  ['missing required: rule name', variant(DEBUG, (d) => { delete rule0(d)['name'] })],
  ['missing required: podSecurity level', variant(DEBUG, (d) => { rule0(d)['podSecurity'] = { version: 'latest' } })],
  ['missing required: provenance.enabled', variant(ECP, (d) => { mutations(d)['provenance'] = {} })],
  ['missing required: selector key', variant(ECP, (d) => { rule0(d)['match'] = { podSelector: { matchExpressions: [{ operator: 'Exists' }] } } })],
  ['missing required: spec', (() => { const { spec: _spec, ...rest } = clone(DEBUG); return rest })()],
  ['missing required: a Localhost profile', variant(ECP, (d) => { seccomp(d)['type'] = 'Localhost' })],
  ['forbidden: a profile without Localhost', variant(ECP, (d) => { seccomp(d)['localhostProfile'] = 'p.json' })],
  ['bounds: maxEphemeralContainers -1', variant(DEBUG, (d) => { rule0(d)['maxEphemeralContainers'] = -1 })],
  ['bounds: maxNewContainers 0', variant(ECP, (d) => { d.spec.limits = { maxNewContainers: 0 } })],
  ['bounds: maxNewContainers 1001', variant(ECP, (d) => { d.spec.limits = { maxNewContainers: 1001 } })],
  ['bounds: runAsUser 0', variant(ECP, (d) => { (mutations(d)['securityContext'] as Record<string, unknown>)['runAsUser'] = 0 })],
  ['bounds: an empty glob', variant(DEBUG, (d) => { rule0(d)['subjects'] = { users: [''] } })],
  ['bounds: an empty mirror key', variant(ECP, (d) => { mutations(d)['registryMirrors'] = { '': 'mirror.example.com' } })],
  ['bounds: a mirror key of 256 characters', variant(ECP, (d) => { mutations(d)['registryMirrors'] = { [`${'a'.repeat(252)}.com`]: 'mirror.example.com' } })],
  ['bounds: an empty mirror', variant(ECP, (d) => { mutations(d)['registryMirrors'] = { 'docker.io': '' } })],
  ['pattern: a rule name', variant(DEBUG, (d) => { rule0(d)['name'] = 'Bad_Name' })],
  ['pattern: a rule name of 64 characters', variant(ECP, (d) => { rule0(d)['name'] = 'a'.repeat(64) })],
  ['pattern: podSecurity version', variant(DEBUG, (d) => { rule0(d)['podSecurity'] = { level: 'baseline', version: 'v2.0' } })],
  ['pattern: a capability exception', variant(DEBUG, (d) => { rule0(d)['podSecurity'] = { level: 'baseline', exceptions: { capabilities: ['sys_ptrace'] } } })],
  ['pattern: the policy name', variant(ECP, (d) => { d.metadata.name = 'Bad_Name' })],
  ['pattern: a policy name of 64 characters', variant(DEBUG, (d) => { d.metadata.name = 'p'.repeat(64) })],
  ['bounds: more rules than policy check takes', variant(DEBUG, (d) => { d.spec.rules = Array.from({ length: 5001 }, (_, i) => ({ name: `r${i}` })) })],
  // What a DebugPolicy cannot do.
  ['DebugPolicy: match.namespaces', variant(DEBUG, (d) => { rule0(d)['match'] = { namespaces: ['prod-*'] } })],
  ['DebugPolicy: match.excludeNamespaces', variant(DEBUG, (d) => { rule0(d)['match'] = { users: ['a'], excludeNamespaces: ['kube-system'] } })],
  ['DebugPolicy: exemptions', variant(DEBUG, (d) => { (d.spec as Record<string, unknown>)['exemptions'] = { users: ['me'] } })],
  ['DebugPolicy: mutations', variant(DEBUG, (d) => { (d.spec as Record<string, unknown>)['mutations'] = { provenance: { enabled: false } } })],
  ['DebugPolicy: limits', variant(DEBUG, (d) => { (d.spec as Record<string, unknown>)['limits'] = { maxNewContainers: 1000 } })],
]

/**
 * Accepted by the CRD, refused by validatePolicyObject: semantic checks a structural schema cannot
 * make (the policy webhook makes them at apply time; a policy that slips in gets Invalid status), the
 * size of a spec (the API server bounds the request, not a field), and two fields the CRD must keep untyped (a structural schema has no string-or-object type, and CEL
 * cannot read an untyped field).
 */
const webhookOnly: Array<[string, unknown]> = [
  ['duplicate rule names', variant(DEBUG, (d) => { d.spec.rules![1]!.name = d.spec.rules![0]!.name })],
  ['an image pattern that is no pattern', variant(ECP, (d) => { rule0(d)['images'] = { allow: ['registry.example.com/debug-*'] } })],
  ['an env pattern RE2 cannot run', variant(DEBUG, (d) => { rule0(d)['env'] = { require: [{ name: 'T', pattern: '^(?=INC)' }] } })],
  ['a capability misspelled', variant(DEBUG, (d) => { rule0(d)['securityContext'] = { allowedCapabilities: ['CAP_SYS_PTRACE'] } })],
  ['a capability drop misspelled', variant(ECP, (d) => { (mutations(d)['securityContext'] as Record<string, unknown>)['capabilities'] = { drop: ['all'] } })],
  ['ALL as a Pod Security exception', variant(ECP, (d) => { rule0(d)['podSecurity'] = { level: 'baseline', exceptions: { capabilities: ['ALL'] } } })],
  ['a selector In without values', variant(DEBUG, (d) => { rule0(d)['match'] = { podSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } } })],
  ['a mirror key that is no registry', variant(ECP, (d) => { mutations(d)['registryMirrors'] = { 'bad host': 'mirror.example.com' } })],
  ['a mirror of a mirrored registry', variant(ECP, (d) => { mutations(d)['registryMirrors'] = { 'docker.io': 'ghcr.io/x', 'ghcr.io': 'mirror.example.com' } })],
  ['a custom schema that does not compile', variant(DEBUG, (d) => { rule0(d)['schema'] = { type: 'strange' } })],
  ['a custom schema that is a number', variant(DEBUG, (d) => { rule0(d)['schema'] = 3 })],
  ['a custom schema that is a string', variant(ECP, (d) => { rule0(d)['schema'] = 'object' })],
  ['a spec larger than 512 KiB (an object and its last good copy must fit etcd)', variant(ECP, (d) => { d.spec.rules![0]!.description = 'x'.repeat(600 * 1024) })],
  ['imagePullPolicy: another string (untyped in the CRD)', variant(ECP, (d) => { mutations(d)['imagePullPolicy'] = 'always' })],
  ['imagePullPolicy: an object without unpinned (untyped in the CRD)', variant(ECP, (d) => { mutations(d)['imagePullPolicy'] = { pinned: 'Always' } })],
  ['imagePullPolicy: a pull policy not in the enum (untyped in the CRD)', variant(ECP, (d) => { mutations(d)['imagePullPolicy'] = { pinned: 'Sometimes', unpinned: 'Always' } })],
  ['imagePullPolicy: a number (untyped in the CRD)', variant(ECP, (d) => { mutations(d)['imagePullPolicy'] = 1 })],
]

t.test('the API server and Ajv accept the same documents', async (t) => {
  for (const [name, doc] of valid) {
    const ajv = validatePolicyObject(doc, name).problems
    t.same(ajv, [], `${name}: Ajv accepts`)
    const crd = await dryRunCreate(doc)
    t.ok(crd.accepted, `${name}: the API server accepts (${crd.status} ${crd.message})`)
    // What the API server returns (its metadata, defaulted fields) validates as the document did.
    if (crd.accepted) t.same(validatePolicyObject(crd.body, name).problems, [], `${name}: the stored object round-trips`)
  }
})

t.test('the API server and Ajv refuse the same documents', async (t) => {
  for (const [name, doc] of invalid) {
    const ajv = validatePolicyObject(doc, name).problems
    t.not(ajv.length, 0, `${name}: Ajv refuses`)
    const crd = await dryRunCreate(doc)
    t.notOk(crd.accepted, `${name}: the API server refuses (${crd.status} ${crd.message}); Ajv: ${ajv.join('; ')}`)
    t.ok(crd.status === 422 || crd.status === 400, `${name}: as invalid (${crd.status})`)
  }
})

t.test('webhook-only: accepted by the CRD, refused by validatePolicyObject (the policy webhook)', async (t) => {
  for (const [name, doc] of webhookOnly) {
    const crd = await dryRunCreate(doc)
    t.ok(crd.accepted, `${name}: the CRD accepts (${crd.status} ${crd.message})`)
    t.not(validatePolicyObject(doc, name).problems.length, 0, `${name}: validatePolicyObject refuses`)
  }
})

t.test('messages: the CRD names the field, as policy check does', async (t) => {
  const refused = async (doc: unknown): Promise<string> => (await dryRunCreate(doc)).message
  t.match(await refused(invalid.find(([n]) => n === 'DebugPolicy: match.namespaces')![1]),
    "spec.rules[0].match.namespaces: Forbidden: not allowed in a DebugPolicy: its rules apply only in the policy's own namespace")
  t.match(await refused(invalid.find(([n]) => n === 'DebugPolicy: exemptions')![1]), 'unknown field "spec.exemptions"')
  t.match(await refused(invalid.find(([n]) => n === 'missing required: a Localhost profile')![1]),
    'spec.mutations.securityContext.seccompProfile: Invalid value: when type is "Localhost", localhostProfile is required; otherwise localhostProfile must not be set')
  t.match(await refused(invalid.find(([n]) => n === 'wrong enum: mode')![1]), /spec\.mode: Unsupported value: "block": supported values: "enforce", "warn", "audit"/)
})

t.test('kubectl get: the printer columns, from the spec and the status subresource', async (t) => {
  const c = cluster()
  await kubectlOk(c, ['apply', '-f', join(REPO_ROOT, 'policies/examples/production.yaml')])
  await kubectlOk(c, ['-n', NAMESPACE, 'apply', '-f', '-'], { input: JSON.stringify(DEBUG) })
  const status = { status: { observedGeneration: 1, hash: 'c36087a1eb5f', rules: 6, conditions: [{ type: 'Ready', status: 'True', reason: 'Valid', message: '6 rules', lastTransitionTime: '2026-12-01T00:00:00Z', observedGeneration: 1 }], lastGood: { generation: 1, hash: 'c36087a1eb5f', spec: { mode: 'enforce' } } } }
  await kubectlOk(c, ['patch', 'ephemeralcontainerpolicy', 'production', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)])
  const before = await kubectlOk(c, ['-n', NAMESPACE, 'get', 'dbgpol', 'team'])
  t.match(before, /^NAME\s+MODE\s+RULES\s+READY\s+AGE\n/, 'the columns')
  t.match(before.split('\n')[1], /^team\s+enforce\s+\d+s$/, 'no status yet: Rules and Ready blank')
  const notReady = { status: { rules: 5, conditions: [{ type: 'Invalid', status: 'True', reason: 'Invalid', message: 'x', lastTransitionTime: '2026-12-01T00:00:00Z' }, { type: 'Ready', status: 'False', reason: 'Invalid', message: 'x', lastTransitionTime: '2026-12-01T00:00:00Z' }] } }
  await kubectlOk(c, ['-n', NAMESPACE, 'patch', 'debugpolicy', 'team', '--subresource=status', '--type=merge', '-p', JSON.stringify(notReady)])
  const ecp = await kubectlOk(c, ['get', 'ephemeralcontainerpolicies'])
  t.match(ecp, /^NAME\s+MODE\s+RULES\s+READY\s+AGE\nproduction\s+enforce\s+6\s+True\s+\d+s\n$/)
  t.match(await kubectlOk(c, ['get', 'ecp', 'production', '-o', 'jsonpath={.status.lastGood.spec.mode}']), 'enforce', 'lastGood.spec kept as written')
  t.match(await kubectlOk(c, ['-n', NAMESPACE, 'get', 'debugpolicies']), /\nteam\s+enforce\s+5\s+False\s+\d+s\n$/)
  const all = await kubectlOk(c, ['get', 'ephemeral-guard', '-A'])
  t.match(all, /ephemeralcontainerpolicy\.ephemeral-guard\.dev\/production/, 'the category lists both kinds')
  t.match(all, /debugpolicy\.ephemeral-guard\.dev\/team/)
  // The spec cannot be changed through status, nor the status through the main resource.
  await kubectlOk(c, ['patch', 'ecp', 'production', '--type=merge', '-p', JSON.stringify({ status: { rules: 99 } })])
  t.match(await kubectlOk(c, ['get', 'ecp', 'production', '-o', 'jsonpath={.status.rules}']), /^6$/, 'status only through the subresource')
  const badStatus = await c.kubectl(['patch', 'ecp', 'production', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'Maybe', reason: 'X', message: '', lastTransitionTime: '2026-12-01T00:00:00Z' }] } })])
  t.not(badStatus.code, 0, 'a condition status other than True, False, Unknown is refused')
  t.match(badStatus.stderr, /status\.conditions\[0\]\.status: Unsupported value: "Maybe"/)
})
