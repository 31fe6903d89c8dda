// The grant webhook's decisions: identities stamped from userInfo, and what is refused.
import t from 'tap'
import { approvalAccessReview, judgeApprovalAccess, judgeApprovalAgainstGrant, mutateGrantRequest, validateGrantRequest, type ApprovalCheck } from '../../src/grants/admission.js'
import type { AdmissionRequest, JsonValue, UserInfo } from '../../src/kube/types.js'
import { approval, grant } from './fixtures.js'

const asJson = (v: unknown): JsonValue => JSON.parse(JSON.stringify(v)) as JsonValue
const KIND = { DebugGrant: { group: 'ephemeral-guard.dev', version: 'v1alpha1', kind: 'DebugGrant' }, DebugGrantApproval: { group: 'ephemeral-guard.dev', version: 'v1alpha1', kind: 'DebugGrantApproval' } }

function req(kind: keyof typeof KIND, operation: AdmissionRequest['operation'], object: unknown, o: { oldObject?: unknown; user?: UserInfo; subResource?: string; namespace?: string | null } = {}): AdmissionRequest {
  return {
    uid: 'u-1',
    kind: KIND[kind],
    resource: { group: 'ephemeral-guard.dev', version: 'v1alpha1', resource: kind === 'DebugGrant' ? 'debuggrants' : 'debuggrantapprovals' },
    ...(o.subResource !== undefined ? { subResource: o.subResource } : {}),
    ...(o.namespace === null ? {} : { namespace: o.namespace ?? 'shop' }),
    name: 'x',
    operation,
    userInfo: o.user ?? { username: 'alice', uid: 'uid-a', groups: ['dev', 'system:authenticated'], extra: { scopes: ['s'] } },
    object: asJson(object),
    ...(o.oldObject !== undefined ? { oldObject: asJson(o.oldObject) } : {}),
  }
}

const patchOf = (v: { patch?: string }): unknown => v.patch === undefined ? undefined : JSON.parse(Buffer.from(v.patch, 'base64').toString('utf8'))
const BOB: UserInfo = { username: 'bob', groups: ['approvers'] }

t.test('mutating: the requester and the approver are stamped from userInfo on CREATE', async (t) => {
  const forged = mutateGrantRequest(req('DebugGrant', 'CREATE', grant({ requestedBy: 'mallory' })))
  t.same(patchOf(forged), [{ op: 'add', path: '/spec/requestedBy', value: 'alice' }], 'a forged requester is replaced')
  t.equal(forged.patchType, 'JSONPatch')
  t.same(patchOf(mutateGrantRequest(req('DebugGrant', 'CREATE', grant({ requestedBy: undefined })))), [{ op: 'add', path: '/spec/requestedBy', value: 'alice' }])
  t.same(patchOf(mutateGrantRequest(req('DebugGrantApproval', 'CREATE', approval('alice', 1), { user: BOB }))), [{ op: 'add', path: '/spec/approver', value: 'bob' }], 'a forged approver is replaced')
  t.same(mutateGrantRequest(req('DebugGrant', 'UPDATE', grant(), { oldObject: grant() })), { allowed: true }, 'nothing on UPDATE')
  t.same(mutateGrantRequest(req('DebugGrant', 'CREATE', grant(), { subResource: 'status' })), { allowed: true }, 'nothing on a subresource')
  t.same(mutateGrantRequest(req('DebugGrant', 'CREATE', { ...grant(), spec: 'x' })), { allowed: true }, 'no spec object: the schema refuses it next')
  t.same(mutateGrantRequest(req('DebugGrant', 'CREATE', null)), { allowed: true })
  t.match(mutateGrantRequest(req('DebugGrant', 'CREATE', grant(), { user: {} })), { allowed: false, status: { code: 403, message: 'ephemeral-guard: the request has no username to record' } })
  t.match(mutateGrantRequest({ ...req('DebugGrant', 'CREATE', grant()), kind: { group: '', version: 'v1', kind: 'Pod' } }), { allowed: false, status: { code: 400, reason: 'BadRequest', message: /handles DebugGrant and DebugGrantApproval .* not CREATE of \/Pod$/ } })
})

