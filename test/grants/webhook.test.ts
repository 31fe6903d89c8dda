// The grant webhook's routes over real HTTPS on loopback: identities stamped, approvals checked against
// the grant and a SubjectAccessReview (a fake API server here; test/e2e/grants.test.ts uses the real
// one), and every failure refused with the review's uid.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { createLogger } from '../../src/log.js'
import { defaultPolicy } from '../../src/policy/default.js'
import { buildApp } from '../../src/server/app.js'
import { failClosed, grantAccessFrom, GRANT_ROUTES, type GrantAccess } from '../../src/server/grant-webhook.js'
import { TLS12_CIPHERS, TLS_MIN_VERSION } from '../../src/server/tls-reload.js'
import { BadReviewError, ClusterError } from '../../src/errors.js'
import type { JsonObject, JsonValue, UserInfo } from '../../src/kube/types.js'
import { call, logSink, testCertificates, type LogRecord } from '../support/server.js'
import { approval, grant } from './fixtures.js'

interface Server { app: FastifyInstance; url: string; ca: string; logs: LogRecord[] }

async function start(t: Test, grants?: GrantAccess): Promise<Server> {
  const certs = await testCertificates()
  const sink = logSink()
  const app = buildApp({
    logger: createLogger({ destination: sink.stream, level: 'info' }),
    policy: () => defaultPolicy,
    https: { cert: certs.cert, key: certs.key, minVersion: TLS_MIN_VERSION, ciphers: TLS12_CIPHERS },
    ...(grants ? { grants } : {}),
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const address = app.server.address() as { port: number }
  return { app, url: `https://127.0.0.1:${address.port}`, ca: certs.caCert, logs: sink.records }
}

const KIND = (kind: string) => ({ group: 'ephemeral-guard.dev', version: 'v1alpha1', kind })
function review(kind: 'DebugGrant' | 'DebugGrantApproval', operation: string, object: unknown, user: UserInfo, oldObject?: unknown): JsonObject {
  return JSON.parse(JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${kind}-${operation}`,
      kind: KIND(kind),
      resource: { group: 'ephemeral-guard.dev', version: 'v1alpha1', resource: kind === 'DebugGrant' ? 'debuggrants' : 'debuggrantapprovals' },
      namespace: 'shop',
      operation,
      userInfo: user,
      object,
      ...(oldObject !== undefined ? { oldObject } : {}),
    },
  })) as JsonObject
}

const ALICE: UserInfo = { username: 'alice', groups: ['dev'] }
const BOB: UserInfo = { username: 'bob', uid: 'u-bob', groups: ['approvers', 'system:authenticated'] }

async function post(s: Server, path: string, body: JsonObject): Promise<{ uid: string; allowed: boolean; status?: { code: number; message: string }; patch?: string; patchType?: string }> {
  const r = await call(s, 'POST', path, JSON.stringify(body))
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.body}`)
  const res = (r.json() as { response: never }).response
  return res
}

/** A fake API server: the stored grants, and the SubjectAccessReviews asked (answered by `allow`). */
function fakeAccess(stored: Record<string, JsonValue>, allow: (spec: JsonObject) => boolean) {
  const asked: JsonObject[] = []
  const access: GrantAccess = {
    getGrant: async (ns, name) => stored[`${ns}/${name}`],
    accessReview: async (r) => {
      asked.push(r.spec as JsonObject)
      return { allowed: allow(r.spec as JsonObject), ...(allow(r.spec as JsonObject) ? {} : { reason: 'no RBAC policy matched' }) }
    },
  }
  return { access, asked }
}

t.test('mutate-grants stamps the requester and the approver; answers carry the uid', async (t) => {
  const s = await start(t)
  const g = await post(s, GRANT_ROUTES.mutate, review('DebugGrant', 'CREATE', grant({ requestedBy: 'mallory' }), ALICE))
  t.equal(g.uid, 'uid-DebugGrant-CREATE')
  t.equal(g.allowed, true)
  t.equal(g.patchType, 'JSONPatch')
  t.same(JSON.parse(Buffer.from(g.patch!, 'base64').toString('utf8')), [{ op: 'add', path: '/spec/requestedBy', value: 'alice' }])
  const a = await post(s, GRANT_ROUTES.mutate, review('DebugGrantApproval', 'CREATE', approval('alice', 1), BOB))
  t.same(JSON.parse(Buffer.from(a.patch!, 'base64').toString('utf8')), [{ op: 'add', path: '/spec/approver', value: 'bob' }])
  t.match(s.logs.find((l) => l.msg === 'grant admission decision'), { uid: 'uid-DebugGrant-CREATE', namespace: 'shop', name: 'inc-42', kind: 'DebugGrant', operation: 'CREATE', user: 'alice', webhook: 'mutate-grants', decision: 'allow' })
})

t.test('validate-grants: grants, and approvals checked against the grant and RBAC', async (t) => {
  const { access, asked } = fakeAccess({ 'shop/inc-42': grant() as unknown as JsonValue }, (spec) => spec['user'] === 'bob')
  const s = await start(t, access)
  t.equal((await post(s, GRANT_ROUTES.validate, review('DebugGrant', 'CREATE', grant(), ALICE))).allowed, true)
  t.match(await post(s, GRANT_ROUTES.validate, review('DebugGrant', 'CREATE', grant({ requestedBy: 'bob' }), ALICE)), { allowed: false, status: { code: 403, message: /spec\.requestedBy must be the requester, "alice"/ } })

  const ok = await post(s, GRANT_ROUTES.validate, review('DebugGrantApproval', 'CREATE', approval('bob', 1), BOB))
  t.same(ok, { uid: 'uid-DebugGrantApproval-CREATE', allowed: true }, 'an approver with the permission')
  t.same(asked.at(-1), { user: 'bob', uid: 'u-bob', groups: ['approvers', 'system:authenticated'], resourceAttributes: { namespace: 'shop', verb: 'approve', group: 'ephemeral-guard.dev', resource: 'debuggrants', name: 'inc-42' } })

  const carol: UserInfo = { username: 'carol', groups: ['dev'] }
  t.match(await post(s, GRANT_ROUTES.validate, review('DebugGrantApproval', 'CREATE', approval('carol', 1), carol)), { allowed: false, status: { code: 403, message: 'ephemeral-guard: "carol" may not approve grant "inc-42": RBAC does not allow verb "approve" on debuggrants.ephemeral-guard.dev in namespace "shop" (no RBAC policy matched)' } }, 'without the permission')
  const before = asked.length
  t.match(await post(s, GRANT_ROUTES.validate, review('DebugGrantApproval', 'CREATE', approval('alice', 1), ALICE)), { allowed: false, status: { message: /"alice" requested grant "inc-42" and cannot approve it/ } }, 'self-approval')
  t.match(await post(s, GRANT_ROUTES.validate, review('DebugGrantApproval', 'CREATE', approval('bob', 1, { generation: 2 }), BOB)), { allowed: false, status: { message: /is at generation 1, not 2/ } }, 'another generation')
  t.match(await post(s, GRANT_ROUTES.validate, review('DebugGrantApproval', 'CREATE', approval('bob', 1, { grant: 'nope' }), BOB)), { allowed: false, status: { code: 404, message: /"nope" not found/ } }, 'no such grant')
  t.equal(asked.length, before, 'no SubjectAccessReview when the grant already refuses')
  t.match(await post(s, GRANT_ROUTES.validate, review('DebugGrantApproval', 'UPDATE', approval('bob', 1), BOB, approval('bob', 1))), { allowed: false, status: { message: /immutable/ } })
  t.match(s.logs.filter((l) => l.msg === 'grant admission decision').at(-1), { webhook: 'validate-grants', decision: 'deny', reason: /immutable/ })
})

t.test('approvals fail closed: no cluster access, or the API server failing', async (t) => {
  const offline = await start(t)
  t.match(await post(offline, GRANT_ROUTES.validate, review('DebugGrantApproval', 'CREATE', approval('bob', 1), BOB)), { allowed: false, status: { code: 500, message: 'ephemeral-guard: approvals cannot be checked: serve runs without cluster access (run it in a pod, or with --kubeconfig)' } })
  t.equal((await post(offline, GRANT_ROUTES.validate, review('DebugGrant', 'CREATE', grant(), ALICE))).allowed, true, 'grants need no lookup')
  const failing = await start(t, { getGrant: async () => { throw new ClusterError('cannot reach the API server at https://127.0.0.1:1: ECONNREFUSED') }, accessReview: async () => ({ allowed: true }) })
  t.match(await post(failing, GRANT_ROUTES.validate, review('DebugGrantApproval', 'CREATE', approval('bob', 1), BOB)), { allowed: false, status: { code: 500, message: 'ephemeral-guard: the approval cannot be checked: cannot reach the API server at https://127.0.0.1:1: ECONNREFUSED' } })
})

t.test('a body that is not an AdmissionReview: a 400 Status, as on the other routes', async (t) => {
  const s = await start(t)
  const r = await call(s, 'POST', GRANT_ROUTES.validate, JSON.stringify({ kind: 'AdmissionReview' }))
  t.equal(r.status, 400)
  t.match(r.json(), { kind: 'Status', code: 400, reason: 'BadRequest' })
  const empty = await call(s, 'POST', GRANT_ROUTES.mutate, '')
  t.equal(empty.status, 400)
})

t.test('failClosed: a webhook error keeps its code, anything else is an internal error', async (t) => {
  t.match(failClosed(new BadReviewError('bad')), { allowed: false, status: { code: 400, reason: 'BadRequest', message: 'ephemeral-guard: bad' } })
  t.match(failClosed(new Error('boom')), { allowed: false, status: { code: 500, reason: 'InternalError', message: 'ephemeral-guard: internal error while deciding; the request is refused' } })
})

t.test('grantAccessFrom: the grant by namespace and name, the SubjectAccessReview created', async (t) => {
  const calls: string[] = []
  const access = grantAccessFrom({
    getOptional: async (path) => { calls.push(`GET ${path}`); return undefined },
    send: async (method, path, obj) => { calls.push(`${method} ${path} ${JSON.stringify(obj)}`); return { status: 201, object: { status: { allowed: true } } } },
  })
  t.equal(await access.getGrant('shop', 'inc/42'), undefined)
  t.same(await access.accessReview({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'bob' } }), { allowed: true })
  t.same(calls, [
    'GET /apis/ephemeral-guard.dev/v1alpha1/namespaces/shop/debuggrants/inc%2F42',
    'POST /apis/authorization.k8s.io/v1/subjectaccessreviews {"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"bob"}}',
  ])
})
