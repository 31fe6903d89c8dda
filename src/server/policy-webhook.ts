// The policy validating webhook (POST /validate-policy, registered as policies.ephemeral-guard.dev,
// failurePolicy Ignore: docs/design/policies-and-grants.md §5): CREATE and UPDATE of
// EphemeralContainerPolicy and DebugPolicy objects.
//
// - An invalid object is refused, 422 Invalid, with every problem in `policy check`'s words
//   (validatePolicyObject), in the message and one cause each, bounded as denials are (limits.ts).
// - A cluster policy that defines spec.mutations while another, older, servable one does is refused,
//   403 with reason ConflictingMutations (§2); this needs the cluster's policies (serve
//   --cluster-policies): without them only the object itself is judged.
// - Status writes (subresource `status`: the controller's) are always allowed, and so is an UPDATE that
//   leaves the spec as it was (labels, annotations, finalizers of an object that slipped in).
// A review that is not one (no uid, wrong envelope) is a 400, as on the other routes; an object that
// is not an object is refused with 400 BadRequest in the review.
import { isDeepStrictEqual } from 'node:util'
import { decodeReview } from '../admission/decode.js'
import { complete, errored } from '../admission/respond.js'
import { clip, jsonBytes, LISTED_TEXT_MAX_BYTES, MAX_LISTED_VIOLATIONS, VIOLATION_TEXT_MAX_BYTES } from '../decision/limits.js'
import { allowed, type Verdict } from '../decision/verdict.js'
import { BadReviewError } from '../errors.js'
import { isJsonObject, type AdmissionReview, type JsonObject, type StatusDetailsCause } from '../kube/types.js'
import type { MutationsHolder } from '../policy/cluster-source.js'
import { validatePolicyObject } from '../policy/load.js'
import { POLICY_GROUP } from '../policy/policy-objects.js'

const POLICY_KINDS = new Set(['EphemeralContainerPolicy', 'DebugPolicy'])

/** What the log line says of one policy review. */
export interface PolicyReviewSummary {
  readonly uid: string
  readonly kind: string
  readonly namespace?: string
  readonly name?: string
  readonly operation: string
  readonly user?: string
  readonly dryRun: boolean
  readonly decision: 'allowed' | 'denied'
  /** Why: Invalid, ConflictingMutations, BadRequest; status-only, spec-unchanged, not-judged for allowed ones. */
  readonly reason: string
  readonly problems: number
}

/** The path of a problem (`spec.rules[0].name: …` → `spec.rules[0].name`), or undefined. */
const fieldOf = (problem: string): string | undefined => /^((?:spec|metadata|apiVersion|kind)[^\s:]*|\(document\)): /.exec(problem)?.[1]

/**
 * Every problem, bounded: at most MAX_LISTED_VIOLATIONS, each clipped to VIOLATION_TEXT_MAX_BYTES,
 * while message and causes fit in LISTED_TEXT_MAX_BYTES (the first always); the rest counted. A cause
 * carries the path as `field` and the rest as `message`, as the API server's own validation does:
 * kubectl prints an Invalid error from its causes, `* field: message`, one a line.
 */
export function invalidVerdict(kind: string, name: string, problems: readonly string[]): Verdict {
  const listed: string[] = []
  const causes: StatusDetailsCause[] = []
  let bytes = 0
  for (const p of problems) {
    if (listed.length === MAX_LISTED_VIOLATIONS) break
    const text = clip(p, VIOLATION_TEXT_MAX_BYTES)
    const field = fieldOf(p)
    const cost = 2 * jsonBytes(text) + (field === undefined ? 0 : jsonBytes(field)) + 64
    if (listed.length > 0 && bytes + cost > LISTED_TEXT_MAX_BYTES) break
    bytes += cost
    listed.push(text)
    causes.push(field === undefined ? { reason: 'FieldValueInvalid', message: text } : { reason: 'FieldValueInvalid', message: text.slice(field.length + 2), field })
  }
  const more = problems.length - listed.length
  if (more > 0) causes.push({ reason: 'FieldValueInvalid', message: `and ${more} more` })
  const all = more > 0 ? [...listed, `and ${more} more`] : listed
  return {
    allowed: false,
    status: {
      status: 'Failure',
      code: 422,
      reason: 'Invalid',
      message: `${kind} ${JSON.stringify(name)} is invalid: ${all.length === 1 ? all[0] : `[${all.join(', ')}]`}`,
      details: { name, kind, causes },
    },
  }
}

