// ephemeral-guard's own installation, judged against manifests/base/webhooks.yaml with real
// certificates (src/certs/generate.ts, and a root → intermediate → leaf chain built here).
import 'reflect-metadata'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import t from 'tap'
import { generateCertificates, type CertificateBundle } from '../../src/certs/generate.js'
import { formatFinding, type DoctorFinding } from '../../src/doctor/findings.js'
import { pemCertificates } from '../../src/certs/pem.js'
import { installationFindings, policyConfigMapOf, verifiesAgainst, type InstallFacts } from '../../src/doctor/install.js'
import { readManifest } from '../../src/doctor/manifest.js'
import type { JsonObject } from '../../src/kube/types.js'
import { PACKAGE_ROOT } from '../../src/paths.js'
import jsonPatch from 'fast-json-patch'

const MANIFEST_FILE = join(PACKAGE_ROOT, 'manifests', 'base', 'webhooks.yaml')
const MANIFEST = readManifest(MANIFEST_FILE)
const POLICY_TEXT = readFileSync(join(PACKAGE_ROOT, 'policies', 'default.yaml'), 'utf8')
const SERVICE_DNS = 'ephemeral-guard.ephemeral-guard.svc'
const DAY = 86_400_000
const b64 = (s: string): string => Buffer.from(s).toString('base64')

let certs: CertificateBundle
let otherCa: CertificateBundle
t.before(async () => {
  certs = await generateCertificates({ caName: 'test CA', dnsNames: [SERVICE_DNS, `${SERVICE_DNS}.cluster.local`], days: 90 })
  otherCa = await generateCertificates({ caName: 'other CA', dnsNames: [SERVICE_DNS] })
})

/** The manifest's configurations as the API server returns them once applied with a caBundle. */
function live(caPem: string): { validating: JsonObject[]; mutating: JsonObject[] } {
  const withCa = (doc: JsonObject): JsonObject => {
    const copy = structuredClone(doc)
    for (const w of copy['webhooks'] as JsonObject[]) {
      ;(w['clientConfig'] as JsonObject)['caBundle'] = b64(caPem)
      w['objectSelector'] = {} // an API server default
    }
    return copy
  }
  return {
    validating: MANIFEST.filter((d) => d['kind'] === 'ValidatingWebhookConfiguration').map(withCa),
    mutating: MANIFEST.filter((d) => d['kind'] === 'MutatingWebhookConfiguration').map(withCa),
  }
}

function healthy(over: Partial<InstallFacts> = {}): InstallFacts {
  return {
    names: { namespace: 'ephemeral-guard', service: 'ephemeral-guard', secret: 'ephemeral-guard-tls', configMap: 'ephemeral-guard-policy', policyKey: 'policy.yaml' },
    manifest: MANIFEST,
    manifestFile: 'manifests/base/webhooks.yaml',
    ...live(certs.caCert),
    service: { metadata: { name: 'ephemeral-guard' }, spec: { ports: [{ port: 443, targetPort: 8443 }] } },
    endpointSlices: [{ endpoints: [{ addresses: ['10.0.0.5'], conditions: { ready: true } }, { addresses: ['10.0.0.6'] }] }],
    secret: { data: { 'tls.crt': b64(certs.cert), 'tls.key': b64(certs.key) } },
    configMap: { data: { 'policy.yaml': POLICY_TEXT } },
    now: new Date(),
    expiryWarningMs: 30 * DAY,
    ...over,
  }
}

const problems = (fs: DoctorFinding[]): string[] => fs.filter((f) => f.level !== 'ok').map(formatFinding)
const oks = (fs: DoctorFinding[]): string[] => fs.filter((f) => f.level === 'ok').map((f) => `${f.subject}: ${f.message}`)

