// Verdict builders, after controller-runtime's admission helpers: a decision is one of these, the
// response minus what the envelope adds (admission/respond.ts: uid, apiVersion, kind).
import type { AdmissionResponse, StatusDetailsCause } from '../kube/types.js'
import type { Violation } from './types.js'
import type { JsonPatchOperation } from './mutation/json-patch.js'
import { clip, jsonBytes, LISTED_TEXT_MAX_BYTES, MAX_LISTED_VIOLATIONS, VIOLATION_TEXT_MAX_BYTES } from './limits.js'
import { aggregateMessage, fieldMessage, violationBody } from './violations.js'

export type Verdict = Omit<AdmissionResponse, 'uid'>

// Kubernetes drops warnings past 4096 characters in total and may cut one past 256
// (k8s.io/apiserver/pkg/warning, admission webhook docs); stay inside both, counted in JSON bytes
// (never fewer than characters), which also bounds the reply (limits.ts).
const WARNING_MAX = 256
const WARNINGS_TOTAL_MAX = 4096

/** Warnings within Kubernetes' limits; reads `messages` only as far as they fit. */
export function boundedWarnings(messages: Iterable<string>): string[] {
  const out: string[] = []
  let total = 0
  for (const m of messages) {
    const w = clip(m, WARNING_MAX + 2)
    const bytes = jsonBytes(w) - 2
    if (total + bytes > WARNINGS_TOTAL_MAX) break
    total += bytes
    out.push(w)
  }
  return out
}

export const allowed = (warnings: Iterable<string> = []): Verdict => {
  const bounded = boundedWarnings(warnings)
  return bounded.length > 0 ? { allowed: true, warnings: bounded } : { allowed: true }
}

/**
 * Denies with the violations, already ordered: 422 Invalid if Kubernetes would refuse, else 403.
 * Lists at most MAX_LISTED_VIOLATIONS, each clipped, while message and causes fit in
 * LISTED_TEXT_MAX_BYTES (the first always), and counts the rest: `[a, b, …, and 12 more]`.
 */
export function denied(ordered: readonly Violation[], podName: string): Verdict {
  const invalid = ordered.some((v) => v.origin === 'kubernetes')
  const parts: string[] = []
  const causes: StatusDetailsCause[] = []
  let used = 0
  for (const v of ordered) {
    if (parts.length === MAX_LISTED_VIOLATIONS) break
    const body = violationBody(v)
    const part = clip(fieldMessage(v.field, body), VIOLATION_TEXT_MAX_BYTES)
    const cause = { reason: `FieldValue${v.type}`, message: clip(body, VIOLATION_TEXT_MAX_BYTES), field: clip(v.field, VIOLATION_TEXT_MAX_BYTES) }
    // The part, its separator, the cause and its keys and punctuation.
    const cost = jsonBytes(part) + 2 + jsonBytes(cause.reason) + jsonBytes(cause.message) + jsonBytes(cause.field) + 32
    if (parts.length > 0 && used + cost > LISTED_TEXT_MAX_BYTES) break
    used += cost
    parts.push(part)
    causes.push(cause)
  }
  const more = ordered.length - parts.length
  if (more > 0) parts.push(`and ${more} more`)
  return {
    allowed: false,
    status: {
      status: 'Failure',
      code: invalid ? 422 : 403,
      reason: invalid ? 'Invalid' : 'Forbidden',
      message: aggregateMessage(parts),
      details: { name: podName, kind: 'pods', causes },
    },
  }
}

/** Allows with a JSON Patch; patch and patchType appear together or not at all. */
export function patched(ops: readonly JsonPatchOperation[], warnings: Iterable<string> = []): Verdict {
  const base = allowed(warnings)
  return ops.length === 0 ? base : { ...base, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') }
}

