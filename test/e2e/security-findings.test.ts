// Issue 12 (security findings) through a real API server: each finding that a request can reach
// through kube-apiserver, sent the way a user would (kubectl debug, or a raw PUT of the
// pods/ephemeralcontainers subresource where kubectl debug cannot express it).
//
//   finding 1  per-rule enforcement: a warn-mode rule does not cancel an enforced one (kubectl debug)
//   finding 2  bounded work: more than spec.limits.maxNewContainers new containers (raw PUT)
//   finding 5  volumeDevices under volumeMounts.allow (raw PUT; kubectl debug has no such flag)
//   finding 7  env.require judges the last entry of a name (raw PUT; kubectl debug --env keeps one
//              entry per name, so duplicates need the raw update)
//   finding 8  forged provenance: rewritten by the mutating webhook, denied by the validating one
//              when the mutating webhook is not called (its configuration deleted; last test)
//
// Not here: finding 3 (RE2 patterns) is about running time, which an e2e test does not assert; 4
// (stable policy reads) and 9 (certificate validity) concern the policy file watcher and the TLS
// reload, not a request; 6 (podSelector on the legacy EphemeralContainers object) cannot be sent
// through a Kubernetes 1.37 API server, which sends the Pod. Their unit and loopback-server tests
// cover them.
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { stringify } from 'yaml'
import type { JsonObject } from '../../src/kube/types.js'
import type { PolicyDocument } from '../../src/policy/types.js'
import { createNamespace, ephemeralContainers, ephemeralContainersPath, freshNamespace, kubectlOk, withEphemeralContainers, type Cluster } from './support/cluster.js'
import { poll } from './support/process.js'
import { fileEnvironment } from './support/setup.js'
import { CONFIGURATION_NAME, decisions, VALIDATING_WEBHOOK } from './support/webhook.js'
import { guardNetwork } from './support/network-guard.js'

// Loopback only: fails this file on any socket or Service that could reach off this machine.
guardNetwork(t)

const POLICY: PolicyDocument = {
  apiVersion: 'ephemeral-guard.dev/v1alpha1',
  kind: 'EphemeralContainerPolicy',
  metadata: { name: 'e2e-security-findings' },
  spec: {
    mode: 'enforce',
    limits: { maxNewContainers: 3 },
    mutations: { provenance: { enabled: true } },
    rules: [
      // The harness's readiness probe (waitForWebhooks) needs a privileged container denied.
      { name: 'no-privileged', securityContext: { allowPrivileged: false } },
      // Finding 1: a warn-mode ticket rule beside an enforced custom schema rule.
      { name: 'ticket-warn', mode: 'warn', match: { namespaces: ['modes-*'] }, env: { require: [{ name: 'DEBUG_TICKET' }] } },
      { name: 'no-ld-preload', schema: { properties: { container: { properties: { env: { not: { contains: { required: ['name'], properties: { name: { const: 'LD_PRELOAD' } } } } } } } } } },
      // Finding 5: no pod volume at all, as a mount or as a device.
      { name: 'no-volumes', match: { namespaces: ['volumes-*'] }, volumeMounts: { allow: [] } },
      // Finding 7: an enforced ticket with a pattern.
      { name: 'ticket', match: { namespaces: ['env-*'] }, env: { require: [{ name: 'DEBUG_TICKET', pattern: '^INC-[0-9]+$' }] } },
    ],
  },
}

const POLICY_TEXT = stringify(POLICY)
const POLICY_ID = `e2e-security-findings@${createHash('sha256').update(POLICY_TEXT).digest('hex').slice(0, 12)}`

const e = fileEnvironment(t, {
  serveArgs: (_cluster, dataDir) => {
    const file = join(dataDir, 'policy.yaml')
    writeFileSync(file, POLICY_TEXT)
    return ['--policy', file]
  },
})

