// The policies in force, as audit and doctor read them (src/policy/in-force.ts, src/audit/in-force.ts):
// the policy objects when their CRDs are served, else the Deployment's ConfigMap, else the built-in
// default; against an API stand-in answering fixed paths. The real API server: test/e2e/audit-inforce.test.ts.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { auditPolicyOf, policiesInForce } from '../../src/audit/in-force.js'
import { auditPod } from '../../src/audit/evaluate.js'
import { ClusterError, PolicyError } from '../../src/errors.js'
import type { KubeApi } from '../../src/cluster/api.js'
import type { JsonObject } from '../../src/kube/types.js'
import { DEFAULT_POLICY_FILE, loadPolicyFile } from '../../src/policy/load.js'
import { policyCrdsServed, readPoliciesInForce } from '../../src/policy/in-force.js'
import { specHash } from '../../src/policy/policy-set.js'
import { policyObjectFindings } from '../../src/doctor/install.js'

const API = '/apis/ephemeral-guard.dev/v1alpha1'
const INSTALL = { namespace: 'ephemeral-guard', deployment: 'ephemeral-guard' }
const POD = JSON.parse(readFileSync(new URL('fixtures/pod-item.json', import.meta.url), 'utf8')) as JsonObject

/** GET answers from a table: an object, a status to throw (403, 500), or absent (404). */
function fakeApi(table: Record<string, JsonObject | number>): Pick<KubeApi, 'get' | 'getOptional'> {
  const answer = (path: string): JsonObject | undefined => {
    const a = table[path]
    if (typeof a === 'number') throw new ClusterError(`GET ${path}: status ${a}`, a)
    return a
  }
  return {
    get: async (path) => {
      const a = answer(path)
      if (a === undefined) throw new ClusterError(`GET ${path}: not found`, 404)
      return a
    },
    getOptional: async (path) => answer(path),
  }
}

const crds = { [API]: { resources: [{ name: 'ephemeralcontainerpolicies' }, { name: 'debugpolicies' }, { name: 'ephemeralcontainerpolicies/status' }] } }
const item = (name: string, spec: JsonObject, createdAt: string, extra: JsonObject = {}, namespace?: string): JsonObject =>
  ({ metadata: { name, ...(namespace ? { namespace } : {}), uid: `uid-${name}`, generation: 1, creationTimestamp: createdAt }, spec, ...extra })
const noPrivileged = { rules: [{ name: 'no-privileged', securityContext: { allowPrivileged: false } }] }
const sreOnly = { exemptions: { groups: ['platform'] }, rules: [{ name: 'sre-only', subjects: { groups: ['sre'] } }] }
const bad = { rules: [{ name: 'x', securityContext: { allowPrivileged: 'no' } }] }
const lists = (clusterItems: JsonObject[], debugItems: JsonObject[] = []): Record<string, JsonObject> => ({
  [`${API}/ephemeralcontainerpolicies?limit=500`]: { items: clusterItems, metadata: {} },
  [`${API}/debugpolicies?limit=500`]: { items: debugItems, metadata: {} },
})

