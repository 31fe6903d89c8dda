// POST /validate-policy, the policy validating webhook, over real HTTPS on loopback: invalid objects
// refused with every problem, a second spec.mutations refused, status writes and unchanged specs
// allowed, bad input answered 400; and /readyz while the cluster's policies are not read.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { AdmissionReview, JsonObject } from '../../src/kube/types.js'
import type { MutationsHolder } from '../../src/policy/cluster-source.js'
import { answerPolicyReview, invalidVerdict } from '../../src/server/policy-webhook.js'
import { MAX_LISTED_VIOLATIONS, REPLY_TEXT_MAX_BYTES } from '../../src/decision/limits.js'
import { call, startTestServer, type TestServer } from '../support/server.js'

let holders: MutationsHolder[] = []
let notReady: string | undefined
let server: TestServer
t.before(async () => {
  server = await startTestServer({ app: { mutationsHolders: () => holders, notReady: () => notReady, policyLabel: (p) => `${p.name}@${p.hash}` } })
})
t.teardown(async () => { await server.app.close() })

const post = (body: unknown) => call(server, 'POST', '/validate-policy', typeof body === 'string' ? body : JSON.stringify(body))

const policy = (kind: string, name: string, spec: unknown, o: { namespace?: string; createdAt?: string } = {}): JsonObject => ({
  apiVersion: 'ephemeral-guard.dev/v1alpha1',
  kind,
  metadata: { name, ...(o.namespace ? { namespace: o.namespace } : {}), uid: `uid-${name}`, creationTimestamp: o.createdAt ?? '2026-06-01T00:00:00Z', generation: 1 },
  spec: spec as JsonObject,
})

function review(object: unknown, o: { operation?: string; oldObject?: unknown; subResource?: string; kind?: string; group?: string } = {}): AdmissionReview {
  const kind = o.kind ?? ((object as JsonObject | null)?.['kind'] as string | undefined) ?? 'EphemeralContainerPolicy'
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group: o.group ?? 'ephemeral-guard.dev', version: 'v1alpha1', kind },
      resource: { group: 'ephemeral-guard.dev', version: 'v1alpha1', resource: kind === 'DebugPolicy' ? 'debugpolicies' : 'ephemeralcontainerpolicies' },
      ...(o.subResource ? { subResource: o.subResource } : {}),
      operation: (o.operation ?? 'CREATE') as 'CREATE',
      userInfo: { username: 'admin', groups: ['system:masters'] },
      object: object as JsonObject,
      ...(o.oldObject !== undefined ? { oldObject: o.oldObject as JsonObject } : {}),
    },
  } as AdmissionReview
}

const responseOf = async (body: unknown) => {
  const res = await post(body)
  t.equal(res.status, 200)
  return (res.json() as AdmissionReview).response!
}

const good = { rules: [{ name: 'no-privileged', securityContext: { allowPrivileged: false } }] }
const twoProblems = { rules: [{ name: 'r', securityContext: { allowPrivileged: 'no' } }, { name: 'Bad Name!', images: { requireDigest: 'yes' } }] }
const mutating = { ...good, mutations: { imagePullPolicy: 'preserve' } }

t.test('a valid policy of either kind is allowed; the decision is logged', async (t) => {
  const r = review(policy('EphemeralContainerPolicy', 'p', good))
  const res = await responseOf(r)
  t.same(res, { uid: r.request!.uid, allowed: true })
  t.same((await responseOf(review(policy('DebugPolicy', 'd', { mode: 'warn', rules: [{ name: 'r', images: { requireDigest: true } }] }, { namespace: 'shop' })))).allowed, true)
  const line = server.logs.find((l) => l.msg === 'policy admission decision' && l['uid'] === r.request!.uid)
  t.match(line, { webhook: 'validate-policy', kind: 'EphemeralContainerPolicy', name: 'p', operation: 'CREATE', user: 'admin', decision: 'allowed', reason: 'valid', problems: 0, dryRun: false })
})

