// Fidelity against the real API server, in two parts.
//
// 1. The fidelity corpus (test/fidelity/corpus): every case is sent to the API server as a server-side
//    dry run of pods/<pod>/ephemeralcontainers, and what happened is compared with its recording
//    (test/fixtures/fidelity/<category>.json): the AdmissionReview request admission webhooks were sent
//    (captured by a mutating webhook of this file, test/e2e/support/capture.ts; null when the API server
//    refused before admission) and the API server's answer (code; reason, message and causes of a
//    refusal). A missing or stale recording fails the case, naming the command that re-records it. With
//    FIDELITY_RECORD=1 (and optionally FIDELITY_CATEGORIES=a,b) the recordings of those categories are
//    rewritten instead, and the run says so. The unit suite replays the recordings through
//    ephemeral-guard's decision (test/fidelity/corpus.test.ts).
// 2. The unit-suite table (test/support/cases.ts): for every case the API server can be sent,
//    Kubernetes' own validation must refuse exactly when the table says so, with exactly its messages.
//
// Where: namespace "ephemeral-guard", which both of ephemeral-guard's webhook configurations exclude by
// kubernetes.io/metadata.name, so only Kubernetes' validation, built-in admission and the capture
// webhook run there. The first test checks that assumption instead of trusting it.
//
// How: each case gets its own pod whose spec mirrors storedPod()'s (plus the case's podSpec and
// podMetadata); the case's `existing` containers are added for real, then PUT
// pods/<pod>/ephemeralcontainers?dryRun=All with the case's list. The request goes straight to the API
// server (HTTPS, cluster-admin client certificate) rather than through `kubectl replace --raw`, because
// kubectl prints a reworded error and the exact metav1.Status, causes included, is what is compared.
import t, { type Test } from 'tap'
import type { JsonObject, JsonValue } from '../../src/kube/types.js'
import { containerCases, type ContainerCase } from '../support/cases.js'
import { storedPod } from '../support/reviews.js'
import { listOf, mirroredPod } from '../fidelity/pod.js'
import { createNamespace, createTargetPod, ephemeralContainers, ephemeralContainersPath, freshNamespace, withEphemeralContainers, type Cluster } from './support/cluster.js'
import { setup, type Env } from './support/setup.js'
import { decisions, SYSADMIN, VALIDATING_WEBHOOK } from './support/webhook.js'
import { guardNetwork } from './support/network-guard.js'
import { registerCapture, startCaptureServer, type CaptureServer } from './support/capture.js'
import { allCases, byCategory, CATEGORIES } from '../fidelity/corpus/index.js'
import type { Category, FidelityCase } from '../fidelity/corpus/types.js'
import { answerOf, normalizeRequest, podNameOf, readRecordings, recordCommand, recordingFile, writeRecordings, type Recording } from '../fidelity/recording.js'

// Loopback only: fails this file on any socket or Service that could reach off this machine.
guardNetwork(t)

const NS = 'ephemeral-guard'

