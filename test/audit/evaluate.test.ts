// The dry run over existing ephemeral containers, on a pod as a real kube-apiserver lists it
// (fixtures/pod-item.json: three containers added with kubectl debug, statuses written through the
// pods/status subresource; list items carry no kind, as here).
import { readFileSync } from 'node:fs'
import t from 'tap'
import { auditPod, type AuditFinding, type AuditPolicy } from '../../src/audit/evaluate.js'
import type { JsonObject } from '../../src/kube/types.js'
import { DEFAULT_POLICY_FILE, loadPolicyFile, parsePolicy } from '../../src/policy/load.js'
import { identityRules } from '../../src/audit/identity.js'
import type { PolicyDocument } from '../../src/policy/types.js'
import { parse } from 'yaml'

const POD = JSON.parse(readFileSync(new URL('fixtures/pod-item.json', import.meta.url), 'utf8')) as JsonObject
const DEFAULT: AuditPolicy = loadPolicyFile(DEFAULT_POLICY_FILE)
const NOW = new Date('2026-11-27T10:00:00Z')
const H = 3_600_000

const policy = (rules: string, extra = ''): AuditPolicy =>
  parsePolicy(`apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: candidate}\nspec:\n${extra}  rules:\n${rules}`, 'test')
const pick = (fs: AuditFinding[], key: keyof AuditFinding) => fs.map((f) => f[key])
const clone = (): JsonObject => structuredClone(POD)

t.test('judges each existing container as if it were added now, with the webhook\'s messages', async (t) => {
  const found = auditPod(POD, DEFAULT, { now: NOW })
  t.same(pick(found, 'container'), ['sysdbg', 'gen', 'netdbg'], 'one finding per container, in the pod\'s order')
  t.same(pick(found, 'index'), [0, 1, 2])
  t.same(pick(found, 'verdict'), ['deny', 'pass', 'deny'])
  t.same(found[0]!.violations, [{ rule: 'no-privileged', mode: 'enforce', message: 'spec.ephemeralContainers[0].securityContext.privileged: Forbidden: privileged debug containers are not allowed (rule no-privileged)' }])
  t.same(found[2]!.violations.map((v) => v.message), [
    'spec.ephemeralContainers[2].securityContext.capabilities.add[0]: Forbidden: capability "NET_ADMIN" is not allowed; allowed: SYS_PTRACE (rule allowed-capabilities)',
    'spec.ephemeralContainers[2].securityContext.capabilities.add[1]: Forbidden: capability "NET_RAW" is not allowed; allowed: SYS_PTRACE (rule allowed-capabilities)',
  ], 'field paths use the container\'s real index')
  t.same(pick(found, 'namespace'), ['shop', 'shop', 'shop'])
  t.same(pick(found, 'pod'), ['target', 'target', 'target'])
  t.equal(found[0]!.podUid, (POD['metadata'] as JsonObject)['uid'])
  t.same(pick(found, 'image'), ['busybox:1.36', 'busybox:1.36', 'registry.example.com/tools/netshoot:v0.13'])
  t.same(pick(found, 'notes'), [[], [], []])
})

t.test('reports provenance, state and age', async (t) => {
  const [sys, gen, net] = auditPod(POD, DEFAULT, { now: NOW, olderThanMs: 24 * H })
  t.same([sys!.requestedBy, gen!.requestedBy, net!.requestedBy], [undefined, 'alice', 'bob'], 'requester from EPHEMERAL_GUARD_REQUESTED_BY')
  t.same([sys!.requestedAt, gen!.requestedAt, net!.requestedAt], [undefined, '2026-11-20T10:00:00Z', '2026-11-26T09:30:00Z'])
  t.same([sys!.admittedUnder, net!.admittedUnder], [undefined, 'default@4f375725b52d'], 'EPHEMERAL_GUARD_POLICY')
  t.same([sys!.state, gen!.state, net!.state], ['running', 'terminated', 'waiting'], 'from status.ephemeralContainerStatuses')
  t.same([sys!.stateDetail, gen!.stateDetail, net!.stateDetail], [undefined, 'Completed, exit 0', 'ImagePullBackOff'])
  t.same([sys!.ageSource, gen!.ageSource, net!.ageSource], ['started-at', 'requested-at', 'requested-at'], 'REQUESTED_AT first, then the status\' startedAt')
  t.same([sys!.since, gen!.since, net!.since], ['2026-11-26T12:00:00.000Z', '2026-11-20T10:00:00.000Z', '2026-11-26T09:30:00.000Z'])
  t.same([sys!.ageSeconds, gen!.ageSeconds, net!.ageSeconds], [22 * 3600, 7 * 24 * 3600, 24.5 * 3600])
  t.same([sys!.recycle, gen!.recycle, net!.recycle], [false, true, true], 'recycle: at least --older-than old')
  t.same(pick(auditPod(POD, DEFAULT, { now: NOW }), 'recycle'), [false, false, false], 'nothing flagged without --older-than')
})

