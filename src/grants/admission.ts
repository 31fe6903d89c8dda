// The grant webhook's decisions, without I/O. The mutating side stamps identities from the
// authenticated request (userInfo): `spec.requestedBy` on a new DebugGrant, `spec.approver` on a new
// DebugGrantApproval, replacing whatever the client wrote. The validating side refuses what must never
// be stored: an identity that is not the requester's, a changed requester, an un-revoked grant, a
// changed approval, and an approval that does not hold against its grant (missing, stale generation,
// self-approval, revoked) or against RBAC (a SubjectAccessReview for verb `approve` on the grant, made
// by the server around these functions). Anything unexpected is refused: the webhook fails closed.
import type { AdmissionRequest, JsonValue, UserInfo } from '../kube/types.js'
import { isJsonObject } from '../kube/types.js'
import { allowed, patched, type Verdict } from '../decision/verdict.js'
import { APPROVE_VERB, GRANT_GROUP, GRANT_RESOURCE, readGrant, readGrantObject, type DebugGrantApproval } from './types.js'

/** Refused, with the message the client sees (kubectl prints it after "admission webhook … denied the request:"). */
export const refused = (message: string, code = 403): Verdict => ({
  allowed: false,
  status: { status: 'Failure', code, reason: code === 422 ? 'Invalid' : code === 400 ? 'BadRequest' : code === 404 ? 'NotFound' : 'Forbidden', message: `ephemeral-guard: ${message}` },
})

type GrantKind = 'DebugGrant' | 'DebugGrantApproval'

/** The kind the request is about, or undefined for anything this webhook does not handle. */
function kindOf(request: AdmissionRequest): GrantKind | undefined {
  const k = request.kind
  return k.group === GRANT_GROUP && (k.kind === 'DebugGrant' || k.kind === 'DebugGrantApproval') ? k.kind : undefined
}

const usernameOf = (request: AdmissionRequest): string | undefined => {
  const u = request.userInfo?.username // the envelope's schema does not require userInfo
  return typeof u === 'string' && u !== '' ? u : undefined
}

const notHandled = (request: AdmissionRequest): Verdict =>
  refused(`the grant webhook handles DebugGrant and DebugGrantApproval (${GRANT_GROUP}) CREATE and UPDATE only, not ${request.operation} of ${request.kind.group}/${request.kind.kind}`, 400)

/** The mutating route: the requester or approver stamped from userInfo on CREATE, nothing else. */
export function mutateGrantRequest(request: AdmissionRequest): Verdict {
  const kind = kindOf(request)
  if (kind === undefined) return notHandled(request)
  if (request.operation !== 'CREATE' || (request.subResource !== undefined && request.subResource !== '')) return allowed()
  const username = usernameOf(request)
  if (username === undefined) return refused('the request has no username to record')
  const object = request.object
  // No spec: the CRD's schema refuses the object after mutation; there is nothing to stamp.
  if (!isJsonObject(object ?? null) || !isJsonObject((object as { spec?: JsonValue }).spec ?? null)) return allowed()
  return patched([{ op: 'add', path: kind === 'DebugGrant' ? '/spec/requestedBy' : '/spec/approver', value: username }])
}

/** What the server must look up before an approval can be judged: the grant, then the approver's RBAC. */
export interface ApprovalCheck {
  readonly namespace: string
  readonly grant: string
  readonly grantUID: string
  readonly generation: number
  readonly approver: string
  /** The authenticated requester, as a SubjectAccessReview must name them. */
  readonly user: UserInfo
}

/** The validating route's first step: a verdict, or an approval whose grant and RBAC the server checks next. */
export function validateGrantRequest(request: AdmissionRequest): Verdict | ApprovalCheck {
  const kind = kindOf(request)
  if (kind === undefined || (request.operation !== 'CREATE' && request.operation !== 'UPDATE')) return notHandled(request)
  if (request.subResource === 'status') return allowed() // a display, written by the controller; RBAC guards it
  const username = usernameOf(request)
  if (username === undefined) return refused('the request has no username to check')
  const read = readGrantObject(request.object)
  if (!read.ok) return refused(`invalid ${kind}: ${read.error}`, 422)
  const obj = read.value
  if (obj.kind !== kind) return refused(`the object is a ${obj.kind}, the request is about a ${kind}`, 400)
  if (obj.kind === 'DebugGrant') {
    if (request.operation === 'CREATE') {
      return obj.spec.requestedBy === username ? allowed() : refused(`spec.requestedBy must be the requester, ${JSON.stringify(username)} (it is recorded from the request, not given)`)
    }
    const old = readGrant(request.oldObject)
    if (!old.ok) return refused(`the stored DebugGrant cannot be read: ${old.error}`, 400)
    if (obj.spec.requestedBy !== old.value.spec.requestedBy) return refused('spec.requestedBy cannot be changed')
    if (old.value.spec.revoked === true && obj.spec.revoked !== true) return refused(`grant ${obj.metadata.name} was revoked; a revocation cannot be undone: request a new grant`)
    return allowed()
  }
  if (request.operation === 'UPDATE') return refused('a DebugGrantApproval is immutable: delete it, or create a new one')
  return approvalCheck(request, obj, username)
}

