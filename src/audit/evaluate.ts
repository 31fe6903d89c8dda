// The dry run of a policy against ephemeral containers that already exist: each one is judged as if
// it were being added now, with the same input the webhook builds (toPodView, diffEphemeralContainers,
// CheckInput, and decision/decide.ts evaluate()), where the old pod is the pod without that container.
// Pure: the clock and the policy arrive as arguments.
//
// The requester is known only from provenance (identity.ts): with username and groups recorded, the
// container is judged exactly as the webhook would judge that requester; with a part missing, rules
// whose outcome that part could change are not decided, and a verdict that they could change is
// `unverified` (docs/design/policies-and-grants.md §7): never `deny` on an identity audit does not know.
import { evaluate } from '../decision/decide.js'
import { diffEphemeralContainers } from '../decision/new-containers.js'
import { toPodView } from '../decision/pod-view.js'
import { formatViolation } from '../decision/violations.js'
import type { CheckInput, Mode, Requester } from '../decision/types.js'
import type { JsonObject, JsonValue } from '../kube/types.js'
import { isJsonObject } from '../kube/types.js'
// The names the mutating webhook writes (policy `provenance`).
import { envValue, POLICY, REQUESTED_AT, REQUESTED_BY, REQUESTED_GROUPS } from '../decision/mutation/provenance.js'
import { parseRfc3339 } from '../time.js'
import type { CompiledRuleView } from '../policy/types.js'
import type { Policy } from '../decision/types.js'
import { identityRulesOfViews, undecidedNote, undecidedRules, type AuditRule, type KnownIdentity } from './identity.js'

/**
 * deny: an enforce rule is violated whatever the requester (the webhook would refuse it); warn/audit:
 * only rules in that mode are; unverified: the verdict depends on a part of the requester's identity
 * the container does not record.
 */
export type AuditVerdict = 'deny' | 'warn' | 'audit' | 'pass' | 'unverified' | 'exempt' | 'error'

export type ContainerState = 'running' | 'terminated' | 'waiting' | 'unknown'

/** Where a container's age comes from, best first. */
export type AgeSource = 'requested-at' | 'started-at' | 'pod-created' | 'unknown'

export interface AuditViolation {
  readonly rule: string
  readonly mode: Mode
  /** In the webhook's words, e.g. `spec.ephemeralContainers[0].securityContext.privileged: Forbidden: … (rule no-privileged)`. */
  readonly message: string
}

export interface AuditFinding {
  readonly namespace: string
  readonly pod: string
  readonly podUid: string
  readonly container: string
  /** Position in spec.ephemeralContainers: the field paths in messages use it. */
  readonly index: number
  readonly image: string
  /** Username from EPHEMERAL_GUARD_REQUESTED_BY; undefined when the container carries no provenance. */
  readonly requestedBy?: string
  /** EPHEMERAL_GUARD_REQUESTED_GROUPS split at commas, when recorded (the last may end in `…`: clipped). */
  readonly requestedGroups?: readonly string[]
  /** EPHEMERAL_GUARD_REQUESTED_AT as written, when it is an RFC 3339 time. */
  readonly requestedAt?: string
  /** EPHEMERAL_GUARD_POLICY: the policy name and hash in force when it was added. */
  readonly admittedUnder?: string
  readonly state: ContainerState
  /** The state's reason (e.g. ImagePullBackOff, Completed) and exit code, when the kubelet gave them. */
  readonly stateDetail?: string
  /** When the container was added, as far as known (see ageSource); RFC 3339. */
  readonly since?: string
  readonly ageSource: AgeSource
  readonly ageSeconds?: number
  /** True when --older-than was given and the container is at least that old: recycle the pod. */
  readonly recycle: boolean
  readonly verdict: AuditVerdict
  readonly violations: readonly AuditViolation[]
  /** Rules whose outcome depends on a part of the requester's identity the container does not record. */
  readonly unverified?: readonly string[]
  /** Why exempt, why an error, or which rules could not be decided for want of the requester. */
  readonly notes: readonly string[]
}

