// One AdmissionReview answered: the decision, wrapped in the envelope. Anything thrown becomes a
// fail-closed answer that still carries the uid.
import type { AdmissionReview } from '../kube/types.js'
import type { DecisionContext, DecisionSummary, Policy, Webhook } from '../decision/types.js'
import { decide } from '../decision/decide.js'
import { InternalError, WebhookError } from '../errors.js'
import type { DecodedReview } from './decode.js'
import { complete, errored } from './respond.js'

export interface Decision {
  readonly review: AdmissionReview
  readonly summary: DecisionSummary
}

/**
 * Answers one review. Anything thrown becomes a fail-closed answer that still carries the uid:
 * a review that cannot be fully evaluated is never allowed.
 */
export function admit(review: DecodedReview, webhook: Webhook, policy: Policy, context: DecisionContext = {}): Decision {
  const { apiVersion, request } = review
  try {
    const { verdict, summary } = decide(request, webhook, policy, context)
    return { review: complete(apiVersion, request.uid, verdict), summary }
  } catch (cause) {
    const err = cause instanceof WebhookError ? cause : new InternalError('internal error while deciding; the request is refused', { cause })
    return { review: complete(apiVersion, request.uid, errored(err)), summary: { outcome: 'errored', rules: [], note: err.message } }
  }
}
