// The admission decision, without HTTP: a pure function of the request and the policy.
import type { AdmissionRequest, AdmissionReview } from '../kube/types.js'
import type { Policy } from '../policy.js'
import type { Violation } from '../checks/types.js'
import { pullPolicyPatch } from '../mutation/pull-policy.js'
import type { DecodedReview } from './decode.js'
import { InternalError, WebhookError } from './errors.js'
import { diffEphemeralContainers } from './new-containers.js'
import { toPodView } from './pod-view.js'
import { allowed, complete, denied, errored, patched, type Verdict } from './respond.js'
import { formatViolation, orderViolations } from './violations.js'

export type Webhook = 'validate' | 'mutate'

export type Outcome = 'allowed' | 'denied' | 'patched' | 'skipped' | 'errored'

/** What a decision was, for logs and metrics; never holds the object. */
export interface DecisionSummary {
  readonly outcome: Outcome
  /** Rules (check ids or policy rule names) violated, in message order, without repeats. */
  readonly rules: readonly string[]
  /** Why a request was skipped or errored. */
  readonly note?: string
}

export interface Decision {
  readonly review: AdmissionReview
  readonly summary: DecisionSummary
}

/** True for what `kubectl debug` sends: UPDATE of the core pods/ephemeralcontainers subresource. */
export const isEphemeralContainersUpdate = (r: AdmissionRequest): boolean =>
  r.operation === 'UPDATE' && (r.resource.group ?? '') === '' && r.resource.resource === 'pods' && r.subResource === 'ephemeralcontainers'

function verdictFor(request: AdmissionRequest, webhook: Webhook, policy: Policy): { verdict: Verdict; summary: DecisionSummary } {
  if (!isEphemeralContainersUpdate(request)) {
    const what = `${request.operation} ${request.resource.resource}${request.subResource ? `/${request.subResource}` : ''}`
    return { verdict: allowed(), summary: { outcome: 'skipped', rules: [], note: `not an UPDATE of pods/ephemeralcontainers: ${what}` } }
  }
  const pod = toPodView(request.object, 'object')
  const oldPod = toPodView(request.oldObject, 'oldObject')
  const { added, removed, changed } = diffEphemeralContainers(pod, oldPod)
  const input = { pod, oldPod, added, removed, changed }
  const found: Violation[] = []
  for (const check of policy.checks) found.push(...check.run(input))
  const violations = orderViolations(found)
  const rules = [...new Set(violations.map((v) => v.rule))]

  if (webhook === 'mutate') {
    // Denial is the validating webhook's job; here violations that no mutation fixes become warnings.
    const ops = pullPolicyPatch(pod, added)
    const verdict = patched(ops, violations.map(formatViolation))
    return { verdict, summary: { outcome: ops.length > 0 ? 'patched' : 'allowed', rules } }
  }
  if (violations.length > 0) return { verdict: denied(violations, request.name ?? pod.name), summary: { outcome: 'denied', rules } }
  return { verdict: allowed(), summary: { outcome: 'allowed', rules } }
}

/**
 * Answers one review. Anything thrown becomes a fail-closed answer that still carries the uid:
 * a review that cannot be fully evaluated is never allowed.
 */
export function admit(review: DecodedReview, webhook: Webhook, policy: Policy): Decision {
  const { apiVersion, request } = review
  try {
    const { verdict, summary } = verdictFor(request, webhook, policy)
    return { review: complete(apiVersion, request.uid, verdict), summary }
  } catch (cause) {
    const err = cause instanceof WebhookError ? cause : new InternalError('internal error while deciding; the request is refused', { cause })
    return { review: complete(apiVersion, request.uid, errored(err)), summary: { outcome: 'errored', rules: [], note: err.message } }
  }
}
