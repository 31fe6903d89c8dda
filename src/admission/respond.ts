// The envelope of an answer, after controller-runtime's admission helpers: only complete() writes uid,
// apiVersion and kind, so no answer can leave without them; errored() is the fail-closed verdict.
import type { AdmissionApiVersion, AdmissionReview } from '../kube/types.js'
import type { WebhookError } from '../errors.js'
import type { Verdict } from '../decision/verdict.js'

/** Fails closed: allowed=false, with the error's code and reason and a message safe to show. */
export const errored = (err: WebhookError): Verdict => ({
  allowed: false,
  status: { status: 'Failure', code: err.statusCode, reason: err.reason, message: `ephemeral-guard: ${err.message}` },
})

export const complete = (apiVersion: AdmissionApiVersion, uid: string, verdict: Verdict): AdmissionReview => ({
  apiVersion,
  kind: 'AdmissionReview',
  response: { uid, ...verdict },
})
