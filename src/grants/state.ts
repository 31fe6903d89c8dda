// A grant's state, computed from the grant, its approvals, the approvals required and the time: never
// read from the grant's status (a display), never from a field the client writes. Only approvals of
// this grant object (its uid: not one deleted and created again under the same name) and of its
// current generation count (any change to the spec bumps it and voids earlier ones), only by
// approvers other than the requester, each approver once. The grant is active from the moment the
// approval that completed the count was created (its creationTimestamp, set by the API server) for its
// duration.
import { parseDuration } from '../duration.js'
import { formatRfc3339, parseRfc3339 } from '../time.js'
import type { DebugGrant, DebugGrantApproval } from './types.js'

export type GrantStateName = 'Pending' | 'Active' | 'Expired' | 'Revoked'

export interface GrantState {
  readonly state: GrantStateName
  /** Approvals that count, and by whom, in the order they were created. */
  readonly approvals: number
  readonly approvedBy: readonly string[]
  /** RFC 3339; set once the count was reached. */
  readonly activeFrom?: string
  readonly expiresAt?: string
  /** Why the grant is not Active, for messages. */
  readonly why?: string
}

interface Counted { readonly approver: string; readonly at: number; readonly name: string }

/** The approvals that count toward `grant`, oldest first (then by name), each approver once. */
export function countedApprovals(grant: DebugGrant, approvals: readonly DebugGrantApproval[]): Counted[] {
  const requester = grant.spec.requestedBy
  const generation = grant.metadata.generation
  const candidates: Counted[] = []
  for (const a of approvals) {
    const approver = a.spec.approver
    if (a.spec.grant !== grant.metadata.name || a.spec.generation !== generation) continue
    if (grant.metadata.uid === undefined || a.spec.grantUID !== grant.metadata.uid) continue
    if (a.metadata.namespace !== grant.metadata.namespace) continue
    if (approver === undefined || approver === '' || approver === requester) continue
    const at = a.metadata.creationTimestamp === undefined ? undefined : parseRfc3339(a.metadata.creationTimestamp)
    if (at === undefined || !at.ok) continue // not ordered in time: never counts
    candidates.push({ approver, at: at.value, name: a.metadata.name })
  }
  candidates.sort((x, y) => x.at - y.at || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
  const seen = new Set<string>()
  return candidates.filter((c) => !seen.has(c.approver) && seen.add(c.approver) !== undefined)
}

/**
 * The state at `now`. `required` approvals (from policy) activate the grant; with 0 it is active from
 * its own creation. A grant without a stamped requester or generation, or with a duration that does
 * not parse, is never active (fail closed).
 */
export function grantState(grant: DebugGrant, approvals: readonly DebugGrantApproval[], required: number, now: Date): GrantState {
  const counted = countedApprovals(grant, approvals)
  const base = { approvals: counted.length, approvedBy: counted.map((c) => c.approver) }
  if (grant.spec.revoked === true) return { state: 'Revoked', ...base, why: `grant ${grant.metadata.name} was revoked` }
  if (grant.spec.requestedBy === undefined || grant.metadata.generation === undefined) {
    return { state: 'Pending', ...base, why: `grant ${grant.metadata.name} has no requester stamped by the grant webhook` }
  }
  const duration = parseDuration(grant.spec.duration)
  if (!duration.ok) return { state: 'Pending', ...base, why: `grant ${grant.metadata.name}: ${duration.error}` }
  let from: number
  if (required <= 0) {
    const created = grant.metadata.creationTimestamp === undefined ? undefined : parseRfc3339(grant.metadata.creationTimestamp)
    if (created === undefined || !created.ok) return { state: 'Pending', ...base, why: `grant ${grant.metadata.name} has no creation time` }
    from = created.value
  } else if (counted.length < required) {
    return { state: 'Pending', ...base, why: `grant ${grant.metadata.name} has ${counted.length} of ${required} approval${required === 1 ? '' : 's'} for generation ${grant.metadata.generation}` }
  } else {
    from = counted[required - 1]!.at
  }
  // Whole seconds, as creationTimestamp: a fraction of the duration is rounded down.
  const until = from + Math.floor(duration.value / 1000) * 1000
  const times = { activeFrom: formatRfc3339(new Date(from)), expiresAt: formatRfc3339(new Date(until)) }
  if (now.getTime() >= until) return { state: 'Expired', ...base, ...times, why: `grant ${grant.metadata.name} expired at ${times.expiresAt}` }
  return { state: 'Active', ...base, ...times }
}
