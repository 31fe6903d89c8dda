import { readFileSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'
import { auditPod, type AuditFinding } from '../../src/audit/evaluate.js'
import {
  auditDocument, compareFindings, exitCodeOf, formatJson, formatPolicyReports, formatTable, formatYaml, policyReports, policyText, reportKey, summarize, type AuditResult,
} from '../../src/audit/report.js'
import type { JsonObject } from '../../src/kube/types.js'
import { DEFAULT_POLICY_FILE, loadPolicyFile, parsePolicy } from '../../src/policy/load.js'
import { identityRules } from '../../src/audit/identity.js'

const POD = JSON.parse(readFileSync(new URL('fixtures/pod-item.json', import.meta.url), 'utf8')) as JsonObject
const DEFAULT = loadPolicyFile(DEFAULT_POLICY_FILE)
const NOW = new Date('2026-11-27T10:00:00Z')

function inNamespace(namespace: string, name: string): JsonObject {
  const pod = structuredClone(POD)
  Object.assign(pod['metadata'] as JsonObject, { namespace, name, uid: `uid-${name}` })
  return pod
}

function result(findings: AuditFinding[], extra: Partial<AuditResult> = {}): AuditResult {
  return {
    policy: { name: 'default', hash: DEFAULT.policy.hash, source: 'built-in default' },
    scope: {},
    generatedAt: NOW.toISOString(),
    summary: summarize(12, findings),
    findings: [...findings].sort(compareFindings),
    ...extra,
  }
}

const findings = (olderThanMs?: number): AuditFinding[] => [
  ...auditPod(inNamespace('web', 'front'), DEFAULT, { now: NOW, ...(olderThanMs ? { olderThanMs } : {}) }),
  ...auditPod(inNamespace('shop', 'cart'), DEFAULT, { now: NOW, ...(olderThanMs ? { olderThanMs } : {}) }),
]

t.test('summarizes verdicts, pods and recycling', async (t) => {
  const s = summarize(12, findings(24 * 3_600_000))
  t.same(s, { pods: 12, podsWithEphemeralContainers: 2, ephemeralContainers: 6, verdicts: { deny: 4, warn: 0, audit: 0, unverified: 0, pass: 2, exempt: 0, error: 0 }, recycle: 4 })
})

t.test('exit code: 2 when a container cannot be evaluated, 1 when a rule is violated or a pod is due, else 0', async (t) => {
  const base = { pods: 1, podsWithEphemeralContainers: 1, ephemeralContainers: 1, recycle: 0 }
  const v = (o: Partial<Record<string, number>>) => ({ deny: 0, warn: 0, audit: 0, unverified: 0, pass: 0, exempt: 0, error: 0, ...o })
  t.equal(exitCodeOf({ ...base, verdicts: v({ pass: 1 }) }), 0)
  t.equal(exitCodeOf({ ...base, verdicts: v({ exempt: 1 }) }), 0)
  t.equal(exitCodeOf({ ...base, verdicts: v({}) , ephemeralContainers: 0 }), 0, 'nothing found')
  t.equal(exitCodeOf({ ...base, verdicts: v({ deny: 1 }) }), 1)
  t.equal(exitCodeOf({ ...base, verdicts: v({ warn: 1 }) }), 1)
  t.equal(exitCodeOf({ ...base, verdicts: v({ audit: 1 }) }), 1)
  t.equal(exitCodeOf({ ...base, verdicts: v({ pass: 1 }), recycle: 1 }), 1)
  t.equal(exitCodeOf({ ...base, verdicts: v({ deny: 1, error: 1 }) }), 2)
})

t.test('the table: sorted rows, aligned columns, violations and notes below, a summary line', async (t) => {
  const text = formatTable(result(findings()))
  t.equal(text, [
    'NAMESPACE   POD     CONTAINER   IMAGE                                       REQUESTER   AGE   STATE        VERDICT   RULES',
    'shop        cart    sysdbg      busybox:1.36                                <unknown>   22h   running      deny      no-privileged',
    'shop        cart    gen         busybox:1.36                                alice       7d    terminated   pass      -',
    'shop        cart    netdbg      registry.example.com/tools/netshoot:v0.13   bob         24h   waiting      deny      allowed-capabilities',
    'web         front   sysdbg      busybox:1.36                                <unknown>   22h   running      deny      no-privileged',
    'web         front   gen         busybox:1.36                                alice       7d    terminated   pass      -',
    'web         front   netdbg      registry.example.com/tools/netshoot:v0.13   bob         24h   waiting      deny      allowed-capabilities',
    '',
    '  shop/cart sysdbg: spec.ephemeralContainers[0].securityContext.privileged: Forbidden: privileged debug containers are not allowed (rule no-privileged)',
    '  shop/cart netdbg: spec.ephemeralContainers[2].securityContext.capabilities.add[0]: Forbidden: capability "NET_ADMIN" is not allowed; allowed: SYS_PTRACE (rule allowed-capabilities)',
    '  shop/cart netdbg: spec.ephemeralContainers[2].securityContext.capabilities.add[1]: Forbidden: capability "NET_RAW" is not allowed; allowed: SYS_PTRACE (rule allowed-capabilities)',
    '  web/front sysdbg: spec.ephemeralContainers[0].securityContext.privileged: Forbidden: privileged debug containers are not allowed (rule no-privileged)',
    '  web/front netdbg: spec.ephemeralContainers[2].securityContext.capabilities.add[0]: Forbidden: capability "NET_ADMIN" is not allowed; allowed: SYS_PTRACE (rule allowed-capabilities)',
    '  web/front netdbg: spec.ephemeralContainers[2].securityContext.capabilities.add[1]: Forbidden: capability "NET_RAW" is not allowed; allowed: SYS_PTRACE (rule allowed-capabilities)',
    '',
    `6 ephemeral containers in 2 of 12 pods: 4 deny, 2 pass; policy default (${DEFAULT.policy.hash})`,
    '',
  ].join('\n'))
})

t.test('the table marks the pod\'s age, unknown requesters and ages, modes, notes, exemptions, errors and RECYCLE', async (t) => {
  const f = findings(24 * 3_600_000).filter((x) => x.namespace === 'shop')
  const rows: AuditFinding[] = [
    { ...f[0]!, ageSource: 'pod-created' },
    { ...f[1]!, verdict: 'exempt', notes: ['namespace "shop" matches exemption "shop"'] },
    { ...f[2]!, verdict: 'warn', violations: [{ rule: 'r', mode: 'warn', message: 'm' }], notes: ['n'] },
    { ...f[2]!, container: 'x', index: 3, verdict: 'error', violations: [], notes: [], ageSeconds: undefined } as unknown as AuditFinding,
  ]
  const text = formatTable(result(rows, { olderThan: '24h' }))
  const lines = text.split('\n')
  t.match(lines[0], /RULES +RECYCLE$/, 'RECYCLE column with --older-than')
  t.match(lines[1], /22h\* +running +deny +no-privileged +no$/, 'pod age marked *, not due')
  t.match(lines[2], /\(exempt\) +yes$/)
  t.match(lines[3], /warn +r +yes$/)
  t.match(lines[4], /<unknown> +waiting +error +\(cannot evaluate\) +yes$/)
  t.ok(lines.includes('  shop/cart netdbg: m [warn]'), 'non-enforce modes are marked')
  t.ok(lines.includes('  shop/cart netdbg: note: n'))
  t.match(lines.at(-2), /; 3 older than 24h \(recycle the pod\); policy default/)
  t.equal(formatTable(result([])), `No ephemeral containers found.\n0 ephemeral containers in 0 of 12 pods; policy default (${DEFAULT.policy.hash})\n`)
})

t.test('JSON and YAML hold the same document', async (t) => {
  const r = result(findings(), { scope: { namespace: 'shop' }, olderThan: '1h' })
  const doc = auditDocument(r)
  t.same(JSON.parse(formatJson(r)), doc)
  t.same(parse(formatYaml(r)), doc)
  t.match(doc, { apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'EphemeralContainerAudit', scope: { namespace: 'shop' }, olderThan: '1h', policy: { name: 'default' } })
  t.equal((doc['items'] as JsonObject[]).length, 6)
  t.same(auditDocument(result([]))['scope'], { allNamespaces: true })
})

t.test('PolicyReports: one per namespace, a result per violated rule, pass/skip/error otherwise, tainted pods', async (t) => {
  const f = findings(24 * 3_600_000)
  const shop = f.filter((x) => x.namespace === 'shop')
  const extra: AuditFinding[] = [
    { ...shop[1]!, container: 'ex', index: 4, verdict: 'exempt', notes: ['namespace "shop" matches exemption "shop"'], recycle: false },
    { ...shop[1]!, container: 'err', index: 5, verdict: 'error', notes: ['cannot evaluate: x'], recycle: false, requestedBy: undefined } as unknown as AuditFinding,
    { ...shop[1]!, container: 'w', index: 6, verdict: 'warn', violations: [{ rule: 'r', mode: 'warn', message: 'm1' }, { rule: 'r', mode: 'warn', message: 'm2' }], recycle: false },
  ]
  const reports = policyReports(result([...f, ...extra], { olderThan: '24h' }))
  t.same(reports.map((r) => (r['metadata'] as JsonObject)['namespace']), ['shop', 'web'])
  const [report] = reports
  t.match(report, {
    apiVersion: 'wgpolicyk8s.io/v1alpha2', kind: 'PolicyReport',
    metadata: { name: 'ephemeral-guard-default', namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'ephemeral-guard', 'ephemeral-guard.dev/policy': 'default' } },
  })
  const results = report!['results'] as JsonObject[]
  t.same(results.map((r) => [r['policy'], r['rule'], r['result'], (r['properties'] as JsonObject)['container']]), [
    ['default', 'no-privileged', 'fail', 'sysdbg'],
    ['default', 'all-rules', 'pass', 'gen'],
    ['ephemeral-guard', 'tainted-pod', 'warn', 'gen'],
    ['default', 'allowed-capabilities', 'fail', 'netdbg'],
    ['ephemeral-guard', 'tainted-pod', 'warn', 'netdbg'],
    ['default', 'exempt', 'skip', 'ex'],
    ['default', 'error', 'error', 'err'],
    ['default', 'r', 'warn', 'w'],
  ])
  t.same(report!['summary'], { pass: 1, fail: 2, warn: 3, error: 1, skip: 1 })
  t.match(results[3], {
    source: 'ephemeral-guard', category: 'Ephemeral containers', severity: 'high', scored: true,
    timestamp: { seconds: Math.floor(NOW.getTime() / 1000), nanos: 0 },
    resources: [{ apiVersion: 'v1', kind: 'Pod', name: 'cart', namespace: 'shop', uid: 'uid-cart' }],
    message: 'netdbg: spec.ephemeralContainers[2].securityContext.capabilities.add[0]: Forbidden: capability "NET_ADMIN" is not allowed; allowed: SYS_PTRACE (rule allowed-capabilities); spec.ephemeralContainers[2].securityContext.capabilities.add[1]: Forbidden: capability "NET_RAW" is not allowed; allowed: SYS_PTRACE (rule allowed-capabilities)',
    properties: { container: 'netdbg', image: 'registry.example.com/tools/netshoot:v0.13', requester: 'bob', state: 'waiting', since: '2026-11-26T09:30:00.000Z', sinceSource: 'requested-at', admittedUnder: 'default@4f375725b52d', mode: 'enforce' },
  })
  t.match(results[2]!['message'], 'ephemeral containers can never be removed: recycle the pod')
  t.equal((results[6]!['properties'] as JsonObject)['requester'], 'unknown')
  t.equal(results[7]!['message'], 'w: m1; m2', 'one result per rule, its messages joined')
  t.equal(results[7]!['severity'], 'medium')
  for (const r of results) for (const v of Object.values(r['properties'] as JsonObject)) t.type(v, 'string', 'properties are strings (map[string]string)')
})

