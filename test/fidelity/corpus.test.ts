// The fidelity corpus without a cluster: every recorded request (test/fixtures/fidelity, recorded from
// kube-apiserver 1.37.2 by test/e2e/fidelity.test.ts) goes through ephemeral-guard's one decision path
// (admit → decide, as `review`, `audit` and both webhooks use it), with a policy of no rules, so
// Kubernetes' own checks only. The verdict must be the API server's (200 ⇔ allowed) and a refusal must
// carry its code, reason, message and causes exactly. A case the API server refused before admission
// (no request was captured) is reviewed as the raw request it would have been: the answer must say that
// the API server refuses it before admission, with the API server's code and reason.
import t from 'tap'
import type { AdmissionReview, JsonObject } from '../../src/kube/types.js'
import { answer, policyOfSpec } from '../support/decide.js'
import { allCases, byCategory, CATEGORIES } from './corpus/index.js'
import type { FidelityCase } from './corpus/types.js'
import { listOf, mirroredPod } from './pod.js'
import { podNameOf, readRecordings, recordCommand, type Recording } from './recording.js'

const NO_RULES = policyOfSpec('  rules: []\n')
const NS = 'ephemeral-guard'

const reviewOf = (request: JsonObject): AdmissionReview =>
  ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'fidelity-corpus', ...request } } as unknown as AdmissionReview)

/** The request the API server would have sent, had it not refused before admission. */
function rawRequest(c: FidelityCase): JsonObject {
  const name = podNameOf(c)
  const pod = (list: readonly unknown[]): JsonObject => {
    const p = mirroredPod(name, c)
    return { ...p, metadata: { ...(p['metadata'] as JsonObject), namespace: NS }, spec: { ...(p['spec'] as JsonObject), ephemeralContainers: list as JsonObject[] } }
  }
  const resource = { group: '', version: 'v1', resource: 'pods' }
  return {
    kind: { group: '', version: 'v1', kind: 'Pod' }, resource, subResource: 'ephemeralcontainers',
    name, namespace: NS, operation: 'UPDATE', userInfo: { username: 'admin' },
    object: pod(listOf(c)), oldObject: pod(c.existing ?? []), dryRun: true,
  }
}

interface Agreement { verdict: boolean; words: boolean; got: JsonObject }

function judge(c: FidelityCase, rec: Recording): Agreement {
  const request = rec.request ?? rawRequest(c)
  const response = answer(reviewOf(request), 'validate', NO_RULES).review.response!
  const status = (response.status ?? {}) as JsonObject
  const got: JsonObject = { allowed: response.allowed, ...(response.allowed ? {} : { status }) }
  const want = rec.answer
  if (c.invisible !== undefined) {
    // Kubernetes refuses for what the request webhooks are sent does not show: ephemeral-guard sees a
    // valid container and admits it (the API server refuses it after admission anyway).
    const ok = rec.request !== null && want.code === 422 && response.allowed
    return { verdict: ok, words: false, got }
  }
  const verdict = response.allowed === (want.code === 200)
  if (!verdict || response.allowed) return { verdict, words: verdict, got }
  if (rec.request === null) {
    // Refused before admission: our answer names that fact, with the API server's code and reason.
    const words = status['code'] === want.code && status['reason'] === want.reason && String(status['message']).includes('before admission')
    return { verdict, words, got }
  }
  const details = (status['details'] ?? {}) as JsonObject
  const message = `Pod "${String(request['name'])}" is invalid: ${String(status['message'])}`
  const words = status['code'] === want.code && status['reason'] === want.reason && message === want.message &&
    JSON.stringify(details['causes'] ?? []) === JSON.stringify(want.causes ?? [])
  return { verdict, words, got: { ...got, message } }
}

t.test('corpus: case ids are unique, each in its category', async (t) => {
  t.equal(new Set(allCases.map((c) => c.id)).size, allCases.length, `${allCases.length} cases, no id twice`)
  for (const c of allCases) if (!c.id.startsWith(`${c.category}/`)) t.fail(`${c.id} is not named after its category ${c.category}`)
  t.ok(allCases.length >= 400, `at least 400 cases (${allCases.length})`)
})

const totals = { cases: 0, verdict: 0, words: 0, invisible: 0 }
for (const category of CATEGORIES) {
  t.test(`corpus ${category}: ephemeral-guard answers as kube-apiserver 1.37.2 did`, async (t) => {
    const recorded = readRecordings(category)
    let verdicts = 0
    let words = 0
    const cases = byCategory[category]
    const invisible = cases.filter((c) => c.invisible !== undefined).length
    let invisibleAsExpected = 0
    for (const c of cases) {
      const rec = recorded?.[c.id]
      if (rec === undefined) {
        t.fail(`${c.id}: no recording; record it with: ${recordCommand([category])}`)
        continue
      }
      const a = judge(c, rec)
      if (c.invisible !== undefined) {
        if (a.verdict) invisibleAsExpected++
        t.ok(a.verdict, `${c.id}: ${c.about} (Kubernetes refuses, the webhook is not shown why: ${c.invisible})`, a.verdict ? {} : { want: rec.answer, got: a.got })
        continue
      }
      if (a.verdict) verdicts++
      if (a.words) words++
      t.ok(a.verdict && a.words, `${c.id}: ${c.about}`, a.verdict && a.words ? {} : { want: rec.answer, got: a.got })
    }
    const visible = cases.length - invisible
    totals.cases += visible
    totals.verdict += verdicts
    totals.words += words
    totals.invisible += invisible
    t.comment(`agreement ${category}: verdict ${verdicts}/${visible}, verdict and words ${words}/${visible}${invisible > 0 ? `; ${invisibleAsExpected}/${invisible} more refused by Kubernetes for what no webhook is shown, admitted by ephemeral-guard` : ''}`)
  })
}

t.test('corpus: agreement overall', async (t) => {
  t.comment(`agreement overall: verdict ${totals.verdict}/${totals.cases}, verdict and words ${totals.words}/${totals.cases}; ${totals.invisible} more cases Kubernetes refuses for what no webhook is shown`)
  t.equal(totals.words, totals.cases, 'every case agrees, verdict and words')
})
