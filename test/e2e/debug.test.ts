// kubectl debug, server-side dry run and the audit trail, against a real API server calling
// ephemeral-guard (node dist/main.js serve) through the manifest's webhook configurations.
import t from 'tap'
import type { JsonObject } from '../../src/kube/types.js'
import { PROFILE_SECURITY_CONTEXT, type Profile } from '../support/reviews.js'
import {
  createTargetPod, ephemeralContainers, ephemeralContainersPath, freshNamespace, kubectlOk, withEphemeralContainers,
} from './support/cluster.js'
import { poll } from './support/process.js'
import { fileEnvironment } from './support/setup.js'
import { COMPLIANT, CONFIGURATION_NAME, decisions, GRANT_WEBHOOK, MUTATING_WEBHOOK, SYSADMIN, VALIDATING_WEBHOOK, type LogRecord } from './support/webhook.js'
import { guardNetwork } from './support/network-guard.js'

// Loopback only: fails this file on any socket or Service that could reach off this machine.
guardNetwork(t)

const e = fileEnvironment(t)

const DENIED = `admission webhook "${VALIDATING_WEBHOOK}" denied the request: `
const NO_PRIVILEGED = 'spec.ephemeralContainers[0].securityContext.privileged: Forbidden: privileged debug containers are not allowed (rule no-privileged)'
const NO_NET_ADMIN = [
  'spec.ephemeralContainers[0].securityContext.capabilities.add[0]: Forbidden: capability "NET_ADMIN" is not allowed; allowed: SYS_PTRACE (rule allowed-capabilities)',
  'spec.ephemeralContainers[0].securityContext.capabilities.add[1]: Forbidden: capability "NET_RAW" is not allowed; allowed: SYS_PTRACE (rule allowed-capabilities)',
]
const DIGEST_IMAGE = `busybox@sha256:${'0123456789abcdef'.repeat(4)}`

/** The server's "admission decision" records for one namespace, once `count` of them have been logged. */
const decisionsIn = (namespace: string, count: number): Promise<LogRecord[]> => decisions(e().webhook, namespace, count)

const debug = (namespace: string, profile: string, name: string, image = 'busybox:1.36') =>
  e().cluster.kubectl(['-n', namespace, 'debug', 'pod/target', `--image=${image}`, `--profile=${profile}`, '-c', name])

t.test('the registered configurations are the manifest, with only clientConfig pointing at the test server', async (t) => {
  const { cluster, webhook, applied } = e()
  const caBundle = Buffer.from(webhook.caPem).toString('base64')
  for (const doc of applied) {
    const kind = String(doc['kind'])
    const live = JSON.parse(await kubectlOk(cluster, ['get', kind.toLowerCase(), CONFIGURATION_NAME, '-o', 'json'])) as JsonObject
    const want = doc['webhooks'] as JsonObject[]
    const got = live['webhooks'] as JsonObject[]
    t.equal(got.length, want.length, `${kind}: number of webhooks`)
    want.forEach((w, i) => {
      const base = kind === 'ValidatingWebhookConfiguration' ? '/validate' : '/mutate'
      const path = w['name'] === 'policies.ephemeral-guard.dev' ? '/validate-policy' : w['name'] === GRANT_WEBHOOK ? `${base}-grants` : base
      t.same(got[i]?.['clientConfig'], { url: `${webhook.url}${path}`, caBundle }, `${kind} ${String(w['name'])}: clientConfig`)
      const { clientConfig: _ignored, ...rest } = w
      // t.has: every field written in the manifest is there unchanged; the API server adds defaults
      // (objectSelector, rule scope) beside them.
      t.has(got[i], rest, `${kind} ${String(w['name'])}: every other field as in the manifest`)
    })
  }
})