/** What an audit needs from a loaded policy. */
export interface AuditPolicy {
  readonly policy: Policy
  readonly rules: readonly CompiledRuleView[]
  /**
   * How each rule uses the requester's identity (identity.ts identityRules, from the documents, which
   * know the policy's exemptions); when absent, derived from `rules`, which do not.
   */
  readonly identity?: readonly AuditRule[]
}

export interface AuditOptions {
  readonly now: Date
  /** Flag containers at least this old (milliseconds); undefined: flag none. */
  readonly olderThanMs?: number
}

const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined)

/** An RFC 3339 date-time in milliseconds; undefined when absent or not one (the age is then read elsewhere). */
function timeOf(value: string | undefined): number | undefined {
  const parsed = value === undefined ? undefined : parseRfc3339(value)
  return parsed?.ok === true ? parsed.value : undefined
}

interface StatusFacts { state: ContainerState; detail?: string; startedAt?: string }

/** State from status.ephemeralContainerStatuses; a container the kubelet has not reported yet is `unknown`. */
function statusOf(pod: JsonObject, name: string): StatusFacts {
  const status = pod['status']
  const list = isJsonObject(status) ? status['ephemeralContainerStatuses'] : undefined
  const entry = Array.isArray(list) ? list.find((s) => isJsonObject(s) && s['name'] === name) : undefined
  const state = isJsonObject(entry) ? entry['state'] : undefined
  if (!isJsonObject(state)) return { state: 'unknown' }
  for (const key of ['running', 'terminated', 'waiting'] as const) {
    const s = state[key]
    if (!isJsonObject(s)) continue
    const reason = str(s['reason'])
    const exit = typeof s['exitCode'] === 'number' ? `exit ${s['exitCode']}` : undefined
    const detail = [reason, exit].filter((x) => x !== undefined).join(', ')
    const startedAt = str(s['startedAt'])
    return { state: key, ...(detail ? { detail } : {}), ...(startedAt ? { startedAt } : {}) }
  }
  return { state: 'unknown' }
}

const RANK: Readonly<Record<'deny' | 'warn' | 'audit' | 'pass', number>> = { deny: 3, warn: 2, audit: 1, pass: 0 }

function verdictOf(found: ReadonlyArray<{ mode: Mode }>): 'deny' | 'warn' | 'audit' | 'pass' {
  if (found.some((v) => v.mode === 'enforce')) return 'deny'
  if (found.some((v) => v.mode === 'warn')) return 'warn'
  return found.length > 0 ? 'audit' : 'pass'
}

/** The requester as its provenance records it: undefined parts are unknown. */
function identityOf(container: JsonObject): KnownIdentity {
  const username = envValue(container, REQUESTED_BY) || undefined
  const text = envValue(container, REQUESTED_GROUPS)
  if (text === undefined) return { ...(username !== undefined ? { username } : {}), clipped: false }
  const all = text === '' ? [] : text.split(',')
  const clipped = text.endsWith('…')
  return { ...(username !== undefined ? { username } : {}), groups: clipped ? all.slice(0, -1) : all, clipped }
}

