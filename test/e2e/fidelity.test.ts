// Fidelity of the unit-suite table (test/support/cases.ts) against the real API server: for every case
// the API server can be sent, Kubernetes' own validation must refuse exactly when the table says so,
// with exactly the table's messages.
//
// Where: namespace "ephemeral-guard", which both webhook configurations exclude by
// kubernetes.io/metadata.name, so only Kubernetes' validation (and built-in admission) runs there. The
// first test checks that assumption instead of trusting it.
//
// How: each case gets its own pod whose spec mirrors storedPod()'s; the case's `existing` containers
// are added for real, then PUT pods/<pod>/ephemeralcontainers?dryRun=All with the case's containers
// appended. The request goes straight to the API server (HTTPS, cluster-admin client certificate) rather
// than through `kubectl replace --raw`, because kubectl prints a reworded error ("The Pod "x" is
// invalid: \n* a\n* b") and the exact metav1.Status, causes included, is what is compared.
import t, { type Test } from 'tap'
import type { JsonObject, JsonValue } from '../../src/kube/types.js'
import { containerCases, type ContainerCase } from '../support/cases.js'
import { storedPod } from '../support/reviews.js'
import { createNamespace, createTargetPod, ephemeralContainers, ephemeralContainersPath, freshNamespace, withEphemeralContainers, type Cluster } from './support/cluster.js'
import { setup, type Env } from './support/setup.js'
import { decisions, SYSADMIN, VALIDATING_WEBHOOK } from './support/webhook.js'
import { guardNetwork } from './support/network-guard.js'

// Loopback only: fails this file on any socket or Service that could reach off this machine.
guardNetwork(t)

const NS = 'ephemeral-guard'

let env: Env | undefined
t.before(async () => {
  env = await setup()
  await createNamespace(env.cluster, NS)
})
t.teardown(async () => { await env?.teardown() })
const e = (): Env => {
  if (env === undefined) throw new Error('setup failed')
  return env
}

/**
 * storedPod()'s pod as something one can create: same labels, containers, initContainers, volumes and
 * pod-level settings. Left out: status, and the metadata the API server assigns (uid, resourceVersion,
 * creationTimestamp, generateName); ownerReferences (no ReplicaSet exists here); spec.nodeName (it
 * would bind the pod to a node that does not exist; no case depends on it).
 */
function mirroredPod(name: string): JsonObject {
  const stored = storedPod()
  const { nodeName: _nodeName, ...spec } = stored['spec'] as JsonObject
  const labels = (stored['metadata'] as JsonObject)['labels'] as JsonValue
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec }
}

async function createMirroredPod(cluster: Cluster, name: string): Promise<JsonObject> {
  const r = await cluster.api('POST', `/api/v1/namespaces/${NS}/pods`, mirroredPod(name))
  if (r.status !== 201) throw new Error(`creating pod ${name}: ${r.status} ${r.text}`)
  return r.body
}

/**
 * The one normalisation: a cause message loses a single trailing "\n". Kubernetes ends some details
 * with one (e.g. `existing ephemeral containers "x" may not be removed\n` in
 * ValidatePodEphemeralContainersUpdate); the table holds messages as one-line strings. Nothing else is
 * changed: field paths, wording, quoting, value formatting and cause order are compared as sent.
 */
const normalize = (message: string): string => message.replace(/\n$/, '')

const causesOf = (status: JsonObject): string[] =>
  (((status['details'] as JsonObject | undefined)?.['causes'] ?? []) as JsonObject[])
    .map((c) => (c['field'] ? `${String(c['field'])}: ${normalize(String(c['message']))}` : normalize(String(c['message']))))

const sendable = containerCases.map((c, i) => ({ c, i })).filter(({ c }) => c.notSendable === undefined)

t.test('namespace ephemeral-guard is outside both webhooks, a guarded namespace is not', async (t) => {
  const { cluster, webhook } = e()
  await createTargetPod(cluster, NS, 'exclusion-check')
  const guarded = await freshNamespace(cluster, 'guarded')
  await createTargetPod(cluster, guarded, 'exclusion-check')
  for (const ns of [NS, guarded]) {
    const r = await cluster.api('PUT', `${ephemeralContainersPath(ns, 'exclusion-check')}?dryRun=All`, await withEphemeralContainers(cluster, ns, 'exclusion-check', [SYSADMIN]))
    if (ns === NS) {
      t.equal(r.status, 200, `a privileged container is accepted in ${NS} (Kubernetes alone: --allow-privileged=true, PodSecurity privileged)`)
      const list = ((r.body['spec'] as JsonObject)['ephemeralContainers'] ?? []) as JsonObject[]
      t.equal(list[0]?.['imagePullPolicy'], 'IfNotPresent', 'and not mutated: the API server default stays')
    } else {
      t.equal(r.status, 403, `and refused in ${guarded}`)
      t.match(String(r.body['message']), `admission webhook "${VALIDATING_WEBHOOK}" denied the request`, 'by our validating webhook')
    }
  }
  const logged = await decisions(webhook, guarded, 2)
  t.same(logged.map((l) => [l['webhook'], l['decision']]), [['mutate', 'patched'], ['validate', 'denied']], `the server was called for ${guarded}`)
  t.same(webhook.logs.filter((l) => l['namespace'] === NS), [], `and never for ${NS}`)
})