t.test('falls back to the pod\'s creation time, then to unknown; ignores a REQUESTED_AT that is no RFC 3339 time', async (t) => {
  const pod = clone()
  delete pod['status']
  const spec = pod['spec'] as JsonObject
  const list = spec['ephemeralContainers'] as JsonObject[]
  ;(list[1]!['env'] as JsonObject[])[0]!['value'] = 'yesterday'
  const [sys, gen] = auditPod(pod, DEFAULT, { now: NOW, olderThanMs: 24 * H })
  t.same([sys!.state, sys!.ageSource], ['unknown', 'pod-created'])
  t.equal(sys!.since, new Date(String((pod['metadata'] as JsonObject)['creationTimestamp'])).toISOString(), 'the pod\'s creationTimestamp')
  t.equal(gen!.ageSource, 'pod-created', 'an unparsable REQUESTED_AT is not used')
  t.equal(gen!.requestedAt, undefined)
  delete (pod['metadata'] as JsonObject)['creationTimestamp']
  const [bare] = auditPod(pod, DEFAULT, { now: NOW, olderThanMs: 0 })
  t.same([bare!.ageSource, bare!.since, bare!.ageSeconds, bare!.recycle], ['unknown', undefined, undefined, false], 'no age at all: never flagged')
})

t.test('a state the kubelet has not reported, or reported empty, is unknown', async (t) => {
  const pod = clone()
  const statuses = (pod['status'] as JsonObject)['ephemeralContainerStatuses'] as JsonObject[]
  statuses[0]!['state'] = {}
  statuses.splice(1, 1)
  const found = auditPod(pod, DEFAULT, { now: NOW })
  t.same(pick(found, 'state'), ['unknown', 'unknown', 'waiting'])
})

t.test('a pod without ephemeral containers gives no findings; odd shapes do not throw', async (t) => {
  const pod = clone()
  delete (pod['spec'] as JsonObject)['ephemeralContainers']
  t.same(auditPod(pod, DEFAULT, { now: NOW }), [])
  t.same(auditPod({}, DEFAULT, { now: NOW }), [], 'no metadata, no spec')
  const odd = auditPod({ spec: { containers: [{ name: 'app', image: 'x' }], ephemeralContainers: [{ image: 'busybox', env: 'x' }, 7] } }, DEFAULT, { now: NOW })
  t.same(pick(odd, 'container'), ['', ''], 'a nameless entry is still reported')
  t.same(pick(odd, 'namespace'), ['', ''])
})

t.test('fails closed: a pod the webhook could not evaluate is an error, never a pass', async (t) => {
  const pod = clone()
  ;(pod['metadata'] as JsonObject)['labels'] = { app: 7 }
  const found = auditPod(pod, DEFAULT, { now: NOW })
  t.same(pick(found, 'verdict'), ['error', 'error', 'error'])
  t.match(found[0]!.notes[0], /^cannot evaluate: request\.object\.metadata\.labels\.app must be a string/)
})