t.test('from the cluster: every servable object combined, the rest named with why', async (t) => {
  const api = fakeApi({
    ...crds,
    ...lists([
      item('images', { ...noPrivileged, mutations: { provenance: { enabled: true } } }, '2026-01-01T00:00:00Z'),
      item('late-mutations', { mutations: { imagePullPolicy: 'preserve' } }, '2026-02-01T00:00:00Z'),
      item('sre', sreOnly, '2026-01-02T00:00:00Z'),
      item('broken', bad, '2026-01-03T00:00:00Z', { status: { lastGood: { generation: 1, hash: specHash(noPrivileged), spec: noPrivileged } } }),
      item('never', bad, '2026-01-04T00:00:00Z'),
    ], [item('tight', { rules: [{ name: 'no-root', match: { groups: ['dev'] }, securityContext: { requireRunAsNonRoot: true } }] }, '2026-01-05T00:00:00Z', {}, 'shop')]),
  })
  const p = await readPoliciesInForce(api, INSTALL)
  t.equal(p.source, 'cluster')
  t.same(p.inForce, [`images@${specHash({ ...noPrivileged, mutations: { provenance: { enabled: true } } })}`, `sre@${specHash(sreOnly)}`, `broken@${specHash(noPrivileged)}`, `shop/tight@${specHash({ rules: [{ name: 'no-root', match: { groups: ['dev'] }, securityContext: { requireRunAsNonRoot: true } }] })}`])
  t.same(p.documents.map((d) => [d.prefix, d.namespace]), [['images', undefined], ['sre', undefined], ['broken', undefined], ['shop/tight', 'shop']])
  t.same(p.documents[2]!.spec, noPrivileged, 'an Invalid object: its last good spec')
  t.same(p.conflicting.map((r) => r.name), ['late-mutations'])
  t.same(p.states.map((s) => [s.name, s.servedFrom]), [['images', 'spec'], ['late-mutations', 'spec'], ['sre', 'spec'], ['broken', 'lastGood'], ['never', 'none'], ['tight', 'spec']])

  const audit = auditPolicyOf(p)
  t.same(audit.identity!.map((r) => [r.rule, r.lifts, r.selects]), [
    ['images/no-privileged', { users: false, groups: false }, { users: false, groups: false }],
    ['sre/sre-only', { users: false, groups: true }, { users: false, groups: false }],
    ['broken/no-privileged', { users: false, groups: false }, { users: false, groups: false }],
    ['shop/tight/no-root', { users: false, groups: false }, { users: false, groups: true }],
  ])
  const [sys, gen] = auditPod(POD, audit, { now: new Date('2026-11-27T10:00:00Z') })
  t.same([sys!.verdict, sys!.violations.map((v) => v.rule)], ['deny', ['sre/sre-only', 'images/no-privileged', 'broken/no-privileged']], 'privileged: denied whatever the identity')
  t.same([gen!.verdict, gen!.unverified], ['unverified', ['sre/sre-only', 'shop/tight/no-root']], 'alice, groups unknown: sre-only and the namespace\'s group rule undecided')

  // A caller with the set's policy and rule views only (no documents): views name rules bare.
  const views = p.states.flatMap((s) => (s.served !== undefined && p.documents.some((d) => d.prefix === (s.namespace === undefined ? s.name : `${s.namespace}/${s.name}`)) ? s.served.views : []))
  const [vSys, vGen] = auditPod(POD, { policy: p.policy, rules: views }, { now: new Date('2026-11-27T10:00:00Z') })
  t.same([vSys!.verdict, vGen!.verdict, vGen!.unverified], ['deny', 'unverified', ['sre/sre-only', 'no-root']], 'from views: violations matched by their rule\'s name; exemptions not known')

  const findings = policyObjectFindings(p)
  t.same(findings.map((f) => [f.level, f.subject]), [
    ['warning', 'ephemeralcontainerpolicy/broken'], ['error', 'ephemeralcontainerpolicy/never'], ['error', 'ephemeralcontainerpolicy/late-mutations'], ['ok', 'policies in force'],
  ])
  t.match(findings[0]!.message, /^Invalid: its last good version \([0-9a-f]{12}\) is served instead: spec\.rules\[0\]\.securityContext\.allowPrivileged: must be boolean/)
  t.match(findings[1]!.message, /^Invalid and never valid: not served: /)
  t.equal(findings[2]!.message, 'ConflictingMutations: defines spec.mutations, as ephemeralcontainerpolicy/images (older) does: not served at all')
  t.match(findings[3]!.message, /^images@\w{12}, sre@\w{12}, broken@\w{12}, shop\/tight@\w{12} \(cluster\); compare/)
  t.match(policyObjectFindings({ ...p, states: [] })[0]!.message, 'as an older policy does', 'the older one unnamed when its state is not given')
})