const conflictVerdict = (name: string, holder: MutationsHolder): Verdict => ({
  allowed: false,
  status: {
    status: 'Failure',
    code: 403,
    reason: 'ConflictingMutations',
    message: `EphemeralContainerPolicy ${JSON.stringify(name)} defines spec.mutations, and so does the older EphemeralContainerPolicy ${JSON.stringify(holder.name)}: at most one cluster policy may define them (remove them from one of the two)`,
    details: { name, kind: 'EphemeralContainerPolicy', causes: [{ reason: 'FieldValueForbidden', field: 'spec.mutations', message: `already defined by EphemeralContainerPolicy ${JSON.stringify(holder.name)}` }] },
  },
})

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** Older by creationTimestamp, then by name, as combinePolicies orders the claim on spec.mutations. */
const olderThan = (h: MutationsHolder, createdAt: string, name: string): boolean =>
  h.createdAt < createdAt || (h.createdAt === createdAt && h.name < name)

/**
 * Answers one policy AdmissionReview. `holders` are the cluster's servable policies that define
 * spec.mutations (undefined without --cluster-policies: the object alone is judged). Throws
 * BadReviewError for a body that is not a review (the route answers 400).
 */
export function answerPolicyReview(body: unknown, holders?: () => readonly MutationsHolder[]): { review: AdmissionReview; summary: PolicyReviewSummary } {
  const { apiVersion, request: r } = decodeReview(body)
  const object = r.object
  const meta = isJsonObject(object) && isJsonObject(object['metadata']) ? object['metadata'] : {}
  const name = str(meta['name']) ?? r.name ?? ''
  const namespace = str(meta['namespace']) ?? r.namespace
  const base = {
    uid: r.uid, kind: r.kind.kind, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}), operation: r.operation,
    ...(r.userInfo?.username !== undefined ? { user: r.userInfo.username } : {}), dryRun: r.dryRun === true,
  }
  const answer = (verdict: Verdict, reason: string, problems = 0) => ({
    review: complete(apiVersion, r.uid, verdict),
    summary: { ...base, decision: verdict.allowed ? 'allowed' as const : 'denied' as const, reason, problems },
  })
  if (r.subResource !== undefined && r.subResource !== '') return answer(allowed(), `subresource ${r.subResource}`)
  if (r.operation !== 'CREATE' && r.operation !== 'UPDATE') return answer(allowed(), 'not-judged')
  if (r.kind.group !== POLICY_GROUP || !POLICY_KINDS.has(r.kind.kind)) {
    return answer(errored(new BadReviewError(`the policy webhook judges EphemeralContainerPolicy and DebugPolicy of ${POLICY_GROUP}, not ${r.kind.group ?? ''}/${r.kind.kind}`)), 'BadRequest')
  }
  if (!isJsonObject(object)) return answer(errored(new BadReviewError(`request.object must be a ${r.kind.kind} object`)), 'BadRequest')
  const old = r.oldObject
  if (r.operation === 'UPDATE' && isJsonObject(old) && isDeepStrictEqual(old['spec'], object['spec'])) return answer(allowed(), 'spec-unchanged')
  // The kind judged is the review's: an object claiming another kind is judged as what it is stored as.
  const judged: JsonObject = { ...object, kind: r.kind.kind }
  const { problems } = validatePolicyObject(judged, namespace === undefined ? name : `${namespace}/${name}`)
  if (problems.length > 0) return answer(invalidVerdict(r.kind.kind, name, problems), 'Invalid', problems.length)
  if (r.kind.kind === 'EphemeralContainerPolicy' && holders !== undefined && isJsonObject(object['spec']) && object['spec']['mutations'] !== undefined) {
    const uid = str(meta['uid'])
    const createdAt = str(meta['creationTimestamp']) ?? ''
    const holder = holders().find((h) => h.uid !== uid && h.name !== name && (r.operation === 'CREATE' || createdAt === '' || olderThan(h, createdAt, name)))
    if (holder !== undefined) return answer(conflictVerdict(name, holder), 'ConflictingMutations', 1)
  }
  return answer(allowed(), 'valid')
}