t.test('validating a DebugGrant', async (t) => {
  const cases: Array<{ name: string; r: AdmissionRequest; want: true | { code: number; message: string | RegExp } }> = [
    { name: 'CREATE with the stamped requester', r: req('DebugGrant', 'CREATE', grant()), want: true },
    { name: 'CREATE with a requester other than the user (the mutation skipped)', r: req('DebugGrant', 'CREATE', grant({ requestedBy: 'mallory' })), want: { code: 403, message: 'ephemeral-guard: spec.requestedBy must be the requester, "alice" (it is recorded from the request, not given)' } },
    { name: 'CREATE without requester', r: req('DebugGrant', 'CREATE', grant({ requestedBy: undefined })), want: { code: 403, message: /spec\.requestedBy must be the requester/ } },
    { name: 'CREATE of an invalid grant', r: req('DebugGrant', 'CREATE', grant({ pods: {} })), want: { code: 422, message: 'ephemeral-guard: invalid DebugGrant: spec.pods: exactly one of names and selector must be set' } },
    { name: 'CREATE without a username', r: req('DebugGrant', 'CREATE', grant(), { user: { username: '' } }), want: { code: 403, message: 'ephemeral-guard: the request has no username to check' } },
    { name: 'UPDATE by anyone that keeps the requester (a scope change by the requester or a revocation by an approver)', r: req('DebugGrant', 'UPDATE', grant({ duration: '1h' }), { oldObject: grant(), user: BOB }), want: true },
    { name: 'UPDATE that changes the requester', r: req('DebugGrant', 'UPDATE', grant({ requestedBy: 'bob' }), { oldObject: grant() }), want: { code: 403, message: 'ephemeral-guard: spec.requestedBy cannot be changed' } },
    { name: 'UPDATE that removes the requester', r: req('DebugGrant', 'UPDATE', grant({ requestedBy: undefined }), { oldObject: grant() }), want: { code: 403, message: 'ephemeral-guard: spec.requestedBy cannot be changed' } },
    { name: 'UPDATE that revokes', r: req('DebugGrant', 'UPDATE', grant({ revoked: true }), { oldObject: grant() }), want: true },
    { name: 'UPDATE that un-revokes', r: req('DebugGrant', 'UPDATE', grant({ revoked: false }), { oldObject: grant({ revoked: true }) }), want: { code: 403, message: 'ephemeral-guard: grant inc-42 was revoked; a revocation cannot be undone: request a new grant' } },
    { name: 'UPDATE that drops revoked', r: req('DebugGrant', 'UPDATE', grant(), { oldObject: grant({ revoked: true }) }), want: { code: 403, message: /a revocation cannot be undone/ } },
    { name: 'UPDATE with an unreadable old object', r: req('DebugGrant', 'UPDATE', grant(), { oldObject: { kind: 'DebugGrant' } }), want: { code: 400, message: /^ephemeral-guard: the stored DebugGrant cannot be read: / } },
    { name: 'a status update is not judged here', r: req('DebugGrant', 'UPDATE', grant(), { subResource: 'status' }), want: true },
    { name: 'DELETE is not handled: refused', r: req('DebugGrant', 'DELETE', null), want: { code: 400, message: /not DELETE of ephemeral-guard\.dev\/DebugGrant$/ } },
    { name: 'an approval object under the grant kind', r: req('DebugGrant', 'CREATE', approval('bob', 1)), want: { code: 400, message: 'ephemeral-guard: the object is a DebugGrantApproval, the request is about a DebugGrant' } },
  ]
  for (const c of cases) {
    const v = validateGrantRequest(c.r)
    if (c.want === true) t.same(v, { allowed: true }, c.name)
    else t.match(v, { allowed: false, status: { status: 'Failure', code: c.want.code, message: c.want.message } }, c.name)
    t.notOk('patch' in v, `${c.name}: a validating answer has no patch`)
  }
})

t.test('validating a DebugGrantApproval: the checks before any I/O', async (t) => {
  const check = validateGrantRequest(req('DebugGrantApproval', 'CREATE', approval('bob', 1, { generation: 3 }), { user: { ...BOB, uid: 'u-b', extra: { k: ['v'] } } }))
  t.same(check, { namespace: 'shop', grant: 'inc-42', grantUID: 'uid-inc-42', generation: 3, approver: 'bob', user: { ...BOB, uid: 'u-b', extra: { k: ['v'] } } }, 'a CREATE goes on to the grant and RBAC checks')
  t.match(validateGrantRequest(req('DebugGrantApproval', 'CREATE', approval('alice', 1), { user: BOB })), { allowed: false, status: { code: 403, message: 'ephemeral-guard: spec.approver must be the requester, "bob" (it is recorded from the request, not given)' } }, 'a forged approver (the mutation skipped)')
  t.match(validateGrantRequest(req('DebugGrantApproval', 'UPDATE', approval('bob', 1), { user: BOB, oldObject: approval('bob', 1) })), { allowed: false, status: { code: 403, message: 'ephemeral-guard: a DebugGrantApproval is immutable: delete it, or create a new one' } })
  t.match(validateGrantRequest(req('DebugGrantApproval', 'CREATE', approval('bob', 1), { user: BOB, namespace: null })), { allowed: false, status: { code: 400, message: /has no namespace/ } })
  t.match(validateGrantRequest(req('DebugGrantApproval', 'CREATE', { ...approval('bob', 1), spec: { grant: 'g', grantUID: 'u', generation: 0, approver: 'bob' } }, { user: BOB })), { allowed: false, status: { code: 422, message: /invalid DebugGrantApproval: spec\.generation: must be >= 1/ } })
})