t.test('an invalid policy is refused with every problem, in the message and the causes', async (t) => {
  const res = await responseOf(review(policy('EphemeralContainerPolicy', 'bad', twoProblems)))
  t.equal(res.allowed, false)
  t.match(res.status, { code: 422, reason: 'Invalid', details: { name: 'bad', kind: 'EphemeralContainerPolicy' } })
  const { problems } = await import('../../src/policy/load.js').then((m) => m.validatePolicyObject(policy('EphemeralContainerPolicy', 'bad', twoProblems), 'bad'))
  t.ok(problems.length >= 2, `${problems.length} problems`)
  t.equal(res.status?.message, `EphemeralContainerPolicy "bad" is invalid: [${problems.join(', ')}]`)
  t.same(res.status?.details?.causes?.map((c) => `${c.field}: ${c.message}`), problems, 'each cause: the path as field, the rest as message')
  t.equal(res.status?.details?.causes?.[0]?.field, 'spec.rules[0].securityContext.allowPrivileged')
})

t.test('a DebugPolicy cannot loosen: exemptions, mutations and other namespaces are refused', async (t) => {
  const res = await responseOf(review(policy('DebugPolicy', 'loose', { exemptions: { users: ['*'] }, rules: [{ name: 'r', match: { namespaces: ['*'] }, images: { requireDigest: true } }] }, { namespace: 'shop' })))
  t.equal(res.allowed, false)
  t.match(res.status?.message, /spec\.exemptions: unknown field/)
  t.match(res.status?.message, /spec\.rules\[0\]\.match\.namespaces: not allowed in a DebugPolicy/)
})

t.test('a second cluster policy with spec.mutations is refused while an older one holds them', async (t) => {
  holders = [{ name: 'first', uid: 'uid-first', createdAt: '2026-01-01T00:00:00Z' }]
  t.teardown(() => { holders = [] })
  const res = await responseOf(review(policy('EphemeralContainerPolicy', 'second', mutating)))
  t.match(res, { allowed: false, status: { code: 403, reason: 'ConflictingMutations', details: { causes: [{ field: 'spec.mutations' }] } } })
  t.match(res.status?.message, /the older EphemeralContainerPolicy "first"/)
  t.equal((await responseOf(review(policy('EphemeralContainerPolicy', 'second', good)))).allowed, true, 'without mutations it is welcome')
  t.equal((await responseOf(review(policy('EphemeralContainerPolicy', 'first', mutating), { operation: 'UPDATE', oldObject: policy('EphemeralContainerPolicy', 'first', good) }))).allowed, true, 'the holder itself may change them')
  const older = policy('EphemeralContainerPolicy', 'ancient', mutating, { createdAt: '2025-01-01T00:00:00Z' })
  t.equal((await responseOf(review(older, { operation: 'UPDATE', oldObject: policy('EphemeralContainerPolicy', 'ancient', good) }))).allowed, true, 'an older policy takes them over (the holder is then the conflicting one)')
  const younger = policy('EphemeralContainerPolicy', 'young', mutating, { createdAt: '2026-06-01T00:00:00Z' })
  t.equal((await responseOf(review(younger, { operation: 'UPDATE', oldObject: policy('EphemeralContainerPolicy', 'young', good) }))).allowed, false, 'a younger one may not')
  const sameTime = policy('EphemeralContainerPolicy', 'a-same-time', mutating, { createdAt: '2026-01-01T00:00:00Z' })
  t.equal((await responseOf(review(sameTime, { operation: 'UPDATE', oldObject: policy('EphemeralContainerPolicy', 'a-same-time', good) }))).allowed, true, 'same time: by name')
  t.equal((await responseOf(review(policy('DebugPolicy', 'd', { rules: [] }, { namespace: 'x' })))).allowed, true, 'DebugPolicy objects hold no mutations')
  t.equal(answerPolicyReview(review(policy('EphemeralContainerPolicy', 'second', mutating))).review.response?.allowed, true, 'without the cluster\'s view: the object alone')
})

