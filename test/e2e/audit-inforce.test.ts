// `audit` and `doctor` with the policies in force, against a real kube-apiserver: the policy CRDs as
// shipped, a policy object applied with kubectl, and debug containers written straight to
// pods/ephemeralcontainers with the provenance the mutating webhook would have written (no webhook is
// needed: audit judges what is stored). Then the fallbacks without the CRDs: the Deployment's
// ConfigMap, then the built-in default.
import { join } from 'node:path'
import t from 'tap'
import type { JsonObject } from '../../src/kube/types.js'
import {
  createNamespace, E2E_DIR, ephemeralContainersPath, installPolicyCrds, kubectlOk, REPO_ROOT, withEphemeralContainers,
} from './support/cluster.js'
import { fileCluster } from './support/setup.js'
import { poll, run, type RunResult } from './support/process.js'
import { guardNetwork } from './support/network-guard.js'

// Loopback only: fails this file on any socket or Service that could reach off this machine.
guardNetwork(t)

const { cluster: c } = fileCluster(t, 'audit-inforce')
let crdDir = ''

t.before(async () => {
  const crds = await run('bash', [join(E2E_DIR, 'policyreport-crds.sh')], { timeoutMs: 10 * 60_000 })
  if (crds.code !== 0) throw new Error(`policyreport-crds.sh failed:\n${crds.stderr}`)
  crdDir = crds.stdout.trim().split('\n').pop()!
})

const MAIN = join(REPO_ROOT, 'dist/main.js')
// In a clean environment (env -i): tap would inject its process-tracking loader through NODE_OPTIONS.
const cleanNode = (args: readonly string[]): [string, string[]] =>
  ['env', ['-i', `PATH=${process.env['PATH'] ?? ''}`, `HOME=${process.env['HOME'] ?? ''}`, process.execPath, ...args]]
const cli = (command: string, args: readonly string[]): Promise<RunResult> =>
  run(...cleanNode([MAIN, command, '--kubeconfig', c().info.kubeconfig, ...args]), { timeoutMs: 120_000 })
const json = (r: RunResult): JsonObject => JSON.parse(r.stdout) as JsonObject
const items = (doc: JsonObject): JsonObject[] => doc['items'] as JsonObject[]
const verdicts = (doc: JsonObject): Record<string, unknown> => Object.fromEntries(items(doc).map((i) => [i['container'], i['verdict']]))
const apply = (yaml: string): Promise<string> => kubectlOk(c(), ['apply', '-f', '-'], { input: yaml })

const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
/** A debug container as the mutating webhook leaves it; `groups` undefined: none recorded (webhook down, or provenance.groups: false). */
const debugContainer = (name: string, image: string, user: string, groups?: string): JsonObject => ({
  name, image, imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File',
  env: [
    { name: 'EPHEMERAL_GUARD_REQUESTED_BY', value: user },
    { name: 'EPHEMERAL_GUARD_REQUESTED_AT', value: now },
    { name: 'EPHEMERAL_GUARD_POLICY', value: 'team-rules@000000000000' },
    ...(groups === undefined ? [] : [{ name: 'EPHEMERAL_GUARD_REQUESTED_GROUPS', value: groups }]),
  ],
})

async function podWith(ns: string, name: string, containers: JsonObject[]): Promise<void> {
  const body = { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }] } }
  await kubectlOk(c(), ['-n', ns, 'create', '-f', '-'], { input: JSON.stringify(body) })
  const r = await c().api('PUT', ephemeralContainersPath(ns, name), await withEphemeralContainers(c(), ns, name, containers))
  if (r.status !== 200) throw new Error(`PUT ephemeralcontainers ${ns}/${name}: ${r.status} ${r.text}`)
}

// Only images from Docker Hub's library, and only group sre may debug at all: a group-based rule.
const TEAM_RULES = `apiVersion: ephemeral-guard.dev/v1alpha1
kind: EphemeralContainerPolicy
metadata: {name: team-rules}
spec:
  rules:
    - name: trusted-images
      images: {allow: ["docker.io/library/busybox"]}
    - name: sre-only
      subjects: {groups: [sre]}
`

t.test('setup: the policy CRDs, one policy object, debug containers with and without recorded groups', async (t) => {
  await installPolicyCrds(c())
  await apply(TEAM_RULES)
  for (const ns of ['ai-shop', 'ai-web']) await createNamespace(c(), ns)
  await podWith('ai-shop', 'cart', [
    debugContainer('sre-dbg', 'busybox:1.36', 'alice', 'sre,system:authenticated'), // admitted through the group rule
    debugContainer('netshoot', 'nicolaka/netshoot:v0.13', 'bob', 'dev,system:authenticated'),
    debugContainer('no-groups', 'busybox:1.36', 'alice'), // groups not recorded
  ])
  await podWith('ai-web', 'front', [
    debugContainer('latest', 'registry.example.com/tools/x:latest', 'carol', 'dev'),
    debugContainer('dev-dbg', 'busybox:1.36', 'dave', 'dev,system:authenticated'),
  ])
  const stored = JSON.parse(await kubectlOk(c(), ['get', 'ephemeralcontainerpolicies', '-o', 'json'])) as JsonObject
  t.same(items(stored).map((i) => (i['metadata'] as JsonObject)['name']), ['team-rules'])
})