for (const profile of ['legacy', 'general', 'baseline', 'restricted'] as const satisfies readonly Profile[]) {
  t.test(`kubectl debug --profile=${profile} adds the container, pulled Always by our mutation`, async (t) => {
    const { cluster } = e()
    const ns = await freshNamespace(cluster, `debug-${profile}`)
    await createTargetPod(cluster, ns)
    const r = await debug(ns, profile, 'dbg')
    t.equal(r.code, 0, 'kubectl debug exits 0', { stderr: r.stderr })
    t.notMatch(r.stderr, /Warning: spec\./, 'the mutating webhook has nothing to warn about')
    const list = await ephemeralContainers(cluster, ns, 'target')
    t.equal(list.length, 1, 'one ephemeral container')
    const [c] = list
    t.equal(c?.['name'], 'dbg', 'the name given with -c')
    t.equal(c?.['image'], 'busybox:1.36', 'the image given with --image')
    // The API server's own default for a tagged image other than :latest is IfNotPresent.
    t.equal(c?.['imagePullPolicy'], 'Always', 'imagePullPolicy set by mutate.ephemeral-guard.dev')
    t.same(c?.['securityContext'], PROFILE_SECURITY_CONTEXT[profile], `the ${profile} profile's securityContext`)
    const logged = await decisionsIn(ns, 2)
    t.same(logged.map((d) => [d['webhook'], d['decision'], d['pod'], d['dryRun']]), [['mutate', 'patched', 'target', false], ['validate', 'allowed', 'target', false]],
      'the server logged one mutation and one validation, in admission order')
  })
}

t.test('kubectl debug with an image pinned by digest keeps IfNotPresent', async (t) => {
  const { cluster } = e()
  const ns = await freshNamespace(cluster, 'debug-digest')
  await createTargetPod(cluster, ns)
  const r = await debug(ns, 'general', 'pinned', DIGEST_IMAGE)
  t.equal(r.code, 0, 'kubectl debug exits 0', { stderr: r.stderr })
  const [c, ...more] = await ephemeralContainers(cluster, ns, 'target')
  t.equal(more.length, 0, 'one ephemeral container')
  t.equal(c?.['image'], DIGEST_IMAGE, 'the image as given')
  t.equal(c?.['imagePullPolicy'], 'IfNotPresent', 'a digest fixes the content: IfNotPresent')
  const logged = await decisionsIn(ns, 2)
  t.same(logged.map((d) => [d['webhook'], d['decision']]), [['mutate', 'allowed'], ['validate', 'allowed']], 'nothing to patch: the default already fits')
})