let env: Env | undefined
let capture: CaptureServer | undefined
t.before(async () => {
  env = await setup()
  await createNamespace(env.cluster, NS)
  capture = await startCaptureServer()
  await createMirroredPod(env.cluster, 'capture-probe')
  await registerCapture(env.cluster, capture, NS, 'capture-probe')
})
t.teardown(async () => {
  await env?.teardown()
  await capture?.stop()
})
const e = (): Env => {
  if (env === undefined) throw new Error('setup failed')
  return env
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


// ---- the fidelity corpus ----

const RECORD = process.env['FIDELITY_RECORD'] === '1'
const recordOnly = (process.env['FIDELITY_CATEGORIES'] ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '')
for (const c of recordOnly) if (!(CATEGORIES as readonly string[]).includes(c)) throw new Error(`FIDELITY_CATEGORIES: no category ${JSON.stringify(c)}; categories: ${CATEGORIES.join(', ')}`)
const categoriesRun: readonly Category[] = recordOnly.length > 0 ? recordOnly as Category[] : CATEGORIES
// Cases in flight at once: enough to keep the API server busy, few enough for a 2-core machine.
const CONCURRENCY = 8

/** What one case did: its recording-to-be, or why it could not be run. */
interface Outcome { readonly recording?: Recording; readonly problem?: string; readonly note?: string }

async function runCase(c: FidelityCase): Promise<Outcome> {
  const { cluster } = e()
  const server = capture!
  const pod = podNameOf(c)
  const created = await cluster.api('POST', `/api/v1/namespaces/${NS}/pods`, mirroredPod(pod, c))
  if (created.status !== 201) return { problem: `creating its pod ${pod}: ${created.status} ${created.text}` }
  const existing = c.existing ?? []
  if (existing.length > 0) {
    const r = await cluster.api('PUT', ephemeralContainersPath(NS, pod), await withEphemeralContainers(cluster, NS, pod, existing))
    if (r.status !== 200) return { problem: `adding its existing containers for real: ${r.status} ${r.text}` }
  }
  const list = listOf(c)
  const query = `dryRun=All${c.fieldValidation ? `&fieldValidation=${c.fieldValidation}` : ''}`
  const r = await cluster.api('PUT', `${ephemeralContainersPath(NS, pod)}?${query}`, await withEphemeralContainers(cluster, NS, pod, list))
  const captured = server.dryRuns(NS, pod)
  // Admission is reached unless the API server refuses the body while decoding it (400 BadRequest):
  // then the capture webhook must have been called exactly once, else never.
  const reachedAdmission = r.status !== 400
  if (captured.length !== (reachedAdmission ? 1 : 0)) {
    return { problem: `the capture webhook was called ${captured.length} times for a dry run answered ${r.status} (expected ${reachedAdmission ? 'once' : 'never: refused before admission'})` }
  }
  const stored = (await ephemeralContainers(cluster, NS, pod)).map((x) => x['name'])
  const want = existing.map((x) => (x as JsonObject)['name'])
  if (JSON.stringify(stored) !== JSON.stringify(want)) return { problem: `the dry run changed the stored ephemeral containers: ${JSON.stringify(stored)}, not ${JSON.stringify(want)}` }
  return { recording: { request: captured[0] === undefined ? null : normalizeRequest(captured[0]), answer: answerOf(r.status, r.body) } }
}

/** Runs `work` on every item, at most `n` at a time; results in the items' order. */
async function pool<T, R>(items: readonly T[], n: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await work(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker))
  return out
}

t.test(RECORD ? `recording the fidelity corpus: ${categoriesRun.join(', ')}` : 'the fidelity corpus: the API server does what is recorded', async (t) => {
  t.equal(new Set(allCases.map((c) => c.id)).size, allCases.length, 'case ids are unique')
  const cases = categoriesRun.flatMap((cat) => byCategory[cat])
  const started = Date.now()
  const outcomes = await pool(cases, CONCURRENCY, (c) => runCase(c).catch((err: unknown): Outcome => ({ problem: `error: ${(err as Error).stack ?? String(err)}` })))
  t.comment(`${cases.length} cases run in ${Math.round((Date.now() - started) / 1000)} s, ${CONCURRENCY} at a time`)
  const made = new Map<string, Recording>()
  cases.forEach((c, i) => {
    const o = outcomes[i]!
    if (o.problem !== undefined) t.fail(`${c.id}: ${o.problem}`)
    else made.set(c.id, o.recording!)
  })
  if (RECORD) {
    for (const category of categoriesRun) {
      const inCategory = byCategory[category]
      if (inCategory.some((c) => !made.has(c.id))) {
        t.fail(`${category}: not recorded, some of its cases could not be run (see above)`)
        continue
      }
      writeRecordings(category, inCategory, made)
      const refused = inCategory.filter((c) => made.get(c.id)!.answer.code !== 200).length
      const line = `RECORDED ${inCategory.length} cases of ${category} (${refused} refused) into ${recordingFile(category)}: review the diff before committing`
      t.comment(line)
      console.error(`# ${line}`)
      t.pass(`recorded ${category}`)
    }
    return
  }
  for (const category of categoriesRun) {
    const recorded = readRecordings(category)
    await t.test(category, async (t) => {
      for (const c of byCategory[category]) {
        const got = made.get(c.id)
        if (got === undefined) continue
        const want = recorded?.[c.id]
        if (want === undefined) {
          t.fail(`${c.id}: no recording; record it with: ${recordCommand([category])}`)
          continue
        }
        t.same(got, want, `${c.id}: as recorded (if Kubernetes or the case changed on purpose, re-record with: ${recordCommand([category])})`)
      }
      const stale = Object.keys(recorded ?? {}).filter((id) => !byCategory[category].some((c) => c.id === id))
      t.same(stale, [], `${category}: the recording holds no case the corpus lacks`)
    })
  }
})

t.test('the cases reached no webhook of ephemeral-guard', async (t) => {
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