t.test('a healthy installation: every check ok, nothing to fix', async (t) => {
  const found = installationFindings(healthy())
  t.same(problems(found), [])
  t.same(oks(found).map((l) => l.replace(/valid until \S+/, 'valid until X').replace(/\(\w{12}\)/, '(HASH)')), [
    'validatingwebhookconfiguration/ephemeral-guard: present and as recommended in manifests/base/webhooks.yaml',
    'mutatingwebhookconfiguration/ephemeral-guard: present and as recommended in manifests/base/webhooks.yaml',
    'service/ephemeral-guard -n ephemeral-guard: exists with port 443',
    'service/ephemeral-guard -n ephemeral-guard: 2 ready endpoints',
    'secret/ephemeral-guard-tls -n ephemeral-guard: serving certificate valid until X',
    'validatingwebhookconfiguration/ephemeral-guard (webhook validate.ephemeral-guard.dev): caBundle verifies the serving certificate',
    'validatingwebhookconfiguration/ephemeral-guard (webhook policies.ephemeral-guard.dev): caBundle verifies the serving certificate',
    'validatingwebhookconfiguration/ephemeral-guard (webhook grants.ephemeral-guard.dev): caBundle verifies the serving certificate',
    'mutatingwebhookconfiguration/ephemeral-guard (webhook mutate.ephemeral-guard.dev): caBundle verifies the serving certificate',
    'mutatingwebhookconfiguration/ephemeral-guard (webhook grants.ephemeral-guard.dev): caBundle verifies the serving certificate',
    'configmap/ephemeral-guard-policy -n ephemeral-guard: policy default (HASH) loads: 6 rules; compare the hash with the webhook\'s /readyz',
  ])
})

t.test('webhook configurations: missing, or differing from the manifest\'s own values', async (t) => {
  t.same(problems(installationFindings(healthy({ validating: [], mutating: [] }))), [
    'ERROR   validatingwebhookconfiguration/ephemeral-guard: not found: nothing checks debug containers. Fix: kubectl apply the webhook configurations of manifests/base/webhooks.yaml (with your clientConfig)',
    'ERROR   mutatingwebhookconfiguration/ephemeral-guard: not found: debug containers are not mutated. Fix: kubectl apply the webhook configurations of manifests/base/webhooks.yaml (with your clientConfig)',
  ])
  const { validating, mutating } = live(certs.caCert)
  const v = validating[0]!['webhooks'] as JsonObject[]
  v[0]!['failurePolicy'] = 'Ignore'
  v[0]!['rules'] = [{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['pods'], scope: 'Namespaced' }]
  v[0]!['objectSelector'] = { matchLabels: { debug: 'ok' } }
  const m = mutating[0]!['webhooks'] as JsonObject[]
  m[0]!['name'] = 'renamed.example.com'
  const found = problems(installationFindings(healthy({ validating, mutating })))
  t.same(found.filter((l) => l.includes('validate.ephemeral-guard.dev): ') && !l.includes('caBundle')), [
    'WARNING validatingwebhookconfiguration/ephemeral-guard (webhook validate.ephemeral-guard.dev): failurePolicy is "Ignore"; recommended "Fail". Fix: set failurePolicy as in manifests/base/webhooks.yaml',
    'WARNING validatingwebhookconfiguration/ephemeral-guard (webhook validate.ephemeral-guard.dev): rules is [{"apiGroups":[""],"apiVersions":["v1"],"operations":["UPDATE"],"resources":["pods"],"scope":"Namespaced"}]; recommended [{"apiGroups":[""],"apiVersions":["v1"],"operations":["UPDATE"],"resources":["pods/ephemeralcontainers"],"scope":"Namespaced"}]. Fix: set rules as in manifests/base/webhooks.yaml',
    'WARNING validatingwebhookconfiguration/ephemeral-guard (webhook validate.ephemeral-guard.dev): objectSelector {"matchLabels":{"debug":"ok"}} lets pod labels, which users set, skip the webhook. Fix: remove the objectSelector',
  ])
  t.ok(found.includes('ERROR   mutatingwebhookconfiguration/ephemeral-guard (webhook mutate.ephemeral-guard.dev): webhook missing from the configuration. Fix: kubectl apply the webhook configurations of manifests/base/webhooks.yaml (with your clientConfig)'))
  t.notOk(oks(installationFindings(healthy({ validating, mutating }))).some((l) => l.includes('as recommended')), 'no "as recommended" line for a configuration that differs')
})