t.test('an approval against its grant', async (t) => {
  const check: ApprovalCheck = { namespace: 'shop', grant: 'inc-42', grantUID: 'uid-inc-42', generation: 1, approver: 'bob', user: BOB }
  t.equal(judgeApprovalAgainstGrant(check, asJson(grant())), undefined, 'holds: on to RBAC')
  const cases: Array<{ name: string; c?: Partial<ApprovalCheck>; stored: unknown; code: number; message: string | RegExp }> = [
    { name: 'no such grant', stored: undefined, code: 404, message: 'ephemeral-guard: debuggrants.ephemeral-guard.dev "inc-42" not found in namespace "shop"' },
    { name: 'a grant deleted and created again under the same name', stored: grant({}, { uid: 'uid-new' }), code: 403, message: 'ephemeral-guard: grant "inc-42" has uid "uid-new", not "uid-inc-42": it was deleted and created again since; approve the grant as it is now' },
    { name: 'a stored grant without uid', stored: grant({}, { uid: undefined }), code: 403, message: /has uid "", not "uid-inc-42"/ },
    { name: 'self-approval', c: { approver: 'alice' }, stored: grant(), code: 403, message: 'ephemeral-guard: "alice" requested grant "inc-42" and cannot approve it: the approver must be someone else' },
    { name: 'a stale generation', c: { generation: 1 }, stored: grant({}, { generation: 2 }), code: 403, message: 'ephemeral-guard: grant "inc-42" is at generation 2, not 1: its spec changed; approve what it asks now' },
    { name: 'a grant without generation', stored: grant({}, { generation: undefined }), code: 403, message: /is at generation \(none\), not 1/ },
    { name: 'a revoked grant', stored: grant({ revoked: true }), code: 403, message: 'ephemeral-guard: grant "inc-42" was revoked and cannot be approved' },
    { name: 'a grant without requester', stored: grant({ requestedBy: undefined }), code: 403, message: 'ephemeral-guard: grant "inc-42" has no recorded requester and cannot be approved' },
    { name: 'a grant that cannot be read', stored: { kind: 'DebugGrant' }, code: 400, message: /^ephemeral-guard: grant "inc-42" cannot be read: / },
  ]
  for (const c of cases) {
    t.match(judgeApprovalAgainstGrant({ ...check, ...c.c }, c.stored === undefined ? undefined : asJson(c.stored)), { allowed: false, status: { code: c.code, message: c.message } }, c.name)
  }
  t.match(judgeApprovalAgainstGrant(check, undefined), { status: { reason: 'NotFound' } })
})

t.test('the SubjectAccessReview: the approver as authenticated, verb approve on the named grant', async (t) => {
  const user: UserInfo = { username: 'bob', uid: 'u-b', groups: ['approvers'], extra: { scopes: ['a'] } }
  t.same(approvalAccessReview({ namespace: 'shop', grant: 'inc-42', grantUID: 'u', generation: 1, approver: 'bob', user }), {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: { user: 'bob', uid: 'u-b', groups: ['approvers'], extra: { scopes: ['a'] }, resourceAttributes: { namespace: 'shop', verb: 'approve', group: 'ephemeral-guard.dev', resource: 'debuggrants', name: 'inc-42' } },
  })
  t.same(approvalAccessReview({ namespace: 'shop', grant: 'g', grantUID: 'u', generation: 1, approver: 'bob', user: { username: 'bob' } }).spec, { user: 'bob', resourceAttributes: { namespace: 'shop', verb: 'approve', group: 'ephemeral-guard.dev', resource: 'debuggrants', name: 'g' } })
  const check: ApprovalCheck = { namespace: 'shop', grant: 'inc-42', grantUID: 'u', generation: 1, approver: 'bob', user }
  t.same(judgeApprovalAccess(check, { allowed: true }), { allowed: true })
  t.match(judgeApprovalAccess(check, { allowed: true, denied: true }), { allowed: false })
  t.match(judgeApprovalAccess(check, { allowed: false }), { allowed: false, status: { code: 403, message: 'ephemeral-guard: "bob" may not approve grant "inc-42": RBAC does not allow verb "approve" on debuggrants.ephemeral-guard.dev in namespace "shop"' } })
  t.match(judgeApprovalAccess(check, { allowed: false, reason: 'no RBAC policy matched', evaluationError: 'x' }), { status: { message: /in namespace "shop" \(no RBAC policy matched; x\)$/ } })
  t.match(judgeApprovalAccess(check, undefined), { allowed: false }, 'no status: refused')
})