t.test('modes: warn and audit rules give their own verdicts; enforce wins', async (t) => {
  const p = policy([
    '  - {name: pinned, mode: audit, images: {requireDigest: true}}',
    '  - {name: registry, mode: warn, images: {allow: ["docker.io/library/*"]}}',
  ].join('\n') + '\n')
  const found = auditPod(POD, p, { now: NOW })
  t.same(pick(found, 'verdict'), ['audit', 'audit', 'warn'])
  t.same(found[2]!.violations.map((v) => [v.rule, v.mode]), [['pinned', 'audit'], ['registry', 'warn']])
  const enforced = auditPod(POD, policy('  - {name: pinned, images: {requireDigest: true}}\n  - {name: registry, mode: warn, images: {allow: ["docker.io/library/*"]}}\n'), { now: NOW })
  t.same(pick(enforced, 'verdict'), ['deny', 'deny', 'deny'])
})

const withGroups = (pod: JsonObject, index: number, groups: string): JsonObject => {
  const copy = structuredClone(pod)
  const c = ((copy['spec'] as JsonObject)['ephemeralContainers'] as JsonObject[])[index]!
  c['env'] = [...((c['env'] ?? []) as JsonObject[]), { name: 'EPHEMERAL_GUARD_REQUESTED_GROUPS', value: groups }]
  return copy
}
const fromDocument = (text: string): AuditPolicy => {
  const loaded = parsePolicy(text, 'test')
  return { ...loaded, identity: identityRules((parse(text) as PolicyDocument).spec) }
}
const doc = (spec: string): string => `apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: candidate}\nspec:\n${spec}`

t.test('an unknown identity: rules it could change are unverified, never deny; rules it cannot change decide', async (t) => {
  const rules = [
    '  - {name: sre-only, subjects: {users: [alice]}}',
    '  - {name: for-bob, match: {users: [bob]}, securityContext: {allowedCapabilities: []}}',
    '  - {name: for-groups, match: {groups: [dev]}, securityContext: {allowPrivileged: false}}',
  ].join('\n') + '\n'
  const p = fromDocument(doc(`  rules:\n${rules}`))
  const [sys, gen, net] = auditPod(POD, p, { now: NOW })
  t.equal(sys!.verdict, 'unverified', 'no provenance: sre-only could be lifted, for-groups could apply (it would deny a privileged container)')
  t.same(sys!.unverified, ['sre-only', 'for-groups'], 'for-bob would pass this container anyway: decided')
  t.same(sys!.notes, [
    'rule sre-only unverified: violated unless the requester\'s username lift it, and this container carries no provenance',
    'rule for-groups unverified: it applies to some requesters by groups, and this container carries no provenance',
  ])
  t.same(sys!.violations.map((v) => v.rule), ['sre-only'], 'the violation found with what is known is still listed')
  t.same([gen!.verdict, gen!.notes], ['pass', []], 'alice, groups not recorded: for-groups could apply, but would pass her container')
  t.equal(net!.verdict, 'deny', 'bob: sre-only and for-bob deny him whatever his groups')
  t.same(net!.violations.map((v) => v.rule), ['sre-only', 'for-bob', 'for-bob'])
  t.equal(net!.unverified, undefined, 'nothing undecided')
  const fromViews = auditPod(POD, policy(rules), { now: NOW })[2]!
  t.same([fromViews.verdict, fromViews.unverified], ['deny', ['sre-only', 'for-groups']],
    'from compiled views alone (no documents): subjects may hold groups and a group rule is not tried, so neither is decided; for-bob still denies')
})

