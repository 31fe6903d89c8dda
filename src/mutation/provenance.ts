// provenance: who asked for a debug container, when, under which policy, carried in the container's
// environment (a process inside it can tell) and in audit annotations (the API audit log can tell).
//
// EPHEMERAL_GUARD_REQUESTED_BY is the requester's username from the AdmissionReview. A value the user
// wrote is overwritten by the mutating webhook, and refused by the validating webhook if it reaches it
// (the mutating webhook fails open, so while it is down a forged value would otherwise be stored).
// EPHEMERAL_GUARD_REQUESTED_AT is set once and then kept, so a reinvocation does not rewrite it; the
// audit log's own timestamps stay the authority on time. EPHEMERAL_GUARD_POLICY is `<name>@<hash>`.
import type { JsonObject, JsonValue } from '../kube/types.js'
import type { Check, Violation } from '../checks/types.js'
import { isJsonObject } from './json-patch.js'

export const REQUESTED_BY = 'EPHEMERAL_GUARD_REQUESTED_BY'
export const REQUESTED_AT = 'EPHEMERAL_GUARD_REQUESTED_AT'
export const POLICY = 'EPHEMERAL_GUARD_POLICY'
export const PROVENANCE_RULE = 'provenance'

export interface Provenance {
  readonly requestedBy: string
  /** RFC 3339 in UTC, whole seconds. */
  readonly requestedAt: string
  /** `<policy name>@<first 12 hex of the policy file's SHA-256>`. */
  readonly policy: string
}

export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z')

/** The container with the three variables set; entries of other names are kept in place. */
export function withProvenance(container: JsonObject, p: Provenance): JsonObject {
  const env = container['env']
  if (env !== undefined && env !== null && !Array.isArray(env)) return container
  const list: JsonValue[] = [...(env ?? [])]
  const named = (name: string): number[] => list.flatMap((e, i) => (isJsonObject(e) && e['name'] === name ? [i] : []))
  const set = (name: string, value: string, keep: (entry: JsonObject) => boolean): void => {
    const at = named(name)
    if (at.length === 0) list.push({ name, value })
    for (const i of at) if (!keep(list[i] as JsonObject)) list[i] = { name, value }
  }
  const exactly = (value: string) => (e: JsonObject): boolean => e['value'] === value && Object.keys(e).length === 2
  set(REQUESTED_BY, p.requestedBy, exactly(p.requestedBy))
  set(REQUESTED_AT, p.requestedAt, (e) => typeof e['value'] === 'string' && e['value'] !== '' && Object.keys(e).length === 2)
  set(POLICY, p.policy, exactly(p.policy))
  return { ...container, env: list }
}

/** The value of the first env entry named `name` with a plain value, if any. */
export function envValue(container: JsonValue, name: string): string | undefined {
  const env = isJsonObject(container) ? container['env'] : undefined
  const entry = Array.isArray(env) ? env.find((e) => isJsonObject(e) && e['name'] === name && typeof e['value'] === 'string') : undefined
  return isJsonObject(entry) ? (entry['value'] as string) : undefined
}

/**
 * Validating side: a new container's EPHEMERAL_GUARD_REQUESTED_BY must be the requester's username,
 * as a plain value. Absent is allowed (the mutating webhook may be down; it fails open).
 */
export const provenanceCheck: Check = {
  id: PROVENANCE_RULE,
  origin: 'policy',
  mode: 'enforce',
  run: ({ pod, added, requester }) => {
    const out: Violation[] = []
    for (const { index, value } of added) {
      const env = isJsonObject(value) ? value['env'] : undefined
      if (!Array.isArray(env)) continue
      env.forEach((e, j) => {
        if (!isJsonObject(e) || e['name'] !== REQUESTED_BY) return
        if (e['value'] === requester.username && e['valueFrom'] === undefined) return
        out.push({
          origin: 'policy', rule: PROVENANCE_RULE, type: 'Forbidden', containerIndex: index,
          field: `${pod.listField}[${index}].env[${j}]`,
          detail: `${REQUESTED_BY} must be the requester's username ${JSON.stringify(requester.username)}`,
        })
      })
    }
    return out
  },
}