t.test('audit -A without --policy judges with the cluster\'s policy: 3 deny where the built-in policy passes all', async (t) => {
  const r = await cli('audit', ['-A', '-o', 'json'])
  t.equal(r.code, 1, { stderr: r.stderr })
  const doc = json(r)
  t.match(doc['policy'], { name: 'team-rules', source: 'cluster', inForce: [/^team-rules@[0-9a-f]{12}$/] })
  t.same(verdicts(doc), { 'sre-dbg': 'pass', netshoot: 'deny', 'no-groups': 'unverified', latest: 'deny', 'dev-dbg': 'deny' })
  t.same((doc['summary'] as JsonObject)['verdicts'], { deny: 3, warn: 0, audit: 0, unverified: 1, pass: 1, exempt: 0, error: 0 })
  const byName = Object.fromEntries(items(doc).map((i) => [i['container'], i]))
  t.same(byName['sre-dbg']!['requestedGroups'], ['sre', 'system:authenticated'])
  t.same((byName['dev-dbg']!['violations'] as JsonObject[]).map((v) => v['message']), ['spec.ephemeralContainers: Forbidden: user "dave" may not add ephemeral containers here (rule team-rules/sre-only)'],
    'a group-based rule decided from the recorded groups, named policy/rule')
  t.same(byName['no-groups']!['notes'], ['rule team-rules/sre-only unverified: violated unless the requester\'s groups lift it, and no EPHEMERAL_GUARD_REQUESTED_GROUPS'])

  const builtIn = await cli('audit', ['-A', '-o', 'json', '--policy', join(REPO_ROOT, 'policies/default.yaml')])
  t.equal(builtIn.code, 0, 'the built-in policy as a candidate: nothing violates')
  t.same(Object.values(verdicts(json(builtIn))), ['pass', 'pass', 'pass', 'pass', 'pass'])

  const table = await cli('audit', ['-n', 'ai-shop', '-o', 'table'])
  t.match(table.stdout, /\n(ai-shop +cart +no-groups +busybox:1\.36 +alice +\S+ +unknown +unverified +team-rules\/sre-only)\n/)
  t.match(table.stdout, /; policies in force: team-rules@[0-9a-f]{12} \(cluster\)\n$/)
})

t.test('PolicyReports: unverified is skip with the reason and no severity; valid against the CRDs', async (t) => {
  await kubectlOk(c(), ['apply', '--server-side', '-f', crdDir])
  await kubectlOk(c(), ['wait', '--for=condition=Established', '--timeout=60s', 'crd/policyreports.wgpolicyk8s.io'])
  const r = await cli('audit', ['-A', '-o', 'policyreport', '--apply'])
  t.equal(r.code, 1, { stderr: r.stderr })
  t.match(r.stderr, 'policyreport ai-shop/ephemeral-guard-in-force applied')
  const stored = JSON.parse(await kubectlOk(c(), ['-n', 'ai-shop', 'get', 'policyreport', 'ephemeral-guard-in-force', '-o', 'json'])) as JsonObject
  const results = (stored['results'] as JsonObject[]).map((x) => [x['policy'], x['rule'], x['result'], x['severity'], (x['properties'] as JsonObject)['container'], (x['properties'] as JsonObject)['ephemeral-guard.dev/skip-reason']])
  t.same(results, [
    ['in-force', 'all-rules', 'pass', undefined, 'sre-dbg', undefined],
    ['in-force', 'team-rules/sre-only', 'fail', 'high', 'netshoot', undefined],
    ['in-force', 'team-rules/trusted-images', 'fail', 'high', 'netshoot', undefined],
    ['in-force', 'team-rules/sre-only', 'skip', undefined, 'no-groups', 'identity-unknown'],
  ])
  t.same(stored['summary'], { pass: 1, fail: 2, warn: 0, error: 0, skip: 1 })
  t.match(stored['metadata'], { labels: { 'ephemeral-guard.dev/policy': 'in-force' }, annotations: { 'ephemeral-guard.dev/policy-source': 'cluster' } })
  const strict = await c().kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: (await cli('audit', ['-A', '-o', 'policyreport'])).stdout })
  t.equal(strict.code, 0, 'accepted under strict field validation', { stderr: strict.stderr })
})

