// The error catalogue. A policy violation is data (see checks/); an exception means the input is not
// a usable AdmissionReview, or a bug. Each class has a stable code, the HTTP status used when it ends
// a request outside an AdmissionReview, and the Kubernetes Status reason used inside one.

export type KubernetesReason = 'BadRequest' | 'Forbidden' | 'Invalid' | 'InternalError' | 'RequestEntityTooLarge' | 'Timeout'

export abstract class WebhookError extends Error {
  abstract readonly code: string
  abstract readonly statusCode: number
  abstract readonly reason: KubernetesReason
}

/** The body is not an AdmissionReview this webhook can answer: no usable request.uid, version, kind. */
export class BadReviewError extends WebhookError {
  readonly code = 'WH_ERR_BAD_REVIEW'
  readonly statusCode = 400
  readonly reason = 'BadRequest'
  override readonly name = 'BadReviewError'
}

/** The HTTP request itself is unusable: content type, JSON syntax, nesting depth. */
export class BadRequestError extends WebhookError {
  readonly code = 'WH_ERR_BAD_REQUEST'
  readonly statusCode = 400
  readonly reason = 'BadRequest'
  override readonly name = 'BadRequestError'
}

/** The body is larger than the webhook accepts. */
export class BodyTooLargeError extends WebhookError {
  readonly code = 'WH_ERR_BODY_TOO_LARGE'
  readonly statusCode = 413
  readonly reason = 'RequestEntityTooLarge'
  override readonly name = 'BodyTooLargeError'
}

/** The review is well formed but its object cannot be fully evaluated; answered allowed=false. */
export class UnevaluableObjectError extends WebhookError {
  readonly code = 'WH_ERR_UNEVALUABLE_OBJECT'
  readonly statusCode = 400
  readonly reason = 'BadRequest'
  override readonly name = 'UnevaluableObjectError'
}

/**
 * The request's deadline (the API server's `?timeout=`, less a margin) passed while deciding: work
 * stops at the next checkpoint and the answer is allowed=false. The API server has given up by then.
 */
export class DeadlineExceededError extends WebhookError {
  readonly code = 'WH_ERR_DEADLINE_EXCEEDED'
  readonly statusCode = 504
  readonly reason = 'Timeout'
  override readonly name = 'DeadlineExceededError'
}

/** Anything else thrown while deciding; answered allowed=false with the uid. */
export class InternalError extends WebhookError {
  readonly code = 'WH_ERR_INTERNAL'
  readonly statusCode = 500
  readonly reason = 'InternalError'
  override readonly name = 'InternalError'
}

export const ERROR_CLASSES = [BadReviewError, BadRequestError, BodyTooLargeError, UnevaluableObjectError, DeadlineExceededError, InternalError] as const