/** Namespace both webhook configurations exclude (manifests/base/webhooks.yaml): Kubernetes alone decides there. */
const UNGUARDED = 'ephemeral-guard'
t.before(async () => { await createNamespace(e().cluster, UNGUARDED) })

const DENIED = `admission webhook "${VALIDATING_WEBHOOK}" denied the request: `

async function createPod(cluster: Cluster, namespace: string, name: string, volumes: JsonObject[] = []): Promise<void> {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }], ...(volumes.length > 0 ? { volumes } : {}) } }
  await kubectlOk(cluster, ['-n', namespace, 'create', '-f', '-'], { input: JSON.stringify(pod) })
}

/** PUT pods/<pod>/ephemeralcontainers with `added` after the stored ones, as cluster-admin. */
async function put(namespace: string, pod: string, added: readonly JsonObject[], o: { dryRun?: boolean } = {}): Promise<{ status: number; message: string; body: JsonObject }> {
  const { cluster } = e()
  const stored = await ephemeralContainers(cluster, namespace, pod)
  const r = await cluster.api('PUT', `${ephemeralContainersPath(namespace, pod)}${o.dryRun ? '?dryRun=All' : ''}`, await withEphemeralContainers(cluster, namespace, pod, [...stored, ...added]))
  return { status: r.status, message: String(r.body['message'] ?? ''), body: r.body }
}

/**
 * no-ld-preload's violation for the container at `index` (env LD_PRELOAD=/x.so) as the validating
 * webhook words it: the env value shown is the mutated one, with the provenance variables, whose
 * EPHEMERAL_GUARD_REQUESTED_AT is read from `text` (the one time no test can know in advance).
 */
function ldPreloadViolation(index: number, text: string): string {
  const at = /"EPHEMERAL_GUARD_REQUESTED_AT","value":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"/.exec(text)?.[1] ?? '(no EPHEMERAL_GUARD_REQUESTED_AT)'
  const env = [
    { name: 'LD_PRELOAD', value: '/x.so' }, { name: 'EPHEMERAL_GUARD_REQUESTED_BY', value: 'admin' },
    { name: 'EPHEMERAL_GUARD_REQUESTED_AT', value: at }, { name: 'EPHEMERAL_GUARD_POLICY', value: POLICY_ID },
    // The harness's admin client certificate: O=system:masters; the API server adds system:authenticated.
    { name: 'EPHEMERAL_GUARD_REQUESTED_GROUPS', value: 'system:masters,system:authenticated' },
  ]
  return `spec.ephemeralContainers[${index}].env: Invalid value: ${JSON.stringify(env)}: must NOT be valid (rule no-ld-preload)`
}

const debugContainer = (name: string, extra: JsonObject = {}): JsonObject => ({ name, image: 'busybox:1.36', ...extra })
const names = async (ns: string, pod = 'target'): Promise<unknown[]> => (await ephemeralContainers(e().cluster, ns, pod)).map((c) => c['name'])
const envOf = (c: JsonObject | undefined): JsonObject[] => (c?.['env'] ?? []) as JsonObject[]