t.test('with -n, the namespace gets a report even when empty, so applying it clears an old one', async (t) => {
  const reports = policyReports(result([], { scope: { namespace: 'quiet' } }))
  t.same(reports.map((r) => [(r['metadata'] as JsonObject)['namespace'], r['summary'], r['results']]), [['quiet', { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 }, []]])
  t.same(policyReports(result([])), [], '-A with nothing found: no reports')
  t.same(JSON.parse(formatPolicyReports(reports)), { apiVersion: 'v1', kind: 'List', items: reports })
})

t.test('unverified: its own verdict, exit 1, a PolicyReport skip with the reason and no severity', async (t) => {
  const p = { ...parsePolicy('apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: groups}\nspec:\n  rules:\n  - {name: sre-group, subjects: {groups: [sre]}}\n  - {name: pinned, mode: warn, images: {requireDigest: true}}\n', 'test') }
  const found = auditPod(inNamespace('shop', 'cart'), { ...p, identity: identityRules({ rules: [{ name: 'sre-group', subjects: { groups: ['sre'] } }, { name: 'pinned', mode: 'warn' }] }) }, { now: NOW })
  t.same(found.map((f) => f.verdict), ['unverified', 'unverified', 'unverified'])
  const r = result(found, { policy: { name: 'groups', hash: p.policy.hash, source: 'x.yaml' } })
  t.equal(exitCodeOf(r.summary), 1, 'a person should look')
  t.equal(r.summary.verdicts.unverified, 3)
  t.match(formatTable(r), /cart +sysdbg +busybox:1\.36 +<unknown> +\S+ +running +unverified +sre-group,pinned\n/, 'RULES names the undecided rule too')
  const [report] = policyReports(r)
  const results = report!['results'] as JsonObject[]
  t.same(results.filter((x) => (x['properties'] as JsonObject)['container'] === 'gen').map((x) => [x['policy'], x['rule'], x['result'], x['severity'], (x['properties'] as JsonObject)['ephemeral-guard.dev/skip-reason']]), [
    ['groups', 'pinned', 'warn', 'medium', undefined],
    ['groups', 'sre-group', 'skip', undefined, 'identity-unknown'],
  ], 'decided rules keep their result; the undecided one is skipped, with the reason')
  t.match(results.find((x) => x['result'] === 'skip')!['message'], /^sysdbg: rule sre-group unverified: violated unless the requester's groups lift it, and this container carries no provenance; spec\.ephemeralContainers: Forbidden: user "" may not/)
  t.same(report!['summary'], { pass: 0, fail: 0, warn: 3, error: 0, skip: 3 })
})

t.test('the policies in force: named in the footer, JSON and reports; reports named in-force, results by policy', async (t) => {
  const inForce = { name: 'a,b', hash: 'abcdefabcdef', source: 'cluster', inForce: ['a@111111111111', 'b@222222222222'] }
  const r = result(findings(), { policy: inForce })
  t.match(formatTable(r), /; policies in force: a@111111111111, b@222222222222 \(cluster\)\n$/)
  t.same(auditDocument(r)['policy'], inForce)
  const [report] = policyReports(r)
  t.match(report!['metadata'], { name: 'ephemeral-guard-in-force', labels: { 'ephemeral-guard.dev/policy': 'in-force' }, annotations: { 'ephemeral-guard.dev/policies': 'a@111111111111,b@222222222222', 'ephemeral-guard.dev/policy-source': 'cluster' } })
  t.equal(reportKey(inForce), 'in-force')
  t.equal(reportKey({ name: 'candidate', hash: 'x', source: 'f.yaml' }), 'candidate')
  const split = policyReports(result([{ ...findings()[0]!, violations: [{ rule: 'shop/tight/no-root', mode: 'enforce', message: 'm' }] }], { policy: inForce }))
  t.match((split[0]!['results'] as JsonObject[])[0], { policy: 'in-force', rule: 'shop/tight/no-root', result: 'fail' }, 'the rule as violations name it, under the report\'s policy')
  t.match(policyText({ name: 'default', hash: 'h', source: 'built-in default' }), 'policy default (h)')
  const grouped = policyReports(result([{ ...findings()[0]!, requestedGroups: ['sre', 'system:authenticated'] }]))
  t.equal(((grouped[0]!['results'] as JsonObject[])[0]!['properties'] as JsonObject)['requestedGroups'], 'sre,system:authenticated', 'recorded groups in the properties')
})
