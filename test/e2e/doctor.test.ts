// `ephemeral-guard doctor` against a real kube-apiserver: admission webhooks and
// ValidatingAdmissionPolicies with and without the pods/ephemeralcontainers subresource (a loopback
// URL nobody listens on, failurePolicy Ignore, namespace selectors that match nothing, harmless CEL, so
// nothing else is disturbed), and ephemeral-guard's own installation, healthy and then broken piece by
// piece. Its Service never has a ready endpoint while a webhook configuration names it (see
// endpointSlice below): nothing here may make the API server dial off this machine.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { stringify } from 'yaml'
import { generateCertificates } from '../../src/certs/generate.js'
import type { JsonObject } from '../../src/kube/types.js'
import { kubectlOk, REPO_ROOT } from './support/cluster.js'
import { fileCluster } from './support/setup.js'
import { run, type RunResult, cleanNode } from './support/process.js'
import { guardNetwork } from './support/network-guard.js'

// Loopback only: fails this file on any socket or Service that could reach off this machine.
guardNetwork(t)

const { dataDir, cluster: c } = fileCluster(t, 'doctor')

const MAIN = join(REPO_ROOT, 'dist/main.js')
const MANIFEST = join(REPO_ROOT, 'manifests/base/webhooks.yaml')
const NS = 'ephemeral-guard'
const doctor = (args: readonly string[] = []): Promise<RunResult> =>
  run(...cleanNode([MAIN, 'doctor', '--kubeconfig', c().info.kubeconfig, ...args]), { timeoutMs: 60_000 })
const apply = (objects: readonly JsonObject[]): Promise<string> =>
  kubectlOk(c(), ['apply', '-f', '-'], { input: objects.map((o) => stringify(o)).join('---\n') })
const problemLines = (r: RunResult): string[] => r.stdout.split('\n').filter((l) => l.startsWith('ERROR') || l.startsWith('WARNING'))
const b64 = (s: string): string => Buffer.from(s).toString('base64')

t.test('nothing installed: each missing piece, one line with its fix; exit 1', async (t) => {
  const r = await doctor()
  t.equal(r.code, 1, { stderr: r.stderr })
  t.same(problemLines(r).map((l) => l.split(': not found')[0]), [
    'ERROR   validatingwebhookconfiguration/ephemeral-guard',
    'ERROR   mutatingwebhookconfiguration/ephemeral-guard',
    'ERROR   service/ephemeral-guard -n ephemeral-guard',
    'ERROR   secret/ephemeral-guard-tls -n ephemeral-guard',
    'ERROR   configmap/ephemeral-guard-policy -n ephemeral-guard',
  ])
  for (const l of problemLines(r)) t.match(l, /\. Fix: \S/, 'every finding carries its fix')
  t.match(r.stdout, /5 problems found; checked 0 validating and 0 mutating webhook configurations, 0 validating admission policies and 0 bindings\.\n$/)
})

// The EndpointSlice the endpoint controller would write for a replica (no controller-manager here).
// EndpointSlices cannot hold loopback addresses, so its endpoint is ready only while no webhook
// configuration names the Service: with one registered, the API server would dial 10.0.0.5 on the
// next call (--enable-aggregator-routing), and the network guard fails the file.
const endpointSlice = (ready: boolean): JsonObject => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `${NS}-abc12`, namespace: NS, labels: { 'kubernetes.io/service-name': NS } },
  addressType: 'IPv4', ports: [{ name: 'https', port: 8443, protocol: 'TCP' }], endpoints: [{ addresses: ['10.0.0.5'], conditions: { ready } }],
})