t.test('clientConfig: a URL is reported; another Service is an error', async (t) => {
  const { validating, mutating } = live(certs.caCert)
  const v = (validating[0]!['webhooks'] as JsonObject[])[0]!
  v['clientConfig'] = { url: 'https://127.0.0.1:1/validate', caBundle: b64(certs.caCert) }
  const m = (mutating[0]!['webhooks'] as JsonObject[])[0]!
  m['clientConfig'] = { service: { namespace: 'other', name: 'eg', path: '/mutate' }, caBundle: b64(certs.caCert) }
  const found = problems(installationFindings(healthy({ validating, mutating })))
  t.same(found, [
    'WARNING validatingwebhookconfiguration/ephemeral-guard (webhook validate.ephemeral-guard.dev): clientConfig calls https://127.0.0.1:1/validate, not the Service ephemeral-guard/ephemeral-guard: the Service and endpoint checks below say nothing about it. Fix: point clientConfig.service at ephemeral-guard/ephemeral-guard',
    'ERROR   mutatingwebhookconfiguration/ephemeral-guard (webhook mutate.ephemeral-guard.dev): clientConfig.service is other/eg:443/mutate; expected ephemeral-guard/ephemeral-guard:443/mutate. Fix: point clientConfig.service at ephemeral-guard/ephemeral-guard (or pass --namespace/--service)',
  ])
})

t.test('clientConfig.url: no TLS verdict on a certificate doctor cannot see', async (t) => {
  // The URL's server is not the Secret's: a caBundle of another CA is no evidence of failure.
  const { validating, mutating } = live(certs.caCert)
  const v = (validating[0]!['webhooks'] as JsonObject[])[0]!
  v['clientConfig'] = { url: 'https://127.0.0.1:1/validate', caBundle: b64(otherCa.caCert) }
  const all = installationFindings(healthy({ validating, mutating })).map(formatFinding)
  t.notOk(all.some((l) => l.includes('webhook validate.ephemeral-guard.dev') && l.includes('does not verify')), 'no TLS failure claimed')
  t.ok(all.includes('ok      validatingwebhookconfiguration/ephemeral-guard (webhook validate.ephemeral-guard.dev): caBundle not checked: clientConfig.url https://127.0.0.1:1/validate serves a certificate doctor cannot read (the Secret\'s need not be it)'))
  t.ok(all.some((l) => l.startsWith('ok      mutatingwebhookconfiguration/ephemeral-guard') && l.endsWith('caBundle verifies the serving certificate')), 'the Service-based webhook is still checked')
})

t.test('Service and endpoints', async (t) => {
  t.same(problems(installationFindings(healthy({ service: undefined, endpointSlices: [] }))).map((l) => l.split('. Fix')[0]), [
    'ERROR   service/ephemeral-guard -n ephemeral-guard: not found: the API server cannot call the webhook',
  ], 'no Service: one finding, endpoints not judged')
  t.same(problems(installationFindings(healthy({ service: { spec: { ports: [{ port: 8443 }] } } }))).map((l) => l.split('. Fix')[0]), [
    'ERROR   service/ephemeral-guard -n ephemeral-guard: has no port 443, which the webhooks call',
  ])
  t.same(problems(installationFindings(healthy({ service: { spec: {} } }))).length, 1, 'a Service without ports')
  const notReady = [{ endpoints: [{ addresses: ['10.0.0.5'], conditions: { ready: false } }, { addresses: [], conditions: { ready: true } }, 'x'] }, { metadata: {} }] as unknown as JsonObject[]
  t.same(problems(installationFindings(healthy({ endpointSlices: notReady }))), [
    'ERROR   service/ephemeral-guard -n ephemeral-guard: no ready endpoints (EndpointSlices): no replica can answer; validating requests fail. Fix: check the Deployment\'s pods in ephemeral-guard (kubectl -n ephemeral-guard get pods; /readyz)',
  ])
  t.ok(oks(installationFindings(healthy({ endpointSlices: [{ endpoints: [{ addresses: ['10.0.0.5'] }] }] }))).includes('service/ephemeral-guard -n ephemeral-guard: 1 ready endpoint'), 'ready unset means ready')
})