t.test('recorded groups decide group-based rules as the webhook did', async (t) => {
  const p = fromDocument(doc('  rules:\n  - {name: sre-group, subjects: {groups: [sre]}}\n  - {name: dev-strict, match: {groups: [dev]}, securityContext: {allowPrivileged: false}}\n'))
  t.equal(auditPod(POD, p, { now: NOW })[1]!.verdict, 'unverified', 'alice without recorded groups: a group could admit her')
  const sre = auditPod(withGroups(POD, 1, 'sre,system:authenticated'), p, { now: NOW })[1]!
  t.same([sre.verdict, sre.requestedGroups, sre.notes], ['pass', ['sre', 'system:authenticated'], []], 'in group sre: admitted, decided')
  const other = auditPod(withGroups(POD, 1, 'system:authenticated'), p, { now: NOW })[1]!
  t.same([other.verdict, other.violations.map((v) => v.rule)], ['deny', ['sre-group']], 'recorded and not in sre: deny')
  const none = auditPod(withGroups(POD, 1, ''), p, { now: NOW })[1]!
  t.same([none.verdict, none.requestedGroups], ['deny', []], 'an empty record is known to be no group')
  const dev = auditPod(withGroups(POD, 0, 'sre,dev'), p, { now: NOW })[0]!
  t.same([dev.verdict, dev.violations.map((v) => v.rule), dev.requestedBy], ['deny', ['dev-strict'], undefined], 'no username, groups recorded: rules by group decide')
  const clipped = auditPod(withGroups(POD, 1, 'system:authenticated,team-a,te…'), p, { now: NOW })[1]!
  t.same([clipped.verdict, clipped.notes], ['unverified', [
    'rule sre-group unverified: violated unless the requester\'s groups lift it, and EPHEMERAL_GUARD_REQUESTED_GROUPS is clipped',
  ]], 'clipped groups: more groups than recorded')
  const sysClipped = auditPod(withGroups(POD, 0, 'sre,te…'), p, { now: NOW })[0]!
  t.same(sysClipped.notes, ['rule dev-strict unverified: it applies to some requesters by groups, and EPHEMERAL_GUARD_REQUESTED_GROUPS is clipped'], 'a privileged container: dev-strict could deny it')
  const byUser = fromDocument(doc('  rules:\n  - {name: alice-only, subjects: {users: [alice]}}\n'))
  const groupsOnly = auditPod(withGroups(POD, 0, 'sre'), byUser, { now: NOW })[0]!
  t.same([groupsOnly.verdict, groupsOnly.notes], ['unverified', ['rule alice-only unverified: violated unless the requester\'s username lift it, and no EPHEMERAL_GUARD_REQUESTED_BY']], 'groups recorded, username not')
  const clippedSre = auditPod(withGroups(POD, 1, 'sre,te…'), fromDocument(doc('  rules:\n  - {name: sre-group, subjects: {groups: [sre]}}\n')), { now: NOW })[1]!
  t.equal(clippedSre.verdict, 'pass', 'a recorded group that admits decides, clipped or not')
})

t.test('exemptions by group or user lift violations only where the identity is known', async (t) => {
  const p = fromDocument(doc('  exemptions: {groups: [sre], users: [carol]}\n  rules:\n  - {name: no-privileged, securityContext: {allowPrivileged: false}}\n'))
  const [sys] = auditPod(POD, p, { now: NOW })
  t.equal(sys!.verdict, 'unverified', 'privileged, no provenance: a user or group exemption could apply')
  t.match(sys!.notes, ['rule no-privileged unverified: violated unless the requester\'s username and groups lift it'])
  t.equal(auditPod(withGroups(POD, 0, 'sre'), p, { now: NOW })[0]!.verdict, 'exempt', 'exempt by a recorded group (username still unknown)')
  const bob = auditPod(withGroups(POD, 2, 'dev'), p, { now: NOW })[2]!
  t.same([bob.verdict, bob.unverified], ['pass', undefined], 'bob, groups recorded: decided (netadmin is not privileged)')
})