/** Judges one pod's ephemeral containers; a pod without any gives no findings. Never throws. */
export function auditPod(item: JsonObject, policy: AuditPolicy, options: AuditOptions): AuditFinding[] {
  const metadata = isJsonObject(item['metadata']) ? item['metadata'] : {}
  const spec = isJsonObject(item['spec']) ? item['spec'] : {}
  const list = Array.isArray(spec['ephemeralContainers']) ? spec['ephemeralContainers'] : []
  if (list.length === 0) return []
  const namespace = str(metadata['namespace']) ?? ''
  const podName = str(metadata['name']) ?? ''
  const podCreated = timeOf(str(metadata['creationTimestamp']))
  const now = options.now.getTime()
  // List items carry no kind; the webhook sees a Pod.
  const pod: JsonObject = { ...item, apiVersion: 'v1', kind: 'Pod' }

  return list.map((entry, index): AuditFinding => {
    const container = isJsonObject(entry) ? entry : {}
    const name = str(container['name']) ?? ''
    const identity = identityOf(container)
    const requestedBy = identity.username
    const groupsText = envValue(container, REQUESTED_GROUPS)
    const requestedAtText = envValue(container, REQUESTED_AT)
    const requestedAt = timeOf(requestedAtText)
    const admittedUnder = envValue(container, POLICY) || undefined
    const status = statusOf(item, name)
    const startedAt = timeOf(status.startedAt)
    const [sinceMs, ageSource]: [number | undefined, AgeSource] =
      requestedAt !== undefined ? [requestedAt, 'requested-at']
        : startedAt !== undefined ? [startedAt, 'started-at']
          : podCreated !== undefined ? [podCreated, 'pod-created'] : [undefined, 'unknown']
    const ageMs = sinceMs === undefined ? undefined : Math.max(0, now - sinceMs)
    const base = {
      namespace, pod: podName, podUid: str(metadata['uid']) ?? '', container: name, index, image: str(container['image']) ?? '',
      ...(requestedBy !== undefined ? { requestedBy } : {}),
      ...(groupsText !== undefined ? { requestedGroups: groupsText === '' ? [] : groupsText.split(',') } : {}),
      ...(requestedAt !== undefined ? { requestedAt: requestedAtText! } : {}),
      ...(admittedUnder !== undefined ? { admittedUnder } : {}),
      state: status.state,
      ...(status.detail !== undefined ? { stateDetail: status.detail } : {}),
      ...(sinceMs !== undefined ? { since: new Date(sinceMs).toISOString() } : {}),
      ageSource,
      ...(ageMs !== undefined ? { ageSeconds: Math.floor(ageMs / 1000) } : {}),
      recycle: options.olderThanMs !== undefined && ageMs !== undefined && ageMs >= options.olderThanMs,
    }
    try {
      const requester: Requester = { namespace, username: requestedBy ?? '', groups: identity.groups ?? [], dryRun: false }
      // Exemptions only widen with more identity: exempt with what is known is exempt (identity.ts).
      const exempt = policy.policy.exemption(requester)
      if (exempt !== undefined) return { ...base, verdict: 'exempt', violations: [], notes: [exempt] }
      const without: JsonObject = { ...pod, spec: { ...spec, ephemeralContainers: list.filter((_, i) => i !== index) } }
      const podView = toPodView(pod, 'object')
      const oldPod = toPodView(without, 'oldObject')
      const { added, removed, changed } = diffEphemeralContainers(podView, oldPod)
      const input: CheckInput = { pod: podView, oldPod, added, removed, changed, requester }
      const { found, shown } = evaluate(policy.policy, input) // the webhook's own evaluation
      const violations = shown.map((v) => ({ rule: v.rule, mode: v.mode, message: formatViolation(v) }))
      // The verdict from every violation, as the webhook decides; the list as the webhook words it.
      const rules = policy.identity ?? identityRulesOfViews(policy.rules, found.map((v) => v.rule))
      const undecided = undecidedRules(rules, new Set(found.map((v) => v.rule)), identity, input)
      if (undecided.length === 0) return { ...base, verdict: verdictOf(found), violations, notes: [] }
      // What the known identity decides for sure, and the worst the unknown part could make of it.
      const lifted = new Set(undecided.filter((u) => u.violated).map((u) => u.rule.rule))
      const least = verdictOf(found.filter((v) => !lifted.has(v.rule)))
      const most = verdictOf([...found, ...undecided.filter((u) => !u.violated).map((u) => ({ mode: u.rule.mode }))])
      return {
        ...base,
        verdict: RANK[least] === RANK[most] ? least : 'unverified',
        violations,
        unverified: undecided.map((u) => u.rule.rule),
        notes: undecided.map((u) => undecidedNote(u, identity)),
      }
    } catch (e) {
      // Fails closed: what cannot be evaluated is reported as an error, never as a pass.
      return { ...base, verdict: 'error', violations: [], notes: [`cannot evaluate: ${(e as Error).message}`] }
    }
  })
}