t.test('from the cluster with no cluster policy: the built-in default, with the namespaces\' policies', async (t) => {
  const p = await readPoliciesInForce(fakeApi({ ...crds, ...lists([]) }), INSTALL)
  t.equal(p.source, 'cluster')
  t.match(p.inForce, [/^default@[0-9a-f]{12}$/])
  t.same(p.documents.map((d) => d.prefix), ['default'])
  const [sys] = auditPod(POD, auditPolicyOf(p), { now: new Date() })
  t.same(sys!.violations.map((v) => v.rule), ['default/no-privileged'])
})

const deployment = {
  spec: { template: { spec: {
    volumes: [{ name: 'policy', configMap: { name: 'eg-policy-5f7k' } }],
    containers: [{ name: 'webhook', args: ['serve', '--policy=/etc/eg/custom.yaml'], volumeMounts: [{ name: 'policy', mountPath: '/etc/eg' }] }],
  } } },
}
const DEPLOYMENT = '/apis/apps/v1/namespaces/ephemeral-guard/deployments/ephemeral-guard'
const CM = (name: string): string => `/api/v1/namespaces/ephemeral-guard/configmaps/${name}`
const candidate = readFileSync(DEFAULT_POLICY_FILE, 'utf8').replace('name: default', 'name: from-configmap').replace(/  exemptions:[^\n]*\n/, '')

t.test('without the CRDs: the ConfigMap the Deployment mounts, else the default, saying why', async (t) => {
  const p = await policiesInForce(fakeApi({ [DEPLOYMENT]: deployment, [CM('eg-policy-5f7k')]: { data: { 'custom.yaml': candidate } } }), INSTALL)
  t.same([p.source, p.notes], ['ConfigMap ephemeral-guard/eg-policy-5f7k', []])
  t.match(p.inForce, [/^from-configmap@[0-9a-f]{12}$/])
  t.equal(auditPod(POD, p, { now: new Date() })[0]!.violations[0]!.rule, 'no-privileged', 'bare rule names, as the webhook names them')
  const def = loadPolicyFile(DEFAULT_POLICY_FILE).policy
  const absent = await policiesInForce(fakeApi({}), INSTALL)
  t.same([absent.source, absent.inForce, absent.notes], ['built-in default', [`default@${def.hash}`], ['no policy CRDs (ephemeral-guard.dev/v1alpha1) and ConfigMap ephemeral-guard/ephemeral-guard-policy not found']])
  const forbidden = await policiesInForce(fakeApi({ [DEPLOYMENT]: 403, [CM('ephemeral-guard-policy')]: 403 }), INSTALL)
  t.same([forbidden.source, forbidden.notes], ['built-in default', ['no policy CRDs (ephemeral-guard.dev/v1alpha1) and ConfigMap ephemeral-guard/ephemeral-guard-policy cannot be read (forbidden)']])
  const named = await policiesInForce(fakeApi({ [CM('mine')]: { data: { k: candidate } } }), { ...INSTALL, configMap: 'mine', policyKey: 'k' })
  t.equal(named.source, 'ConfigMap ephemeral-guard/mine', 'names given win over the Deployment')
  await t.rejects(readPoliciesInForce(fakeApi({ [CM('ephemeral-guard-policy')]: { data: {} } }), INSTALL), new PolicyError('ConfigMap ephemeral-guard/ephemeral-guard-policy key policy.yaml', ['(file): no such key in the ConfigMap']))
  await t.rejects(readPoliciesInForce(fakeApi({ [CM('ephemeral-guard-policy')]: { data: { 'policy.yaml': 'kind: nope' } } }), INSTALL), PolicyError, 'a policy that does not load: an error, not a silent default')
  await t.rejects(readPoliciesInForce(fakeApi({ [CM('ephemeral-guard-policy')]: 500 }), INSTALL), ClusterError, 'other failures are errors')
})

t.test('the CRDs count as served only with both kinds', async (t) => {
  t.equal(await policyCrdsServed(fakeApi({ [API]: { resources: [{ name: 'ephemeralcontainerpolicies' }] } })), false)
  t.equal(await policyCrdsServed(fakeApi({ [API]: { kind: 'APIResourceList' } })), false)
  t.equal(await policyCrdsServed(fakeApi(crds)), true)
})