const refused: Array<[Profile, string[]]> = [['netadmin', NO_NET_ADMIN], ['sysadmin', [NO_PRIVILEGED]]]
for (const [profile, messages] of refused) {
  t.test(`kubectl debug --profile=${profile} is denied and adds nothing`, async (t) => {
    const { cluster } = e()
    const ns = await freshNamespace(cluster, `debug-${profile}`)
    await createTargetPod(cluster, ns)
    const r = await debug(ns, profile, 'dbg')
    t.not(r.code, 0, 'kubectl debug fails')
    const aggregate = messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`
    t.ok(r.stderr.includes(`Error from server (Forbidden): ${DENIED}${aggregate}\n`), 'the API server relays our denial verbatim', { stderr: r.stderr })
    for (const m of messages) t.equal(r.stderr.split(m).length - 1, 1, `said once, in the denial (the mutating webhook does not repeat it): ${m}`)
    t.notMatch(r.stderr, /Warning: spec\./, 'no warning repeats a violation')
    t.same(await ephemeralContainers(cluster, ns, 'target'), [], 'the pod has no ephemeral container')
    const logged = await decisionsIn(ns, 2)
    t.same(logged.map((d) => [d['webhook'], d['decision'], d['rules']]),
      [['mutate', 'patched', profile === 'sysadmin' ? ['no-privileged'] : ['allowed-capabilities']], ['validate', 'denied', profile === 'sysadmin' ? ['no-privileged'] : ['allowed-capabilities']]])
  })
}

t.test('server-side dry run goes through the webhooks and stores nothing', async (t) => {
  const { cluster } = e()
  const ns = await freshNamespace(cluster, 'dry-run')
  await createTargetPod(cluster, ns)
  const path = `${ephemeralContainersPath(ns, 'target')}?dryRun=All`

  const sysadmin = await cluster.kubectl(['replace', '--raw', path, '-f', '-'], { input: JSON.stringify(await withEphemeralContainers(cluster, ns, 'target', [SYSADMIN])) })
  t.not(sysadmin.code, 0, 'a privileged container is refused')
  t.ok(sysadmin.stderr.includes(`${DENIED}${NO_PRIVILEGED}`), 'denied with our message', { stderr: sysadmin.stderr })

  const compliant = await cluster.kubectl(['replace', '--raw', path, '-f', '-'], { input: JSON.stringify(await withEphemeralContainers(cluster, ns, 'target', [COMPLIANT])) })
  t.equal(compliant.code, 0, 'a compliant container passes', { stderr: compliant.stderr })
  const answer = JSON.parse(compliant.stdout) as JsonObject
  const returned = ((answer['spec'] as JsonObject)['ephemeralContainers'] ?? []) as JsonObject[]
  t.same(returned.map((c) => [c['name'], c['imagePullPolicy']]), [[COMPLIANT.name, 'Always']], 'the dry-run answer shows the container as it would be stored, mutated')
  t.same(await ephemeralContainers(cluster, ns, 'target'), [], 'the stored pod has no ephemeral container')

  const logged = await decisionsIn(ns, 4)
  t.same(logged.map((d) => [d['webhook'], d['decision'], d['dryRun']]), [
    ['mutate', 'patched', true], ['validate', 'denied', true],
    ['mutate', 'patched', true], ['validate', 'allowed', true],
  ], 'both webhooks were told it was a dry run (sideEffects: None lets the API server call them)')
})

t.test('the audit log shows the mutating webhook ran on an allowed kubectl debug', async (t) => {
  const { cluster } = e()
  const ns = await freshNamespace(cluster, 'audit')
  await createTargetPod(cluster, ns)
  const r = await debug(ns, 'general', 'dbg')
  t.equal(r.code, 0, 'kubectl debug exits 0', { stderr: r.stderr })
  // The log backend is in blocking mode, but the event is written after the response; poll briefly.
  const event = await poll('the ResponseComplete audit event of the ephemeralcontainers patch', async () =>
    cluster.auditEvents().find((ev) => {
      const ref = ev['objectRef'] as JsonObject | undefined
      return ev['stage'] === 'ResponseComplete' && ref?.['subresource'] === 'ephemeralcontainers' && ref['namespace'] === ns && ref['name'] === 'target'
    }), { timeoutMs: 5000, intervalMs: 100 })
  t.equal(event['verb'], 'patch', 'kubectl debug sends a (strategic merge) patch')
  t.equal((event['responseStatus'] as JsonObject)['code'], 200, 'and it succeeded')
  const annotations = event['annotations'] as Record<string, string>
  t.same(JSON.parse(annotations['mutation.webhook.admission.k8s.io/round_0_index_0'] ?? 'null'),
    { configuration: CONFIGURATION_NAME, webhook: MUTATING_WEBHOOK, mutated: true }, 'round 0, index 0: our mutating webhook, which changed the object')
  // Recorded because the harness's audit policy logs pods/ephemeralcontainers at level Request.
  t.same(JSON.parse(annotations['patch.webhook.admission.k8s.io/round_0_index_0'] ?? 'null'), {
    configuration: CONFIGURATION_NAME,
    webhook: MUTATING_WEBHOOK,
    patch: [{ op: 'replace', path: '/spec/ephemeralContainers/0/imagePullPolicy', value: 'Always' }],
    patchType: 'JSONPatch',
  }, 'the exact patch we sent')
  t.notOk(Object.keys(annotations).some((k) => k.startsWith('failed-open.')), 'no webhook failed open')
})
