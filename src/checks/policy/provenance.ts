// provenance: the EPHEMERAL_GUARD_ variables of a new container are ephemeral-guard's own, as the
// mutating webhook writes them (decision/mutation/provenance.ts). A policy check, enforced whenever
// the policy turns provenance on. EPHEMERAL_GUARD_REQUESTED_GROUPS, when present, must be the
// request's groups (whole, or clipped as the mutating webhook clips them), whether or not the policy
// records groups: a true value forges nothing.
import type { JsonObject } from '../../kube/types.js'
import type { Check, Requester, Violation } from '../../decision/types.js'
import {
  groupsValid, groupsValue, POLICY, PREFIX, PROVENANCE_RULE, REQUESTED_AT, REQUESTED_AT_MAX_AGE_MS, REQUESTED_AT_MAX_AHEAD_MS, REQUESTED_BY, REQUESTED_GROUPS, requestedAtValid,
} from '../../decision/mutation/provenance.js'
import { isJsonObject } from '../../kube/types.js'
import { formatRfc3339 } from '../../time.js'

/** Why an EPHEMERAL_GUARD_ entry of a new container is forged, or undefined. */
function forgery(e: JsonObject, name: string, requester: Requester, now: Date | undefined): string | undefined {
  const username = requester.username
  if (name !== REQUESTED_BY && name !== REQUESTED_AT && name !== POLICY && name !== REQUESTED_GROUPS) return `${name} is not a variable of ephemeral-guard, which reserves the ${PREFIX} prefix`
  if (e['valueFrom'] !== undefined) return `${name} must be a value set by ephemeral-guard, not valueFrom`
  if (name === REQUESTED_BY && e['value'] !== username) return `${REQUESTED_BY} must be the requester's username ${JSON.stringify(username)}`
  if (name === REQUESTED_AT && now !== undefined && !requestedAtValid(e['value'], now)) {
    return `${REQUESTED_AT} must be the time of the request: RFC 3339, at most ${REQUESTED_AT_MAX_AGE_MS / 1000} s before and ${REQUESTED_AT_MAX_AHEAD_MS / 1000} s after ${formatRfc3339(now)}`
  }
  // Audit (no `now`) builds the requester from these very variables: there is nothing to compare.
  if (name === REQUESTED_GROUPS && now !== undefined && !groupsValid(e['value'], requester.groups)) {
    return `${REQUESTED_GROUPS} must be the requester's groups, comma-separated in request order: ${JSON.stringify(groupsValue(requester.groups))}`
  }
  return undefined
}

/** True when env holds plain entries for all three of ephemeral-guard's variables. */
const carriesProvenance = (env: unknown): boolean => Array.isArray(env) &&
  [REQUESTED_BY, REQUESTED_AT, POLICY].every((name) => env.some((e) => isJsonObject(e) && e['name'] === name && typeof e['value'] === 'string'))

/**
 * Validating side: the EPHEMERAL_GUARD_ variables of a new container are ephemeral-guard's, as the
 * mutating webhook writes them. Absent is allowed (the mutating webhook may be down; it fails open),
 * except next to envFrom: a ConfigMap or Secret could then supply them (an env entry overrides
 * envFrom, so once the mutating webhook has written all three, envFrom cannot). The time window
 * applies when the input has the time of the request (admission), not to containers admitted
 * earlier (audit), whose timestamps are history.
 */
export const provenanceCheck: Check = {
  id: PROVENANCE_RULE,
  origin: 'policy',
  mode: 'enforce',
  run: ({ pod, added, requester, now }) => {
    const out: Violation[] = []
    for (const { index, value } of added) {
      const env = isJsonObject(value) ? value['env'] : undefined
      if (!Array.isArray(env)) continue
      env.forEach((e, j) => {
        const name = isJsonObject(e) ? e['name'] : undefined
        if (typeof name !== 'string' || !name.startsWith(PREFIX)) return
        const detail = forgery(e as JsonObject, name, requester, now)
        if (detail === undefined) return
        out.push({ origin: 'policy', rule: PROVENANCE_RULE, type: 'Forbidden', containerIndex: index, field: `${pod.listField}[${index}].env[${j}]`, detail })
      })
    }
    for (const { index, value } of added) {
      const envFrom = isJsonObject(value) ? value['envFrom'] : undefined
      if (!Array.isArray(envFrom) || envFrom.length === 0 || carriesProvenance(isJsonObject(value) ? value['env'] : undefined)) continue
      out.push({
        origin: 'policy', rule: PROVENANCE_RULE, type: 'Forbidden', containerIndex: index, field: `${pod.listField}[${index}].envFrom`,
        detail: `could supply ${PREFIX} variables: a container with envFrom must carry ephemeral-guard's own ${REQUESTED_BY}, ${REQUESTED_AT} and ${POLICY} (the mutating webhook did not run)`,
      })
    }
    return out
  },
}