t.test('doctor names the policies in force, and those not served with why', async (t) => {
  // No webhook refuses it here: an invalid policy gets in, as it would with the webhook down (a bad
  // image pattern: a problem no CRD schema can express, so the API server stores it).
  await apply('apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: broken}\nspec:\n  rules:\n    - {name: x, images: {allow: ["Docker.io/Busybox::1"]}}\n')
  const r = await cli('doctor', ['-o', 'json'])
  const findings = json(r)['findings'] as JsonObject[]
  const ours = findings.filter((f) => f['subject'] === 'policies in force' || String(f['subject']).startsWith('ephemeralcontainerpolicy/'))
  t.match(ours, [
    { level: 'error', subject: 'ephemeralcontainerpolicy/broken', message: 'Invalid and never valid: not served: spec.rules[0].images.allow[0]: image pattern "Docker.io/Busybox::1" invalid reference format' },
    { level: 'ok', subject: 'policies in force', message: /^team-rules@[0-9a-f]{12} \(cluster\); compare with the webhook's \/readyz$/ },
  ])
  t.notOk(findings.some((f) => String(f['subject']).startsWith('configmap/')), 'with the CRDs, no policy ConfigMap is required')
  const audit = await cli('audit', ['-n', 'ai-web', '-o', 'json'])
  t.match(json(audit)['policy'], { name: 'team-rules', source: 'cluster', inForce: [/^team-rules@/] })
  t.equal(((json(audit)['policy'] as JsonObject)['inForce'] as string[]).length, 1, 'audit judges without the policy that is not served')
  await kubectlOk(c(), ['delete', 'ephemeralcontainerpolicy', 'broken'])
})

const CUSTOM = TEAM_RULES.replace('name: team-rules', 'name: from-configmap')

t.test('without the CRDs: the Deployment\'s ConfigMap, then the built-in default, named as the source', async (t) => {
  await kubectlOk(c(), ['delete', '-k', join(REPO_ROOT, 'manifests', 'base', 'crds')])
  await poll('the policy API to be gone', async () => ((await c().kubectl(['get', '--raw', '/apis/ephemeral-guard.dev/v1alpha1'])).code !== 0 ? true : undefined), { timeoutMs: 60_000 })
  await kubectlOk(c(), ['create', 'namespace', 'ephemeral-guard'])
  // The name kustomize's configMapGenerator would give, mounted at the path of --policy.
  await kubectlOk(c(), ['-n', 'ephemeral-guard', 'create', 'configmap', 'ephemeral-guard-policy-8k2f9', '--from-literal', `custom.yaml=${CUSTOM}`])
  await apply(JSON.stringify({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ephemeral-guard', namespace: 'ephemeral-guard' },
    spec: {
      replicas: 0, selector: { matchLabels: { app: 'eg' } },
      template: {
        metadata: { labels: { app: 'eg' } },
        spec: {
          containers: [{ name: 'webhook', image: 'ephemeral-guard:dev', args: ['serve', '--policy=/etc/ephemeral-guard/custom.yaml'], volumeMounts: [{ name: 'policy', mountPath: '/etc/ephemeral-guard' }] }],
          volumes: [{ name: 'policy', configMap: { name: 'ephemeral-guard-policy-8k2f9' } }],
        },
      },
    },
  }))
  const r = await cli('audit', ['-A', '-o', 'json'])
  t.equal(r.code, 1, { stderr: r.stderr })
  const doc = json(r)
  t.match(doc['policy'], { name: 'from-configmap', source: 'ConfigMap ephemeral-guard/ephemeral-guard-policy-8k2f9', inForce: [/^from-configmap@[0-9a-f]{12}$/] })
  t.same(verdicts(doc), { 'sre-dbg': 'pass', netshoot: 'deny', 'no-groups': 'unverified', latest: 'deny', 'dev-dbg': 'deny' }, 'the same judgement from the ConfigMap')
  t.same((items(doc).find((i) => i['container'] === 'latest')!['violations'] as JsonObject[]).map((v) => v['rule']), ['sre-only', 'trusted-images'], 'rules named as that webhook names them (bare)')

  await kubectlOk(c(), ['-n', 'ephemeral-guard', 'delete', 'configmap', 'ephemeral-guard-policy-8k2f9'])
  const fallback = await cli('audit', ['-A', '-o', 'json'])
  t.equal(fallback.code, 0, { stderr: fallback.stderr })
  t.match(json(fallback)['policy'], {
    name: 'default', source: 'built-in default', inForce: [/^default@[0-9a-f]{12}$/],
    notes: ['no policy CRDs (ephemeral-guard.dev/v1alpha1) and ConfigMap ephemeral-guard/ephemeral-guard-policy-8k2f9 not found'],
  })
  const table = await cli('audit', ['-A', '-o', 'table'])
  t.match(table.stdout, /; policies in force: default@[0-9a-f]{12} \(built-in default\)\n$/)

  await kubectlOk(c(), ['-n', 'ephemeral-guard', 'create', 'configmap', 'ephemeral-guard-policy-8k2f9', '--from-literal', 'custom.yaml=kind: nope'])
  const broken = await cli('audit', ['-A'])
  t.equal(broken.code, 2, 'a ConfigMap policy that does not load is an error, not a silent default')
  t.match(broken.stderr, /^ephemeral-guard audit: ConfigMap ephemeral-guard\/ephemeral-guard-policy-8k2f9 key custom\.yaml: invalid policy:\n/)
  t.equal(broken.stdout, '')
})
