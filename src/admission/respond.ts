// Response builders, after controller-runtime's admission helpers. Only these create responses, and
// only complete() writes uid, apiVersion and kind, so no answer can leave without them.
import type { AdmissionApiVersion, AdmissionResponse, AdmissionReview } from '../kube/types.js'
import type { Violation } from '../checks/types.js'
import type { WebhookError } from './errors.js'
import type { JsonPatchOperation } from '../mutation/json-patch.js'
import { aggregateMessage, formatViolation } from './violations.js'

export type Verdict = Omit<AdmissionResponse, 'uid'>

// Kubernetes drops warnings past 4096 characters in total and may cut one past 256
// (k8s.io/apiserver/pkg/warning, admission webhook docs); stay inside both.
const WARNING_MAX = 256
const WARNINGS_TOTAL_MAX = 4096

export function boundedWarnings(messages: readonly string[]): string[] {
  const out: string[] = []
  let total = 0
  for (const m of messages) {
    const w = m.length > WARNING_MAX ? `${m.slice(0, WARNING_MAX - 1)}…` : m
    if (total + w.length > WARNINGS_TOTAL_MAX) break
    total += w.length
    out.push(w)
  }
  return out
}

export const allowed = (warnings: readonly string[] = []): Verdict =>
  warnings.length > 0 ? { allowed: true, warnings: boundedWarnings(warnings) } : { allowed: true }

/** Denies with every violation, already ordered: 422 Invalid if Kubernetes would refuse, else 403. */
export function denied(ordered: readonly Violation[], podName: string): Verdict {
  const invalid = ordered.some((v) => v.origin === 'kubernetes')
  return {
    allowed: false,
    status: {
      status: 'Failure',
      code: invalid ? 422 : 403,
      reason: invalid ? 'Invalid' : 'Forbidden',
      message: aggregateMessage(ordered),
      details: {
        name: podName,
        kind: 'pods',
        causes: ordered.map((v) => ({ reason: `FieldValue${v.type}`, message: formatViolation(v).slice(v.field.length + 2), field: v.field })),
      },
    },
  }
}

/** Allows with a JSON Patch; patch and patchType appear together or not at all. */
export function patched(ops: readonly JsonPatchOperation[], warnings: readonly string[] = []): Verdict {
  const base = allowed(warnings)
  return ops.length === 0 ? base : { ...base, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') }
}

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
