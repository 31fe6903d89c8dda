// The decision: a pure function of the request, the policy and the context, for either webhook. It
// reads the clock only through the context (the real one when the context has none) and does no I/O.
// A request it cannot fully judge throws an error of the catalogue; admission/admit.ts turns every
// throw, a bug's included, into a fail-closed answer.
import type { AdmissionRequest } from '../kube/types.js'
import type { CheckInput, DecisionContext, DecisionSummary, Mode, ModedViolation, Policy, Requester, RuleHit, Violation, Webhook } from './types.js'
import { mutationVerdict } from './mutate.js'
import { DeadlineExceededError } from '../errors.js'
import { AUDIT_TEXT_MAX_BYTES, clip, countValues, DEFAULT_MAX_NEW_CONTAINERS, jsonBytes, MAX_NEW_CONTAINER_VALUES, MAX_NEW_CONTAINER_VALUES_RULE, MAX_NEW_CONTAINERS_RULE } from './limits.js'
import { assertDecodable } from './decodable.js'
import { diffEphemeralContainers } from './new-containers.js'
import { toPodView, type PodView } from './pod-view.js'
import { allowed, boundedWarnings, denied, type Verdict } from './verdict.js'
import { formatted, formatViolation, orderViolations, sortViolations } from './violations.js'

/** True for what `kubectl debug` sends: UPDATE of the core pods/ephemeralcontainers subresource. */
export const isEphemeralContainersUpdate = (r: AdmissionRequest): boolean =>
  r.operation === 'UPDATE' && (r.resource.group ?? '') === '' && r.resource.resource === 'pods' && r.subResource === 'ephemeralcontainers'

/** Audit annotation values are kept short; the API audit log is not a report store. */
const AUDIT_VALUE_MAX = 1024

function requesterOf(request: AdmissionRequest, namespace: string): Requester {
  return {
    namespace: request.namespace ?? namespace,
    username: request.userInfo?.username ?? '',
    groups: request.userInfo?.groups ?? [],
    dryRun: request.dryRun === true,
  }
}

/**
 * Audit-mode violations as auditAnnotations, one key per rule (the API server stores them as
 * `<webhook name>/<rule>`; rule names are DNS-1123 labels, so the keys are valid qualified names).
 * Each value is clipped to AUDIT_VALUE_MAX and all of them to AUDIT_TEXT_MAX_BYTES; a full value
 * formats no more messages.
 */
function auditAnnotations(violations: readonly Violation[]): Record<string, string> | undefined {
  if (violations.length === 0) return undefined
  const values = new Map<string, string>()
  const full = new Set<string>()
  for (const v of violations) {
    if (full.has(v.rule)) continue
    const before = values.get(v.rule)
    const message = formatViolation(v)
    const value = clip(before === undefined ? message : `${before}; ${message}`, AUDIT_VALUE_MAX)
    if (value.endsWith('…')) full.add(v.rule)
    values.set(v.rule, value)
  }
  // As many rules as fit, in message order (each is still in the decision log line).
  const out: Record<string, string> = {}
  let total = 0
  for (const [rule, value] of values) {
    total += jsonBytes(rule) + jsonBytes(value) + 2
    if (total > AUDIT_TEXT_MAX_BYTES) break
    out[rule] = value
  }
  return out
}

/** What the policy's checks found in one request. */
export interface Evaluation {
  /** Every violation, with the mode of the check that found it, in check order: decisions read these. */
  readonly found: readonly ModedViolation[]
  /** The same for display: in message order, without what another of a mode at least as strong says. */
  readonly shown: readonly ModedViolation[]
}

/**
 * Runs every check of the policy; enforcement is decided per rule from `found`, never from `shown`.
 * `checkpoint` runs before Kubernetes' checks (once: together they take microseconds per container)
 * and before each policy check, and may throw to stop the work (the deadline).
 */
export function evaluate(policy: Policy, input: CheckInput, checkpoint: () => void = () => {}): Evaluation {
  const found: ModedViolation[] = []
  // Kubernetes validates the whole new pod, so every ephemeral container of the list, existing ones
  // included (validateEphemeralContainers); the policy judges only the new ones.
  let whole: CheckInput | undefined
  for (const check of policy.checks) {
    let judged = input
    if (check.origin === 'kubernetes') {
      if (whole === undefined) {
        checkpoint()
        whole = { ...input, added: input.pod.ephemeralContainers.map((value, index) => ({ index, value })) }
      }
      judged = whole
    } else {
      checkpoint()
    }
    const violations = check.run(judged)
    for (let i = 0; i < violations.length; i++) found.push({ ...violations[i]!, mode: check.mode })
  }
  return { found, shown: found.length === 0 ? [] : orderViolations(found) }
}