t.test('the serving certificate: missing, unreadable, garbage, expiry, names', async (t) => {
  const first = (over: Partial<InstallFacts>): string[] => problems(installationFindings(healthy(over))).map((l) => l.split('. Fix')[0]!)
  t.same(first({ secret: undefined }), ['ERROR   secret/ephemeral-guard-tls -n ephemeral-guard: not found: the webhook has no serving certificate'])
  t.same(first({ secret: 'forbidden' }), ['WARNING secret/ephemeral-guard-tls -n ephemeral-guard: cannot read it (forbidden): caBundle and expiry not checked'])
  t.same(first({ secret: { data: { 'tls.crt': b64('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n') } } }), ['ERROR   secret/ephemeral-guard-tls -n ephemeral-guard: tls.crt holds no certificate that parses'])
  t.same(first({ secret: { data: {} } }), ['ERROR   secret/ephemeral-guard-tls -n ephemeral-guard: tls.crt holds no certificate'])
  const later = (days: number) => new Date(Date.now() + days * DAY)
  t.match(first({ now: later(100) })[0], /^ERROR   secret\/ephemeral-guard-tls -n ephemeral-guard: serving certificate expired \d{4}-/)
  t.match(first({ now: later(70) })[0], /^WARNING secret\/ephemeral-guard-tls -n ephemeral-guard: serving certificate expires \S+ \(in 1\dd\)$/, 'within --expiry-warning')
  t.match(first({ now: later(-1) })[0], /^ERROR   secret\/ephemeral-guard-tls -n ephemeral-guard: serving certificate not valid before /)
  t.same(first({ names: { ...healthy().names, namespace: 'ephemeral-guard', service: 'eg' }, service: { spec: { ports: [{ port: 443 }] } } }).filter((l) => l.startsWith('ERROR   secret')),
    ['ERROR   secret/ephemeral-guard-tls -n ephemeral-guard: serving certificate is not valid for eg.ephemeral-guard.svc, the name the API server calls'])
})

t.test('caBundle: must verify the serving certificate', async (t) => {
  const { validating, mutating } = live(otherCa.caCert)
  ;((mutating[0]!['webhooks'] as JsonObject[])[0]!['clientConfig'] as JsonObject)['caBundle'] = ''
  t.same(problems(installationFindings(healthy({ validating, mutating }))).map((l) => l.split('. Fix')[0]), [
    'ERROR   validatingwebhookconfiguration/ephemeral-guard (webhook validate.ephemeral-guard.dev): caBundle does not verify the serving certificate in secret/ephemeral-guard-tls -n ephemeral-guard: every call fails TLS',
    'ERROR   validatingwebhookconfiguration/ephemeral-guard (webhook policies.ephemeral-guard.dev): caBundle does not verify the serving certificate in secret/ephemeral-guard-tls -n ephemeral-guard: every call fails TLS',
    'ERROR   validatingwebhookconfiguration/ephemeral-guard (webhook grants.ephemeral-guard.dev): caBundle does not verify the serving certificate in secret/ephemeral-guard-tls -n ephemeral-guard: every call fails TLS',
    'ERROR   mutatingwebhookconfiguration/ephemeral-guard (webhook mutate.ephemeral-guard.dev): caBundle is empty or holds no certificate: the API server cannot verify the webhook',
    'ERROR   mutatingwebhookconfiguration/ephemeral-guard (webhook grants.ephemeral-guard.dev): caBundle does not verify the serving certificate in secret/ephemeral-guard-tls -n ephemeral-guard: every call fails TLS',
  ])
  const both = live(`${otherCa.caCert}${certs.caCert}`)
  t.same(problems(installationFindings(healthy(both))), [], 'a bundle of two CAs (during rotation) verifies')
  const stale = await generateCertificates({ caName: 'short CA', dnsNames: [SERVICE_DNS], days: 1 })
  const expired = installationFindings(healthy({ ...live(stale.caCert), secret: { data: { 'tls.crt': b64(stale.cert) } }, now: new Date(Date.now() + 20 * DAY) }))
  t.ok(problems(expired).some((l) => l.includes('every CA in caBundle has expired')))
})

