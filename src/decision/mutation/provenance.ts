// provenance: who asked for a debug container, when, under which policy, carried in the container's
// environment (a process inside it can tell) and in audit annotations (the API audit log can tell).
//
// ephemeral-guard owns every variable named EPHEMERAL_GUARD_*, today's three and any added later.
// The mutating webhook writes each of its own with its own value (every entry of that name, a
// valueFrom replaced by a value) and removes the others, so a user cannot plant one. Since that webhook
// fails open, the validating webhook (which fails closed) denies a new container whose provenance is
// forged: EPHEMERAL_GUARD_REQUESTED_BY other than the requester, EPHEMERAL_GUARD_REQUESTED_AT that is
// not an RFC 3339 time within [now - 60 s, now + 5 s] of its clock, a valueFrom on any of them, or a
// name with the prefix it does not know. Absent variables are allowed (the mutating webhook was down).
//
// EPHEMERAL_GUARD_REQUESTED_BY is the requester's username from the AdmissionReview.
// EPHEMERAL_GUARD_REQUESTED_GROUPS is userInfo.groups, comma-separated in request order, clipped at
// 2 KiB with `…` (docs/design/policies-and-grants.md §3), so audit can replay group-based rules; a
// policy turns it off with provenance.groups: false (it is then removed like any unknown name). The
// validating webhook accepts it only equal to the request's groups, whole or clipped.
// EPHEMERAL_GUARD_REQUESTED_AT is the time of the request. A reinvocation keeps a value already within
// the window, so the patched object is a fixed point; a value outside it is rewritten. The audit log's
// own timestamps stay the authority on time. EPHEMERAL_GUARD_POLICY is `<name>@<hash>`, informational:
// replicas may briefly hold different policies, so its value is not judged, only that it is a value.
import { isJsonObject, type JsonObject, type JsonValue } from '../../kube/types.js'
import { parseRfc3339 } from '../../time.js'
import { clip } from '../limits.js'

export const PREFIX = 'EPHEMERAL_GUARD_'
export const REQUESTED_BY = 'EPHEMERAL_GUARD_REQUESTED_BY'
export const REQUESTED_AT = 'EPHEMERAL_GUARD_REQUESTED_AT'
export const POLICY = 'EPHEMERAL_GUARD_POLICY'
export const REQUESTED_GROUPS = 'EPHEMERAL_GUARD_REQUESTED_GROUPS'
export const PROVENANCE_RULE = 'provenance'

/**
 * How far EPHEMERAL_GUARD_REQUESTED_AT may lie from the validating webhook's clock. Behind: the time
 * from the mutating webhook to the validating one, reinvocations and clock skew between replicas
 * (the API server's webhook timeout is at most 30 s). Ahead: clock skew only.
 */
export const REQUESTED_AT_MAX_AGE_MS = 60_000
export const REQUESTED_AT_MAX_AHEAD_MS = 5_000

/**
 * Largest EPHEMERAL_GUARD_REQUESTED_GROUPS value (JSON bytes, as decision/limits.ts clip() counts):
 * design note §3. An env value has no size limit of its own, but the pod must fit etcd's object size,
 * and a debug container needs no more than the first groups to explain itself.
 */
export const REQUESTED_GROUPS_MAX_BYTES = 2048

/** The EPHEMERAL_GUARD_REQUESTED_GROUPS value for these groups: comma-separated, clipped at 2 KiB with `…`. */
export const groupsValue = (groups: readonly string[]): string => clip(groups.join(','), REQUESTED_GROUPS_MAX_BYTES)

/** True when `value` records `groups`: the whole list, or its clipped form. */
export const groupsValid = (value: JsonValue | undefined, groups: readonly string[]): boolean =>
  typeof value === 'string' && (value === groups.join(',') || value === groupsValue(groups))

export interface Provenance {
  readonly requestedBy: string
  /** RFC 3339 in UTC, whole seconds: the time of the request. */
  readonly requestedAt: string
  /** `<policy name>@<first 12 hex of the policy file's SHA-256>`. */
  readonly policy: string
  /** groupsValue(userInfo.groups); undefined when the policy does not record groups. */
  readonly groups?: string
}


/**
 * How old a REQUESTED_AT the mutation keeps on reinvocation: half the validating window, so a kept
 * value still passes the validating webhook, which the API server calls within the same request
 * (webhook timeouts are at most 30 s).
 */
export const REQUESTED_AT_KEEP_MS = 30_000

/** True when `value` is an RFC 3339 time within [now - maxAgeMs (default 60 s), now + 5 s]. */
export function requestedAtValid(value: JsonValue | undefined, now: Date, maxAgeMs = REQUESTED_AT_MAX_AGE_MS): boolean {
  const ms = typeof value === 'string' ? parseRfc3339(value) : undefined
  return ms?.ok === true && ms.value >= now.getTime() - maxAgeMs && ms.value <= now.getTime() + REQUESTED_AT_MAX_AHEAD_MS
}

const plainValue = (e: JsonObject): boolean => typeof e['value'] === 'string' && Object.keys(e).length === 2

/**
 * The container with ephemeral-guard's variables set: every entry of an owned name becomes
 * `{name, value}` in place (a REQUESTED_AT at most REQUESTED_AT_KEEP_MS old is kept), owned names not yet
 * there are appended, other EPHEMERAL_GUARD_ names are removed; entries of other names are kept.
 */
export function withProvenance(container: JsonObject, p: Provenance): JsonObject {
  const env = container['env']
  if (env !== undefined && env !== null && !Array.isArray(env)) return container
  const now = new Date(Date.parse(p.requestedAt))
  const values = new Map([[REQUESTED_BY, p.requestedBy], [REQUESTED_AT, p.requestedAt], [POLICY, p.policy], ...(p.groups === undefined ? [] : [[REQUESTED_GROUPS, p.groups] as const])])
  const seen = new Set<string>()
  const list: JsonValue[] = []
  for (const e of env ?? []) {
    const name = isJsonObject(e) ? e['name'] : undefined
    if (typeof name !== 'string' || !name.startsWith(PREFIX)) {
      list.push(e)
      continue
    }
    const value = values.get(name)
    if (value === undefined) continue // a name ephemeral-guard does not know: removed
    seen.add(name)
    const entry = e as JsonObject
    const keep = plainValue(entry) && (name === REQUESTED_AT ? requestedAtValid(entry['value'], now, REQUESTED_AT_KEEP_MS) : entry['value'] === value)
    list.push(keep ? entry : { name, value })
  }
  for (const [name, value] of values) if (!seen.has(name)) list.push({ name, value })
  return { ...container, env: list }
}

/** The value of the first env entry named `name` with a plain value, if any. */
export function envValue(container: JsonValue, name: string): string | undefined {
  const env = isJsonObject(container) ? container['env'] : undefined
  const entry = Array.isArray(env) ? env.find((e) => isJsonObject(e) && e['name'] === name && typeof e['value'] === 'string') : undefined
  return isJsonObject(entry) ? (entry['value'] as string) : undefined
}