t.test('finding 1: a warn-mode env.require rule does not cancel an enforced schema rule (kubectl debug)', async (t) => {
  const { cluster, webhook } = e()
  const ns = await freshNamespace(cluster, 'modes')
  await createPod(cluster, ns, 'target')

  const r = await cluster.kubectl(['-n', ns, 'debug', 'pod/target', '--image=busybox:1.36', '--env', 'LD_PRELOAD=/x.so', '-c', 'dbg'])
  t.not(r.code, 0, 'kubectl debug fails')
  t.ok(r.stderr.includes(`Error from server (Forbidden): ${DENIED}${ldPreloadViolation(0, r.stderr)}\n`), 'denied by the enforced rule alone, naming it', { stderr: r.stderr })
  t.notMatch(r.stderr, /denied the request: [^\n]*rule ticket-warn/, 'the warn-mode rule is not part of the denial')
  t.ok(r.stderr.includes('Warning: spec.ephemeralContainers[0].env: Required value: must set DEBUG_TICKET (rule ticket-warn)\n'), 'kubectl also prints the warn-mode violation', { stderr: r.stderr })
  t.same(await names(ns), [], 'nothing stored')

  const [, validate] = await decisions(webhook, ns, 2)
  t.same([validate?.['webhook'], validate?.['decision'], validate?.['rules']], ['validate', 'denied', ['ticket-warn', 'no-ld-preload']], 'the decision log names both rules')

  const ticket = await cluster.kubectl(['-n', ns, 'debug', 'pod/target', '--image=busybox:1.36', '--env', 'DEBUG_TICKET=INC-1', '-c', 'ok'])
  t.equal(ticket.code, 0, 'control: with a ticket and no LD_PRELOAD, kubectl debug is admitted', { stderr: ticket.stderr })
  t.notMatch(ticket.stderr, /Warning:/, 'and warned about nothing')
  t.same(await names(ns), ['ok'])
})

t.test('finding 2: more new containers than spec.limits.maxNewContainers get a 403 under max-new-containers (raw PUT)', async (t) => {
  const { cluster, webhook } = e()
  const ns = await freshNamespace(cluster, 'limits')
  await createPod(cluster, ns, 'target')
  const four = [0, 1, 2, 3].map((i) => debugContainer(`d${i}`))

  const over = await put(ns, 'target', four)
  t.equal(over.status, 403, 'HTTP 403')
  t.equal(over.body['reason'], 'Forbidden')
  t.equal(over.message, `${DENIED}spec.ephemeralContainers: Forbidden: at most 3 new ephemeral containers per request; this request adds 4, none of them judged (rule max-new-containers)`, 'our message')
  t.same(await names(ns), [], 'nothing stored')
  const logged = await decisions(webhook, ns, 2)
  t.same(logged.map((d) => [d['webhook'], d['decision'], d['rules']]), [['mutate', 'allowed', ['max-new-containers']], ['validate', 'denied', ['max-new-containers']]],
    'the mutating webhook passed it on unmutated (warning), the validating webhook denied it')

  // Three: at the limit, so each container is judged; one with LD_PRELOAD is denied by its rule.
  const judged = await put(ns, 'target', [debugContainer('d0'), debugContainer('d1', { env: [{ name: 'LD_PRELOAD', value: '/x.so' }] }), debugContainer('d2')])
  t.equal(judged.status, 403, 'three containers, one of them bad: judged and denied')
  t.equal(judged.message, `${DENIED}${ldPreloadViolation(1, judged.message)}`, 'by the rule the bad container breaks, not by the limit')
  const ok = await put(ns, 'target', [0, 1, 2].map((i) => debugContainer(`d${i}`)))
  t.equal(ok.status, 200, 'three good containers: admitted', { message: ok.message })
  t.same(await names(ns), ['d0', 'd1', 'd2'])
  const more = await put(ns, 'target', [3, 4, 5].map((i) => debugContainer(`d${i}`)))
  t.equal(more.status, 200, 'the limit counts new containers only: three more beside three stored are admitted', { message: more.message })
  t.same(await names(ns), ['d0', 'd1', 'd2', 'd3', 'd4', 'd5'])
})

