// The grant webhook's two routes (decisions in src/grants/admission.ts): /mutate-grants stamps the
// requester and approver from userInfo, /validate-grants refuses what must never be stored. Both are
// registered with failurePolicy Fail: no grant or approval exists without them. Validating an approval
// reads the grant and asks the API server a SubjectAccessReview; without cluster access, or when the
// API server cannot be asked, the approval is refused (fail closed).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { decodeReview } from '../admission/decode.js'
import { complete, errored } from '../admission/respond.js'
import type { KubeApi } from '../cluster/api.js'
import type { Verdict } from '../decision/verdict.js'
import { InternalError, WebhookError } from '../errors.js'
import {
  approvalAccessReview, judgeApprovalAccess, judgeApprovalAgainstGrant, mutateGrantRequest, refused, validateGrantRequest, type ApprovalCheck,
} from '../grants/admission.js'
import { GRANT_API_VERSION, GRANT_RESOURCE } from '../grants/types.js'
import { isJsonObject, type AdmissionRequest, type JsonValue } from '../kube/types.js'

/** What validating an approval needs from the API server. */
export interface GrantAccess {
  /** The grant as stored, or undefined when there is none. */
  getGrant(namespace: string, name: string): Promise<JsonValue | undefined>
  /** Creates the SubjectAccessReview; its `status`. */
  accessReview(review: ReturnType<typeof approvalAccessReview>): Promise<JsonValue | undefined>
}

/** GrantAccess through the API server, with serve's own credentials (RBAC: get debuggrants, create subjectaccessreviews). */
export function grantAccessFrom(api: Pick<KubeApi, 'getOptional' | 'send'>): GrantAccess {
  return {
    getGrant: (namespace, name) =>
      api.getOptional(`/apis/${GRANT_API_VERSION}/namespaces/${encodeURIComponent(namespace)}/${GRANT_RESOURCE}/${encodeURIComponent(name)}`),
    accessReview: async (review) => (await api.send('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', review as never)).object['status'],
  }
}

export const GRANT_ROUTES = { mutate: '/mutate-grants', validate: '/validate-grants' } as const

export interface GrantRouteOptions {
  readonly logger: Logger
  /** Undefined when serve runs without cluster access: every approval is then refused. */
  readonly access?: GrantAccess
}

/** The second step of an approval: its grant, then RBAC. */
async function judgeApproval(check: ApprovalCheck, access: GrantAccess | undefined): Promise<Verdict> {
  if (access === undefined) {
    return refused('approvals cannot be checked: serve runs without cluster access (run it in a pod, or with --kubeconfig)', 500)
  }
  try {
    const against = judgeApprovalAgainstGrant(check, await access.getGrant(check.namespace, check.grant))
    if (against !== undefined) return against
    return judgeApprovalAccess(check, await access.accessReview(approvalAccessReview(check)))
  } catch (e) {
    return refused(`the approval cannot be checked: ${(e as Error).message}`, 500)
  }
}

/** Anything thrown while deciding: refused, with the error's code and reason (fail closed). */
export const failClosed = (cause: unknown): Verdict =>
  errored(cause instanceof WebhookError ? cause : new InternalError('internal error while deciding; the request is refused', { cause }))

const isVerdict = (v: Verdict | ApprovalCheck): v is Verdict => 'allowed' in v

export function registerGrantRoutes(app: FastifyInstance, options: GrantRouteOptions): void {
  const log = options.logger.child({}, { redact: [] }) // the lines below carry no object
  const answer = (webhook: 'mutate-grants' | 'validate-grants', decide: (r: AdmissionRequest) => Promise<Verdict>) =>
    async (req: FastifyRequest, _reply: FastifyReply) => {
      const { apiVersion, request } = decodeReview(req.body) // throws BadReviewError: a 400 Status (app.ts)
      const verdict = await decide(request).catch(failClosed)
      const meta = isJsonObject(request.object ?? null) ? (request.object as { metadata?: { name?: unknown } }).metadata : undefined
      log.info({
        uid: request.uid,
        namespace: request.namespace,
        name: request.name ?? (typeof meta?.name === 'string' ? meta.name : undefined),
        kind: request.kind.kind,
        operation: request.operation,
        user: request.userInfo?.username,
        webhook,
        decision: verdict.allowed ? 'allow' : 'deny',
        reason: verdict.status?.message,
      }, 'grant admission decision')
      return complete(apiVersion, request.uid, verdict)
    }
  app.post(GRANT_ROUTES.mutate, answer('mutate-grants', async (r) => mutateGrantRequest(r)))
  app.post(GRANT_ROUTES.validate, answer('validate-grants', async (r) => {
    const first = validateGrantRequest(r)
    return isVerdict(first) ? first : judgeApproval(first, options.access)
  }))
}