async function chain(): Promise<{ root: string; intermediate: string; leaf: string }> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])
  const alg = { name: 'ECDSA', namedCurve: 'P-256' } as const
  const sig = { name: 'ECDSA', hash: 'SHA-256' } as const
  const keys = async () => (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const notBefore = new Date(Date.now() - 60_000)
  const notAfter = new Date(Date.now() + 30 * DAY)
  const [rk, ik, lk] = [await keys(), await keys(), await keys()]
  const root = await x509.X509CertificateGenerator.createSelfSigned({ name: 'CN=root', keys: rk, notBefore, notAfter, signingAlgorithm: sig, extensions: [new x509.BasicConstraintsExtension(true, 1, true)] })
  const inter = await x509.X509CertificateGenerator.create({ subject: 'CN=intermediate', issuer: root.subject, publicKey: ik.publicKey, signingKey: rk.privateKey, notBefore, notAfter, signingAlgorithm: sig, extensions: [new x509.BasicConstraintsExtension(true, 0, true)] })
  const leaf = await x509.X509CertificateGenerator.create({ subject: `CN=${SERVICE_DNS}`, issuer: inter.subject, publicKey: lk.publicKey, signingKey: ik.privateKey, notBefore, notAfter, signingAlgorithm: sig, extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: SERVICE_DNS }])] })
  return { root: root.toString('pem'), intermediate: inter.toString('pem'), leaf: leaf.toString('pem') }
}

t.test('verifiesAgainst follows an intermediate in tls.crt up to the bundle', async (t) => {
  const c = await chain()
  const [leaf, inter] = pemCertificates(`${c.leaf}\n${c.intermediate}`).certs
  const [root] = pemCertificates(c.root).certs
  t.ok(verifiesAgainst(leaf!, [inter!], [root!]), 'leaf → intermediate → root')
  t.ok(verifiesAgainst(leaf!, [], [inter!]), 'the intermediate itself in the bundle')
  t.notOk(verifiesAgainst(leaf!, [], [root!]), 'without the intermediate, the root does not verify the leaf')
  t.ok(verifiesAgainst(leaf!, [], [leaf!]), 'a bundle holding the certificate itself')
  const other = pemCertificates(otherCa.caCert).certs
  t.notOk(verifiesAgainst(leaf!, [inter!], other))
  t.same(pemCertificates(`${c.root}\n-----BEGIN CERTIFICATE-----\nAAA`).bad, 1, 'an unterminated block is counted as bad')
  t.same(installationFindings(healthy({ ...live(c.root), secret: { data: { 'tls.crt': b64(`${c.leaf}${c.intermediate}`) } } })).filter((f) => f.message.startsWith('caBundle')).map((f) => f.level), ['ok', 'ok', 'ok', 'ok', 'ok'], 'every webhook, the policy and grant webhooks included')
})

t.test('the policy ConfigMap must load', async (t) => {
  const first = (over: Partial<InstallFacts>): string[] => problems(installationFindings(healthy(over)))
  t.same(first({ configMap: undefined }), ['ERROR   configmap/ephemeral-guard-policy -n ephemeral-guard: not found: the webhook has no policy to load. Fix: create it from your policy file, or pass --configmap with its name'])
  t.same(first({ configMap: undefined, policyCrds: true }), [], 'with the policy CRDs, no ConfigMap is needed')
  t.same(first({ configMap: { data: { 'other.yaml': POLICY_TEXT } } }), ['ERROR   configmap/ephemeral-guard-policy -n ephemeral-guard: has no key policy.yaml. Fix: put the policy under data.policy.yaml (or pass --policy-key)'])
  t.same(first({ configMap: { data: { 'policy.yaml': POLICY_TEXT.replace('mode: enforce', 'mode: strict') } } }), [
    'ERROR   configmap/ephemeral-guard-policy -n ephemeral-guard: policy does not load: spec.mode: must be one of "enforce", "warn", "audit". Fix: fix it (ephemeral-guard policy check FILE); the webhook keeps its last good policy meanwhile',
  ])
})