t.test('finding 5: a volumeDevices entry is judged by volumeMounts.allow; Kubernetes alone admits it (raw PUT)', async (t) => {
  const { cluster } = e()
  const ns = await freshNamespace(cluster, 'volumes')
  // The claim need not exist: the pod only names it (no nodes, so it stays Pending either way).
  const volumes = [{ name: 'disk', persistentVolumeClaim: { claimName: 'disk' } }]
  const device = debugContainer('dbg', { volumeDevices: [{ name: 'disk', devicePath: '/dev/xvda' }] })
  for (const n of [ns, UNGUARDED]) await createPod(cluster, n, 'block', volumes)

  const alone = await put(UNGUARDED, 'block', [device], { dryRun: true })
  t.equal(alone.status, 200, `in ${UNGUARDED} (no webhook) the API server admits a PVC-backed volumeDevices entry`, { message: alone.message })
  const list = ((alone.body['spec'] as JsonObject)['ephemeralContainers'] ?? []) as JsonObject[]
  t.same(list[0]?.['volumeDevices'], [{ name: 'disk', devicePath: '/dev/xvda' }], 'and would store it as sent')

  const guarded = await put(ns, 'block', [device])
  t.equal(guarded.status, 403, 'our webhook refuses it: 403')
  t.equal(guarded.message, `${DENIED}spec.ephemeralContainers[0].volumeDevices[0].name: Forbidden: volume "disk" may not be attached as a device; allowed: none (rule no-volumes)`, 'under the volumeMounts allow-list')
  t.same(await names(ns, 'block'), [], 'nothing stored')

  const mount = await put(ns, 'block', [debugContainer('dbg', { volumeMounts: [{ name: 'disk', mountPath: '/data' }] })], { dryRun: true })
  t.equal(mount.message, `${DENIED}spec.ephemeralContainers[0].volumeMounts[0].name: Forbidden: volume "disk" may not be mounted; allowed: none (rule no-volumes)`, 'as a mount of the same volume is')
  const none = await put(ns, 'block', [debugContainer('dbg')], { dryRun: true })
  t.equal(none.status, 200, 'control: a container using no volume is admitted', { message: none.message })
})

t.test('finding 7: env.require judges the last DEBUG_TICKET entry, the one the kubelet uses (raw PUT)', async (t) => {
  const { cluster } = e()
  const ns = await freshNamespace(cluster, 'env')
  await createPod(cluster, ns, 'target')
  const ticket = (...values: string[]): JsonObject => debugContainer('dbg', { env: values.map((value) => ({ name: 'DEBUG_TICKET', value })) })

  const lastBad = await put(ns, 'target', [ticket('INC-1', 'nope')])
  t.equal(lastBad.status, 403, 'INC-1 then nope: refused')
  t.equal(lastBad.message, `${DENIED}spec.ephemeralContainers[0].env: Required value: must set DEBUG_TICKET matching ^INC-[0-9]+$ (rule ticket)`, 'naming the rule and the pattern')
  t.same(await names(ns), [], 'nothing stored')

  const lastGood = await put(ns, 'target', [ticket('nope', 'INC-1')])
  t.equal(lastGood.status, 200, 'nope then INC-1: admitted', { message: lastGood.message })
  const [c] = await ephemeralContainers(cluster, ns, 'target')
  t.same(envOf(c).filter((v) => v['name'] === 'DEBUG_TICKET'), [{ name: 'DEBUG_TICKET', value: 'nope' }, { name: 'DEBUG_TICKET', value: 'INC-1' }], 'stored in the order sent: the kubelet will see INC-1')
})

t.test('finding 8: a forged EPHEMERAL_GUARD_REQUESTED_AT is overwritten by the mutating webhook (kubectl debug)', async (t) => {
  const { cluster } = e()
  const ns = await freshNamespace(cluster, 'forged')
  await createPod(cluster, ns, 'target')
  const before = Date.now()
  const r = await cluster.kubectl(['-n', ns, 'debug', 'pod/target', '--image=busybox:1.36', '--env', 'EPHEMERAL_GUARD_REQUESTED_AT=2099-01-01T00:00:00Z', '-c', 'dbg'])
  t.equal(r.code, 0, 'kubectl debug is admitted', { stderr: r.stderr })
  const [c] = await ephemeralContainers(cluster, ns, 'target')
  const at = envOf(c).filter((v) => v['name'] === 'EPHEMERAL_GUARD_REQUESTED_AT')
  t.equal(at.length, 1, 'one EPHEMERAL_GUARD_REQUESTED_AT entry')
  const value = String(at[0]?.['value'])
  t.not(value, '2099-01-01T00:00:00Z', 'the forged value is gone')
  t.match(value, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'RFC 3339, whole seconds')
  // Between the start of the request (whole seconds) and now: the time of the request, whatever it took.
  t.ok(Date.parse(value) >= Math.floor(before / 1000) * 1000 && Date.parse(value) <= Date.now(), 'the time of the request', { value, before: new Date(before).toISOString() })
  t.same(envOf(c).find((v) => v['name'] === 'EPHEMERAL_GUARD_REQUESTED_BY'), { name: 'EPHEMERAL_GUARD_REQUESTED_BY', value: 'admin' }, 'attributed to the requester')
})