t.test('what the identity cannot change still decides: other namespaces, excludes, warn under unverified', async (t) => {
  const elsewhere = fromDocument(doc('  rules:\n  - {name: web-devs, match: {namespaces: [web], groups: [dev]}, securityContext: {allowPrivileged: false}}\n  - {name: labelled, match: {podSelector: {matchLabels: {tier: gold}}, groups: [dev]}, securityContext: {allowPrivileged: false}}\n'))
  t.same(pick(auditPod(POD, elsewhere, { now: NOW }), 'verdict'), ['pass', 'pass', 'pass'], 'a group rule of another namespace or pod selector: decided')
  const excludedHere = fromDocument(doc('  rules:\n  - {name: not-shop, match: {excludeNamespaces: [shop], groups: [dev]}, securityContext: {allowPrivileged: false}}\n'))
  t.same(pick(auditPod(POD, excludedHere, { now: NOW }), 'verdict'), ['pass', 'pass', 'pass'], 'a group rule that excludes this namespace: decided')
  const debugPolicy: AuditPolicy = { ...parsePolicy(doc('  rules:\n  - {name: x, match: {groups: [dev]}, securityContext: {allowPrivileged: false}}\n'), 'test'), identity: identityRules({ rules: [{ name: 'x', match: { groups: ['dev'] } }] }, 'web/p', 'web') }
  t.same(pick(auditPod(POD, debugPolicy, { now: NOW }), 'verdict'), ['pass', 'pass', 'pass'], 'a DebugPolicy rule of another namespace: decided')
  const excluded = fromDocument(doc('  rules:\n  - {name: not-sre, match: {excludeGroups: [sre]}, securityContext: {allowPrivileged: false}}\n'))
  t.same(pick(auditPod(POD, excluded, { now: NOW }), 'verdict'), ['unverified', 'pass', 'pass'], 'violated, but excludeGroups could lift it')
  const withSchema = fromDocument(doc('  rules:\n  - {name: devs-schema, match: {groups: [dev]}, schema: {properties: {user: {properties: {username: {const: alice}}}}}}\n'))
  t.same(pick(auditPod(POD, withSchema, { now: NOW }), 'verdict'), ['unverified', 'unverified', 'unverified'], 'a custom schema sees the user: not judged as if selected')
  const mixed = fromDocument(doc('  rules:\n  - {name: pinned, mode: warn, images: {requireDigest: true}}\n  - {name: devs, match: {groups: [dev]}, securityContext: {allowPrivileged: false}}\n  - {name: auditors, mode: audit, match: {groups: [dev]}, images: {requireDigest: true}}\n'))
  const [sys, gen] = auditPod(POD, mixed, { now: NOW })
  t.equal(sys!.verdict, 'unverified', 'warn for sure, deny for some groups')
  t.same([gen!.verdict, gen!.unverified], ['warn', ['auditors']], 'not privileged: devs would pass it; an audit-mode rule cannot change warn')
  const warnOnly = fromDocument(doc('  rules:\n  - {name: pinned, mode: warn, images: {requireDigest: true}}\n  - {name: auditors, mode: audit, match: {groups: [dev]}, images: {requireDigest: true}}\n'))
  const [w] = auditPod(POD, warnOnly, { now: NOW })
  t.same([w!.verdict, w!.unverified], ['warn', ['auditors']], 'an audit-mode rule cannot change a warn verdict: decided, and still named')
})

t.test('exemptions apply as in the webhook, with the reason', async (t) => {
  const byNamespace = auditPod(POD, policy('  - {name: no-privileged, securityContext: {allowPrivileged: false}}\n', '  exemptions: {namespaces: ["sh*"]}\n'), { now: NOW })
  t.same(pick(byNamespace, 'verdict'), ['exempt', 'exempt', 'exempt'])
  t.same(byNamespace[0]!.notes, ['namespace "shop" matches exemption "sh*"'])
  const byUser = auditPod(POD, policy('  - {name: no-privileged, securityContext: {allowPrivileged: false}}\n', '  exemptions: {users: [alice]}\n'), { now: NOW })
  t.same(pick(byUser, 'verdict'), ['deny', 'exempt', 'pass'])
})

t.test('maxEphemeralContainers counts the pod\'s containers, the judged one included', async (t) => {
  const found = auditPod(POD, policy('  - {name: few, maxEphemeralContainers: 2}\n'), { now: NOW })
  t.same(pick(found, 'verdict'), ['deny', 'deny', 'deny'])
  t.match(found[0]!.violations[0]!.message, 'at most 2 ephemeral containers per pod; this request makes 3 (rule few)')
  t.same(pick(auditPod(POD, policy('  - {name: few, maxEphemeralContainers: 3}\n'), { now: NOW }), 'verdict'), ['pass', 'pass', 'pass'])
})