t.test('readManifest keeps only webhook configurations and names the file when it does not parse', async (t) => {
  t.same(MANIFEST.map((d) => d['kind']), ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'])
  const dir = t.testdir({ 'bad.yaml': 'a: [\n', 'mixed.yaml': 'kind: Service\n---\nkind: MutatingWebhookConfiguration\n' })
  t.throws(() => readManifest(join(dir, 'bad.yaml')), { message: new RegExp(`^${join(dir, 'bad.yaml')}: `) })
  t.same(readManifest(join(dir, 'mixed.yaml')), [{ kind: 'MutatingWebhookConfiguration' }])
})

t.test('the policy ConfigMap is the one the Deployment mounts at its --policy path', async (t) => {
  const { parse, parseAllDocuments } = await import('yaml')
  const base = parseAllDocuments(readFileSync(join(PACKAGE_ROOT, 'manifests', 'base', 'deployment.yaml'), 'utf8'))
    .map((d) => d.toJSON() as JsonObject).find((d) => d['kind'] === 'Deployment')!
  t.equal(policyConfigMapOf(base), undefined, 'the base Deployment serves the cluster\'s policy objects (--cluster-policies): no ConfigMap')
  // The component manifests/components/configmap-policy, applied as kustomize applies its JSON patch.
  const component = parse(readFileSync(join(PACKAGE_ROOT, 'manifests', 'components', 'configmap-policy', 'kustomization.yaml'), 'utf8')) as { patches: Array<{ patch: string }> }
  const deployment = jsonPatch.applyPatch(structuredClone(base), parse(component.patches[0]!.patch) as jsonPatch.Operation[], true, false).newDocument
  t.same(policyConfigMapOf(deployment), { name: 'ephemeral-guard-policy', key: 'policy.yaml' }, 'with the configmap-policy component')
  const hashed = JSON.parse(JSON.stringify(deployment).replace('"name":"ephemeral-guard-policy"', '"name":"ephemeral-guard-policy-7h2k9f8m4c"')) as JsonObject
  t.same(policyConfigMapOf(hashed), { name: 'ephemeral-guard-policy-7h2k9f8m4c', key: 'policy.yaml' }, 'kustomize adds a content hash to the name')
  const pod = (args: string[], mounts: JsonObject[], volumes: JsonObject[]): JsonObject =>
    ({ spec: { template: { spec: { containers: [{ name: 'c', args, volumeMounts: mounts }], volumes } } } })
  t.same(policyConfigMapOf(pod(['--policy', '/p/sub/x.yaml'], [{ name: 'v', mountPath: '/p/' }], [{ name: 'v', configMap: { name: 'cm' } }])), { name: 'cm', key: 'sub/x.yaml' }, 'separate flag value, trailing slash')
  t.equal(policyConfigMapOf(pod([], [{ name: 'v', mountPath: '/p' }], [{ name: 'v', configMap: { name: 'cm' } }])), undefined, 'no --policy')
  t.equal(policyConfigMapOf(pod(['--policy=/q/x.yaml'], [{ name: 'v', mountPath: '/p' }], [{ name: 'v', configMap: { name: 'cm' } }])), undefined, 'not under a mount')
  t.equal(policyConfigMapOf(pod(['--policy=/p/x.yaml'], [{ name: 'v', mountPath: '/p', subPath: 'x' }], [{ name: 'v', configMap: { name: 'cm' } }])), undefined, 'subPath mounts are not followed')
  t.equal(policyConfigMapOf(pod(['--policy=/p/x.yaml'], [{ name: 'v', mountPath: '/p' }], [{ name: 'v', secret: { secretName: 's' } }])), undefined, 'not a ConfigMap')
  t.equal(policyConfigMapOf({}), undefined, 'no spec')
})