let caPem = ''
/** Everything but the webhook configurations, with a ready endpoint behind the Service. */
async function installWithoutWebhooks(): Promise<void> {
  const certs = await generateCertificates({ caName: 'doctor e2e CA', dnsNames: [`${NS}.${NS}.svc`, `${NS}.${NS}.svc.cluster.local`] })
  caPem = certs.caCert
  await kubectlOk(c(), ['create', 'namespace', NS])
  await apply([
    { apiVersion: 'v1', kind: 'Service', metadata: { name: NS, namespace: NS }, spec: { selector: { app: NS }, ports: [{ name: 'https', port: 443, targetPort: 8443 }] } },
    endpointSlice(true),
    { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: `${NS}-tls`, namespace: NS }, data: { 'tls.crt': b64(certs.cert), 'tls.key': b64(certs.key), 'ca.crt': b64(certs.caCert) } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${NS}-policy`, namespace: NS }, data: { 'policy.yaml': readFileSync(join(REPO_ROOT, 'policies/default.yaml'), 'utf8') } },
  ])
}

/** The endpoint not ready first, then the webhook configurations as the install overlays leave them (only caBundle added). */
async function registerWebhooks(): Promise<void> {
  await apply([endpointSlice(false)])
  const withCa = readFileSync(MANIFEST, 'utf8').replace(/(\n {6}service:\n(?: {8}.*\n)+)/g, `$1      caBundle: ${b64(caPem)}\n`)
  t.ok(withCa.split('caBundle:').length === 6, 'caBundle added to every webhook (the policy webhook, and the grant webhook in both configurations)')
  await kubectlOk(c(), ['apply', '-f', '-'], { input: withCa })
}

const okLines = (r: RunResult): string[] => r.stdout.split('\n').filter((l) => l.startsWith('ok'))
  .map((l) => l.replace(/valid until \S+/, 'valid until X').replace(/\([0-9a-f]{12}\)/, '(HASH)').replace(/ in \/\S+webhooks\.yaml/, ' in webhooks.yaml'))

t.test('a ready endpoint behind the Service is counted (no webhook configuration names the Service yet)', async (t) => {
  await installWithoutWebhooks()
  const r = await doctor()
  t.equal(r.code, 1, { stdout: r.stdout, stderr: r.stderr })
  t.same(problemLines(r).map((l) => l.split(': not found')[0]), ['ERROR   validatingwebhookconfiguration/ephemeral-guard', 'ERROR   mutatingwebhookconfiguration/ephemeral-guard'], 'only the configurations are missing')
  t.same(okLines(r).filter((l) => l.includes(' service/')), [
    'ok      service/ephemeral-guard -n ephemeral-guard: exists with port 443',
    'ok      service/ephemeral-guard -n ephemeral-guard: 1 ready endpoint',
  ])
})

t.test('installed as recommended, the endpoint not ready: every check ok but the endpoints, exit 1', async (t) => {
  await registerWebhooks()
  const r = await doctor()
  t.equal(r.code, 1, { stdout: r.stdout, stderr: r.stderr })
  t.same(problemLines(r).map((l) => l.split('. Fix: ')[0]), ['ERROR   service/ephemeral-guard -n ephemeral-guard: no ready endpoints (EndpointSlices): no replica can answer; validating requests fail'])
  t.same(okLines(r), [
    'ok      validatingwebhookconfiguration/ephemeral-guard: present and as recommended in webhooks.yaml',
    'ok      mutatingwebhookconfiguration/ephemeral-guard: present and as recommended in webhooks.yaml',
    'ok      service/ephemeral-guard -n ephemeral-guard: exists with port 443',
    'ok      secret/ephemeral-guard-tls -n ephemeral-guard: serving certificate valid until X',
    'ok      validatingwebhookconfiguration/ephemeral-guard (webhook validate.ephemeral-guard.dev): caBundle verifies the serving certificate',
    'ok      validatingwebhookconfiguration/ephemeral-guard (webhook policies.ephemeral-guard.dev): caBundle verifies the serving certificate',
    'ok      validatingwebhookconfiguration/ephemeral-guard (webhook grants.ephemeral-guard.dev): caBundle verifies the serving certificate',
    'ok      mutatingwebhookconfiguration/ephemeral-guard (webhook mutate.ephemeral-guard.dev): caBundle verifies the serving certificate',
    'ok      mutatingwebhookconfiguration/ephemeral-guard (webhook grants.ephemeral-guard.dev): caBundle verifies the serving certificate',
    'ok      configmap/ephemeral-guard-policy -n ephemeral-guard: policy default (HASH) loads: 6 rules; compare the hash with the webhook\'s /readyz',
  ])
  t.match(r.stdout, /\n1 problem found; checked 1 validating and 1 mutating webhook configurations, 0 validating admission policies and 0 bindings\.\n$/)
  const j = await doctor(['-o', 'json'])
  t.equal(j.code, 1)
  t.match(JSON.parse(j.stdout), { problems: 1, findings: [...Array(3).fill({ level: 'ok' }), { level: 'error' }, ...Array(5).fill({ level: 'ok' })] })
})

// Webhooks that nobody serves and that match no namespace: they are only read, never called.
const nowhere = { url: 'https://127.0.0.1:1/nowhere' }
const webhook = (name: string, rules: JsonObject[]): JsonObject => ({
  name, rules, clientConfig: nowhere, failurePolicy: 'Ignore', sideEffects: 'None', admissionReviewVersions: ['v1'],
  namespaceSelector: { matchLabels: { 'doctor-e2e': 'never' } },
})
const rule = (resources: string[], operations: string[] = ['CREATE', 'UPDATE'], apiGroups: string[] = ['']): JsonObject =>
  ({ apiGroups, apiVersions: ['*'], operations, resources })
const vap = (name: string, resourceRules: JsonObject[]): JsonObject => ({
  apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name },
  spec: { failurePolicy: 'Ignore', matchConstraints: { resourceRules }, validations: [{ expression: 'true' }] },
})
const binding = (name: string, policyName: string, matchResources?: JsonObject): JsonObject => ({
  apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name },
  spec: { policyName, validationActions: ['Audit'], ...(matchResources ? { matchResources } : {}) },
})

t.test('webhooks and admission policies that cannot see kubectl debug are named, with the fix', async (t) => {
  await apply([
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'pods-only' }, webhooks: [webhook('pods.example.com', [rule(['pods'])])] },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'sees-debug' }, webhooks: [webhook('sees.example.com', [rule(['pods', 'pods/ephemeralcontainers'])])] },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'star' }, webhooks: [webhook('star.example.com', [rule(['*'], ['*'], ['*'])])] },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'everything' }, webhooks: [webhook('all.example.com', [rule(['*/*'], ['*'], ['*'])])] },
    {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'create-only' },
      webhooks: [webhook('create.example.com', [rule(['pods', 'pods/ephemeralcontainers'], ['CREATE'])]), webhook('deploy.example.com', [rule(['deployments'], ['*'], ['apps'])])],
    },
    vap('pods-only-policy', [rule(['pods'])]),
    binding('pods-only-binding', 'pods-only-policy'),
    vap('sees-policy', [rule(['pods', 'pods/ephemeralcontainers'])]),
    binding('sees-binding', 'sees-policy'),
    binding('narrowing-binding', 'sees-policy', { resourceRules: [rule(['pods'])] }),
    vap('unbound-policy', [rule(['pods'], ['CREATE'])]),
  ])
  const r = await doctor()
  t.equal(r.code, 1)
  const lines = problemLines(r)
  t.same(lines.map((l) => l.split(': ')[0]), [
    'ERROR   validatingwebhookconfiguration/pods-only (webhook pods.example.com)',
    'ERROR   validatingwebhookconfiguration/star (webhook star.example.com)',
    'ERROR   mutatingwebhookconfiguration/create-only (webhook create.example.com)',
    'ERROR   validatingadmissionpolicy/pods-only-policy',
    'ERROR   validatingadmissionpolicybinding/narrowing-binding (policy sees-policy)',
    'WARNING validatingadmissionpolicy/unbound-policy',
    'ERROR   service/ephemeral-guard -n ephemeral-guard',
  ], 'exactly the blind ones (and our endpoint, not ready); sees-debug, everything, deploy.example.com and sees-binding are fine')
  t.equal(lines[0], 'ERROR   validatingwebhookconfiguration/pods-only (webhook pods.example.com): matches pods but not pods/ephemeralcontainers (a rule for pods never matches a subresource): kubectl debug bypasses it. Fix: add "pods/ephemeralcontainers" (with operation UPDATE) to the resources of the rule that matches pods, in the same apiGroups [""]')
  t.match(lines[1], 'matches * but not pods/ephemeralcontainers')
  t.match(lines[2], 'matches pods/ephemeralcontainers, but not for UPDATE, the only operation kubectl debug uses')
  t.match(lines[3], '(bound by pods-only-binding). Fix: add "pods/ephemeralcontainers" (with operation UPDATE) to the resources of spec.matchConstraints.resourceRules')
  t.match(lines[4], 'its matchResources.resourceRules leave out UPDATE of pods/ephemeralcontainers')
  t.match(lines[5], 'inspects pods for CREATE only and never pods/ephemeralcontainers; adding an ephemeral container is an UPDATE of that subresource: kubectl debug bypasses it (not bound yet)')
  t.match(r.stdout, /7 problems found; checked 5 validating and 2 mutating webhook configurations, 3 validating admission policies and 3 bindings\.\n$/)
})

t.test('a broken installation: each fault found, one line with its fix', async (t) => {
  // Drop the foreign configurations so only ephemeral-guard's own findings remain.
  await kubectlOk(c(), ['delete', 'validatingwebhookconfiguration', 'pods-only', 'star', 'sees-debug', 'everything'])
  await kubectlOk(c(), ['delete', 'mutatingwebhookconfiguration', 'create-only'])
  await kubectlOk(c(), ['delete', 'validatingadmissionpolicybinding', 'pods-only-binding', 'sees-binding', 'narrowing-binding'])
  await kubectlOk(c(), ['delete', 'validatingadmissionpolicy', 'pods-only-policy', 'sees-policy', 'unbound-policy'])

  await kubectlOk(c(), ['patch', 'validatingwebhookconfiguration', NS, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/webhooks/0/failurePolicy', value: 'Ignore' }])])
  // A serving certificate that expired, from another CA than the caBundle's.
  const expired = await generateCertificates({ caName: 'other CA', dnsNames: [`${NS}.${NS}.svc`], days: 0 })
  await kubectlOk(c(), ['-n', NS, 'patch', 'secret', `${NS}-tls`, '--type=merge', '-p', JSON.stringify({ data: { 'tls.crt': b64(expired.cert), 'tls.key': b64(expired.key) } })])
  const broken = readFileSync(join(REPO_ROOT, 'policies/default.yaml'), 'utf8').replace('allowPrivileged: false', 'allowPrivileged: nope')
  await kubectlOk(c(), ['-n', NS, 'create', 'configmap', `${NS}-policy`, '--from-literal', `policy.yaml=${broken}`, '--dry-run=client', '-o', 'yaml'])
    .then((yaml) => kubectlOk(c(), ['replace', '-f', '-'], { input: yaml }))

  const r = await doctor()
  t.equal(r.code, 1)
  const lines = problemLines(r)
  t.same(lines.map((l) => l.split('. Fix: ')[0]!.replace(/expired \S+Z/, 'expired X')), [
    'WARNING validatingwebhookconfiguration/ephemeral-guard (webhook validate.ephemeral-guard.dev): failurePolicy is "Ignore"; recommended "Fail"',
    'ERROR   service/ephemeral-guard -n ephemeral-guard: no ready endpoints (EndpointSlices): no replica can answer; validating requests fail',
    'ERROR   secret/ephemeral-guard-tls -n ephemeral-guard: serving certificate expired X: the API server refuses it',
    'ERROR   validatingwebhookconfiguration/ephemeral-guard (webhook validate.ephemeral-guard.dev): caBundle does not verify the serving certificate in secret/ephemeral-guard-tls -n ephemeral-guard: every call fails TLS',
    'ERROR   validatingwebhookconfiguration/ephemeral-guard (webhook policies.ephemeral-guard.dev): caBundle does not verify the serving certificate in secret/ephemeral-guard-tls -n ephemeral-guard: every call fails TLS',
    'ERROR   validatingwebhookconfiguration/ephemeral-guard (webhook grants.ephemeral-guard.dev): caBundle does not verify the serving certificate in secret/ephemeral-guard-tls -n ephemeral-guard: every call fails TLS',
    'ERROR   mutatingwebhookconfiguration/ephemeral-guard (webhook mutate.ephemeral-guard.dev): caBundle does not verify the serving certificate in secret/ephemeral-guard-tls -n ephemeral-guard: every call fails TLS',
    'ERROR   mutatingwebhookconfiguration/ephemeral-guard (webhook grants.ephemeral-guard.dev): caBundle does not verify the serving certificate in secret/ephemeral-guard-tls -n ephemeral-guard: every call fails TLS',
    'ERROR   configmap/ephemeral-guard-policy -n ephemeral-guard: policy does not load: spec.rules[0].securityContext.allowPrivileged: must be boolean',
  ])
  t.match(lines[0], new RegExp(`Fix: set failurePolicy as in ${MANIFEST.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`), 'compared with the manifest file itself')
})

t.test('names are flags: another namespace and names are looked up', async (t) => {
  const r = await doctor(['--namespace', 'guard', '--service', 'eg', '--secret', 'eg-tls', '--configmap', 'eg-policy'])
  t.equal(r.code, 1)
  t.ok(problemLines(r).includes('ERROR   service/eg -n guard: not found: the API server cannot call the webhook. Fix: install the Service, or pass --namespace/--service with the names you used'))
  t.ok(problemLines(r).some((l) => l.startsWith('ERROR   validatingwebhookconfiguration/ephemeral-guard (webhook validate.ephemeral-guard.dev): clientConfig.service is ephemeral-guard/ephemeral-guard:443/validate; expected guard/eg:443/validate')))
})

t.test('errors: one line, exit 2', async (t) => {
  const kc = readFileSync(c().info.kubeconfig, 'utf8').replace(c().info.server, 'https://127.0.0.1:1')
  const file = join(dataDir, 'unreachable.kubeconfig')
  writeFileSync(file, kc)
  const r = await run(...cleanNode([MAIN, 'doctor', '--kubeconfig', file]), { timeoutMs: 60_000 })
  t.equal(r.code, 2)
  t.match(r.stderr, /^ephemeral-guard doctor: cannot reach the API server at https:\/\/127\.0\.0\.1:1: ECONNREFUSED[^\n]*\n$/)
  t.equal(r.stdout, '')
  const bad = await doctor(['--expiry-warning', 'soon'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /^ephemeral-guard doctor: --expiry-warning: invalid duration "soon"/)
})