/** Throws DeadlineExceededError once the context's deadline has passed. */
function deadlineCheck(context: DecisionContext): () => void {
  const { deadline } = context
  if (deadline === undefined) return () => {}
  const clock = context.now
  return () => {
    const now = clock === undefined ? Date.now() : clock().getTime()
    if (now >= deadline) throw new DeadlineExceededError(`the request's deadline passed ${now - deadline} ms ago while deciding; work stopped and the request is refused`)
  }
}

/** A request denied before any container is judged: too many new containers, or too large ones. */
function tooLarge(rule: string, pod: PodView, detail: string): ModedViolation {
  return { origin: 'policy', rule, mode: 'enforce', field: pod.listField, type: 'Forbidden', containerIndex: -1, detail }
}

/** Rules violated, in message order, each once, with their modes. */
function rulesOf(found: readonly ModedViolation[]): RuleHit[] {
  const seen = new Set<string>()
  const hits: RuleHit[] = []
  for (const v of sortViolations(found)) {
    if (seen.has(v.rule)) continue
    seen.add(v.rule)
    hits.push({ rule: v.rule, mode: v.mode })
  }
  return hits
}

/** The verdict of one webhook on one request, and what it was for logs and metrics. */
export function decide(request: AdmissionRequest, webhook: Webhook, policy: Policy, context: DecisionContext = {}): { verdict: Verdict; summary: DecisionSummary } {
  if (!isEphemeralContainersUpdate(request)) {
    const what = `${request.operation} ${request.resource.resource}${request.subResource ? `/${request.subResource}` : ''}`
    return { verdict: allowed(), summary: { outcome: 'skipped', rules: [], note: `not an UPDATE of pods/ephemeralcontainers: ${what}` } }
  }
  const pod = toPodView(request.object, 'object')
  const oldPod = toPodView(request.oldObject, 'oldObject')
  assertDecodable(pod.ephemeralContainers, pod.listField)
  const requester = requesterOf(request, pod.namespace)
  const exempt = policy.exemption(requester)
  if (exempt !== undefined) return { verdict: allowed(), summary: { outcome: 'exempt', rules: [], note: exempt } }

  const checkpoint = deadlineCheck(context)
  checkpoint()
  const { added, removed, changed } = diffEphemeralContainers(pod, oldPod)
  // Bounded work (finding 2): beyond these, not one container is judged. A 403 under a policy rule:
  // Kubernetes admits such requests.
  const max = policy.limits?.maxNewContainers ?? DEFAULT_MAX_NEW_CONTAINERS
  const values = added.length > max ? 0 : countValues(added.map((a) => a.value), MAX_NEW_CONTAINER_VALUES)
  const over = added.length > max
    ? tooLarge(MAX_NEW_CONTAINERS_RULE, pod, `at most ${max} new ephemeral containers per request; this request adds ${added.length}, none of them judged`)
    : values > MAX_NEW_CONTAINER_VALUES
      ? tooLarge(MAX_NEW_CONTAINER_VALUES_RULE, pod, `at most ${MAX_NEW_CONTAINER_VALUES} JSON values in the new ephemeral containers of a request; this request has more, none of them judged`)
      : undefined
  if (over !== undefined) {
    const summary: DecisionSummary = { outcome: 'denied', rules: [{ rule: over.rule, mode: 'enforce' }] }
    if (webhook === 'mutate') return { verdict: allowed(), summary: { ...summary, outcome: 'allowed' } } // the validating webhook denies it
    return { verdict: denied([over], request.name ?? pod.name), summary }
  }
  const input = { pod, oldPod, added, removed, changed, requester, now: context.now?.() ?? new Date() }
  const { found, shown } = evaluate(policy, input, checkpoint)
  const rules = rulesOf(found)
  // Decided per rule, from every violation of an enforce-mode check; `shown` only words the answer.
  const denies = found.some((v) => v.mode === 'enforce')
  const inMode = (mode: Mode) => shown.filter((v) => v.mode === mode)
  const enforced = inMode('enforce')

  if (webhook === 'mutate') {
    // Denial is the validating webhook's job, and so is saying why: one message per violation.
    checkpoint()
    const verdict = mutationVerdict(input, policy, context)
    return { verdict, summary: { outcome: verdict.patch ? 'patched' : 'allowed', rules } }
  }
  checkpoint()
  const warnings = boundedWarnings(formatted(inMode('warn')))
  const audit = auditAnnotations(inMode('audit'))
  const base = denies ? denied(enforced, request.name ?? pod.name) : allowed()
  const verdict: Verdict = {
    ...base,
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(audit ? { auditAnnotations: audit } : {}),
  }
  return { verdict, summary: { outcome: denies ? 'denied' : 'allowed', rules } }
}