// Deletes the MutatingWebhookConfiguration: runs last.
t.test('finding 8: without the mutating webhook, the validating webhook denies a forged future timestamp (kubectl debug)', async (t) => {
  const { cluster, webhook } = e()
  const ns = await freshNamespace(cluster, 'nomutate')
  await createPod(cluster, ns, 'target')
  // As when the mutating webhook (failurePolicy Ignore) is down: the API server no longer calls it.
  await kubectlOk(cluster, ['delete', 'mutatingwebhookconfiguration', CONFIGURATION_NAME])
  // The deletion reaches the admission plugin through an informer: wait until a dry run comes back
  // unmutated (no provenance variables added).
  let last = ''
  await poll('the API server to stop calling the mutating webhook', async () => {
    const r = await put(ns, 'target', [debugContainer('probe')], { dryRun: true })
    const list = ((r.body['spec'] as JsonObject | undefined)?.['ephemeralContainers'] ?? []) as JsonObject[]
    last = `${r.status} ${r.message} ${JSON.stringify(list)}`
    return r.status === 200 && list[0] !== undefined && list[0]['env'] === undefined ? true : undefined
  }, { timeoutMs: 30_000, intervalMs: 250, last: () => last })

  const forged = await cluster.kubectl(['-n', ns, 'debug', 'pod/target', '--image=busybox:1.36', '--env', 'EPHEMERAL_GUARD_REQUESTED_AT=2099-01-01T00:00:00Z', '-c', 'dbg'])
  t.not(forged.code, 0, 'kubectl debug fails')
  const prefix = `Error from server (Forbidden): ${DENIED}spec.ephemeralContainers[0].env[0]: Forbidden: EPHEMERAL_GUARD_REQUESTED_AT must be the time of the request: RFC 3339, at most 60 s before and 5 s after `
  const at = forged.stderr.indexOf(prefix)
  t.ok(at >= 0, 'denied by our validating webhook, naming the variable', { stderr: forged.stderr })
  t.match(forged.stderr.slice(at + prefix.length), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(rule provenance\)\n/, 'and the webhook\'s clock')
  t.same(await names(ns), [], 'nothing stored')
  // The probes above are logged too (dry runs); the server logs in order, so wait for the denial.
  await poll('the denial\'s decision log record', async () => webhook.logs.find((r) => r.msg === 'admission decision' && r['namespace'] === ns && r['decision'] === 'denied'), { timeoutMs: 5000, intervalMs: 50 })
  const logged = webhook.logs.filter((r) => r.msg === 'admission decision' && r['namespace'] === ns && r['dryRun'] !== true)
  t.same(logged.map((d) => [d['webhook'], d['decision'], d['rules']]), [['validate', 'denied', ['provenance']]], 'only the validating webhook was called')

  const plain = await cluster.kubectl(['-n', ns, 'debug', 'pod/target', '--image=busybox:1.36', '-c', 'plain'])
  t.equal(plain.code, 0, 'control: without forged variables kubectl debug is admitted (absent provenance is allowed)', { stderr: plain.stderr })
  t.same(await names(ns), ['plain'])
})