function approvalCheck(request: AdmissionRequest, approval: DebugGrantApproval, username: string): Verdict | ApprovalCheck {
  if (approval.spec.approver !== username) return refused(`spec.approver must be the requester, ${JSON.stringify(username)} (it is recorded from the request, not given)`)
  const namespace = request.namespace
  if (namespace === undefined || namespace === '') return refused('a DebugGrantApproval is namespaced; the request has no namespace', 400)
  return { namespace, grant: approval.spec.grant, grantUID: approval.spec.grantUID, generation: approval.spec.generation, approver: username, user: request.userInfo }
}

/** The approval against its grant as stored (undefined: not found); undefined when it holds. */
export function judgeApprovalAgainstGrant(check: ApprovalCheck, stored: JsonValue | undefined): Verdict | undefined {
  const name = JSON.stringify(check.grant)
  if (stored === undefined) return refused(`${GRANT_RESOURCE}.${GRANT_GROUP} ${name} not found in namespace ${JSON.stringify(check.namespace)}`, 404)
  const read = readGrant(stored)
  if (!read.ok) return refused(`grant ${name} cannot be read: ${read.error}`, 400)
  const grant = read.value
  if (grant.metadata.uid !== check.grantUID) {
    return refused(`grant ${name} has uid ${JSON.stringify(grant.metadata.uid ?? '')}, not ${JSON.stringify(check.grantUID)}: it was deleted and created again since; approve the grant as it is now`)
  }
  if (grant.spec.requestedBy === undefined) return refused(`grant ${name} has no recorded requester and cannot be approved`)
  if (grant.spec.requestedBy === check.approver) return refused(`${JSON.stringify(check.approver)} requested grant ${name} and cannot approve it: the approver must be someone else`)
  if (grant.spec.revoked === true) return refused(`grant ${name} was revoked and cannot be approved`)
  if (grant.metadata.generation !== check.generation) {
    return refused(`grant ${name} is at generation ${grant.metadata.generation ?? '(none)'}, not ${check.generation}: its spec changed; approve what it asks now`)
  }
  return undefined
}

/** The authorization.k8s.io/v1 SubjectAccessReview for `check`: may this user approve this grant? */
export function approvalAccessReview(check: ApprovalCheck): { apiVersion: string; kind: string; spec: Record<string, JsonValue> } {
  const { user } = check
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: check.approver,
      ...(typeof user.uid === 'string' ? { uid: user.uid } : {}),
      ...(Array.isArray(user.groups) ? { groups: [...user.groups] } : {}), // null in some reviews
      ...(isJsonObject((user.extra ?? null) as JsonValue) ? { extra: structuredClone(user.extra!) } : {}),
      resourceAttributes: { namespace: check.namespace, verb: APPROVE_VERB, group: GRANT_GROUP, resource: GRANT_RESOURCE, name: check.grant },
    },
  }
}

/** The SubjectAccessReview's answer (its status), judged. */
export function judgeApprovalAccess(check: ApprovalCheck, status: JsonValue | undefined): Verdict {
  const s = isJsonObject(status ?? null) ? status as { allowed?: unknown; denied?: unknown; reason?: unknown; evaluationError?: unknown } : {}
  if (s.allowed === true && s.denied !== true) return allowed()
  const why = [s.reason, s.evaluationError].filter((x): x is string => typeof x === 'string' && x !== '').join('; ')
  return refused(`${JSON.stringify(check.approver)} may not approve grant ${JSON.stringify(check.grant)}: RBAC does not allow verb ${JSON.stringify(APPROVE_VERB)} on ${GRANT_RESOURCE}.${GRANT_GROUP} in namespace ${JSON.stringify(check.namespace)}${why ? ` (${why})` : ''}`)
}