t.test('status writes, unchanged specs and other operations are allowed untouched', async (t) => {
  const broken = policy('EphemeralContainerPolicy', 'bad', twoProblems)
  t.same((await responseOf(review(broken, { operation: 'UPDATE', subResource: 'status', oldObject: broken }))).allowed, true, 'the controller writes status')
  const labelled = { ...broken, metadata: { ...(broken['metadata'] as JsonObject), labels: { a: 'b' } } }
  t.same((await responseOf(review(labelled, { operation: 'UPDATE', oldObject: broken }))).allowed, true, 'labels of an object that slipped in')
  t.same((await responseOf(review(broken, { operation: 'DELETE' }))).allowed, true)
  const line = server.logs.findLast((l) => l.msg === 'policy admission decision')
  t.match(line, { operation: 'DELETE', reason: 'not-judged' })
})

t.test('bad input: 400, never a crash', async (t) => {
  for (const body of ['', 'not json', '{}', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: '' } })]) {
    const res = await post(body)
    t.equal(res.status, 400, JSON.stringify(body))
    t.match(res.json(), { kind: 'Status', code: 400 })
  }
  const notObject = await responseOf(review('text', { kind: 'EphemeralContainerPolicy' }))
  t.match(notObject, { allowed: false, status: { code: 400, reason: 'BadRequest', message: /request\.object must be a EphemeralContainerPolicy object/ } })
  const otherKind = await responseOf(review({ kind: 'Pod' }, { kind: 'Pod', group: '' }))
  t.match(otherKind, { allowed: false, status: { code: 400, message: /judges EphemeralContainerPolicy and DebugPolicy of ephemeral-guard\.dev, not \/Pod/ } })
  const nameless = await responseOf(review({ spec: good }, { kind: 'EphemeralContainerPolicy' }))
  t.equal(nameless.allowed, false, 'no apiVersion, no name: invalid')
})

t.test('a reply stays bounded however many problems', async (t) => {
  const many = Array.from({ length: 500 }, (_, i) => `spec.rules[${i}].name: ${'x'.repeat(900)}`)
  const v = invalidVerdict('EphemeralContainerPolicy', 'big', many)
  t.ok(Buffer.byteLength(JSON.stringify(v)) < REPLY_TEXT_MAX_BYTES, `${Buffer.byteLength(JSON.stringify(v))} bytes`)
  t.ok((v.status?.details?.causes?.length ?? 0) <= MAX_LISTED_VIOLATIONS)
  t.match(v.status?.message, /, and \d+ more\]$/)
  const one = invalidVerdict('DebugPolicy', 'd', ['(document): bad'])
  t.equal(one.status?.message, 'DebugPolicy "d" is invalid: (document): bad')
  t.same(one.status?.details?.causes, [{ reason: 'FieldValueInvalid', message: 'bad', field: '(document)' }])
  t.match(v.status?.details?.causes?.at(-1), { message: /^and \d+ more$/ }, 'the count is a cause too (kubectl shows causes only)')
  t.same(invalidVerdict('DebugPolicy', 'd', ['no path here']).status?.details?.causes, [{ reason: 'FieldValueInvalid', message: 'no path here' }])
})

t.test('/readyz: 503 while the cluster\'s policies are not read, with the status', async (t) => {
  notReady = "the cluster's policies are not read yet"
  t.teardown(() => { notReady = undefined })
  const res = await call(server, 'GET', '/readyz')
  t.equal(res.status, 503)
  t.match(res.json(), { status: 'not ready', message: "not ready: the cluster's policies are not read yet" })
  notReady = undefined
  t.equal((await call(server, 'GET', '/readyz')).status, 200)
})

t.test('the decision log line names the policies in force', async (t) => {
  const { admissionReview, profileContainer } = await import('../support/reviews.js')
  const r = admissionReview({ added: [profileContainer('general')] })
  await call(server, 'POST', '/validate', JSON.stringify(r))
  const line = server.logs.find((l) => l.msg === 'admission decision' && l['uid'] === r.request.uid)
  t.match(line, { policies: /^default@[0-9a-f]{12}$/ })
})