t.test('the mirrored pod is storedPod() as the API server stores it', async (t) => {
  const { cluster } = e()
  const created = await createMirroredPod(cluster, 'mirror-check')
  const want = storedPod()['spec'] as JsonObject
  const got = created['spec'] as JsonObject
  t.same(got['containers'], want['containers'], 'containers, with every default storedPod() spells out')
  t.same(got['volumes'], want['volumes'], 'volumes')
  // The one addition: the ServiceAccount admission plugin mounts the token volume (found by its
  // kube-api-access- prefix) into every container lacking it; storedPod()'s init container lacks it.
  const tokenMount = { name: 'kube-api-access-x7k2p', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }
  t.same(got['initContainers'], (want['initContainers'] as JsonObject[]).map((c) => ({ ...c, volumeMounts: [tokenMount] })), 'init containers, plus the token mount')
  for (const key of ['serviceAccount', 'restartPolicy', 'terminationGracePeriodSeconds', 'dnsPolicy', 'serviceAccountName', 'securityContext', 'schedulerName', 'tolerations', 'priority', 'enableServiceLinks', 'preemptionPolicy']) {
    t.same(got[key], want[key], `spec.${key}`)
  }
})

const aggregate = (messages: readonly string[]): string => (messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`)

async function checkCase(t: Test, c: ContainerCase, podName: string): Promise<void> {
  const { cluster } = e()
  await createMirroredPod(cluster, podName)
  const existing = c.existing ?? []
  if (existing.length > 0) {
    const r = await cluster.api('PUT', ephemeralContainersPath(NS, podName), await withEphemeralContainers(cluster, NS, podName, existing))
    t.equal(r.status, 200, 'the existing containers are added for real', { body: r.text })
    t.same((await ephemeralContainers(cluster, NS, podName)).map((x) => x['name']), existing.map((x) => x['name']))
  }
  const r = await cluster.api('PUT', `${ephemeralContainersPath(NS, podName)}?dryRun=All`, await withEphemeralContainers(cluster, NS, podName, [...existing, ...c.added]))
  if (c.kubernetes.length === 0) {
    t.equal(r.status, 200, `Kubernetes accepts${c.policy.length > 0 ? ' (a policy-only case)' : ''}`, { body: r.text })
    const list = ((r.body['spec'] as JsonObject | undefined)?.['ephemeralContainers'] ?? []) as JsonObject[]
    t.same(list.map((x) => x['name']), [...existing, ...c.added].map((x) => x['name']), 'the dry-run answer holds existing and added containers')
  } else {
    t.equal(r.status, 422, 'Kubernetes refuses: 422')
    t.equal(r.body['reason'], 'Invalid', 'reason Invalid')
    const raw = (((r.body['details'] as JsonObject | undefined)?.['causes'] ?? []) as JsonObject[]).map((x) => String(x['message']))
    for (const m of raw) if (m !== normalize(m)) t.comment(`normalised (trailing newline): ${JSON.stringify(m)}`)
    t.same(causesOf(r.body), c.kubernetes, "the causes are the table's messages, in order")
    t.equal(normalize(String(r.body['message'])), `Pod "${podName}" is invalid: ${aggregate(c.kubernetes)}`, 'the message aggregates them as the webhook does')
  }
  t.same((await ephemeralContainers(cluster, NS, podName)).map((x) => x['name']), existing.map((x) => x['name']), 'the dry run stored nothing')
}

t.test('Kubernetes refuses exactly the cases the table says, with its messages', async (t) => {
  t.ok(sendable.length >= 30, `${sendable.length} sendable cases`)
  for (const { c, i } of sendable) {
    await t.test(c.name, (t) => checkCase(t, c, `case-${i}`))
  }
  // Recorded so that the run log shows what was left out and why.
  for (const c of containerCases) if (c.notSendable !== undefined) t.comment(`not sent: ${c.name}: ${c.notSendable}`)
})

t.test('the cases reached no webhook', async (t) => {
  const { cluster, webhook } = e()
  // The server logs in order: once a request sent after the cases is logged, any call made for
  // them would be in the log too.
  const marker = await freshNamespace(cluster, 'marker')
  await createTargetPod(cluster, marker)
  const r = await cluster.api('PUT', `${ephemeralContainersPath(marker, 'target')}?dryRun=All`, await withEphemeralContainers(cluster, marker, 'target', [SYSADMIN]))
  t.equal(r.status, 403, 'the marker request is denied by the webhook')
  await decisions(webhook, marker, 2)
  t.same(webhook.logs.filter((l) => l['namespace'] === NS), [], `no log record for namespace ${NS}`)
})
