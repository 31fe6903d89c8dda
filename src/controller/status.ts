// The status the controller writes on a policy object (docs/design/policies-and-grants.md §6), from
// what PolicyObjects says of it: observedGeneration, hash, rules, conditions Ready and Serving, and
// lastGood (a copy of the spec last found valid, kept while the spec is invalid). Pure: the time
// arrives as an argument; a condition keeps its lastTransitionTime while its status stays the same.
import type { JsonObject, JsonValue } from '../kube/types.js'
import { isJsonObject } from '../kube/types.js'
import type { PolicyObjectState } from '../policy/policy-objects.js'
import type { PolicyRef } from '../policy/policy-set.js'

/** metav1.Condition's message limit. */
export const MESSAGE_MAX = 32_768

export interface Condition {
  readonly type: string
  readonly status: 'True' | 'False'
  readonly observedGeneration: number
  readonly lastTransitionTime: string
  readonly reason: string
  readonly message: string
}

const clip = (s: string): string => (s.length <= MESSAGE_MAX ? s : `${s.slice(0, MESSAGE_MAX - 1)}…`)

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

/** The number of rules the spec lists (what `kubectl get` shows), also for an invalid spec. */
function rulesOf(obj: JsonObject): number {
  const spec = obj['spec']
  return isJsonObject(spec) && Array.isArray(spec['rules']) ? spec['rules'].length : 0
}

const conditionsOf = (status: JsonValue | undefined): JsonObject[] =>
  isJsonObject(status) && Array.isArray(status['conditions']) ? status['conditions'].filter(isJsonObject) : []

/** `condition` with the old lastTransitionTime when its status has not changed. */
function keepTransition(old: readonly JsonObject[], condition: Omit<Condition, 'lastTransitionTime'>, now: string): Condition {
  const before = old.find((c) => c['type'] === condition.type)
  const since = before !== undefined && before['status'] === condition.status && typeof before['lastTransitionTime'] === 'string' ? before['lastTransitionTime'] : now
  return { ...condition, lastTransitionTime: since }
}

/**
 * What the object's status should be. `conflictsWith` names the cluster policy that keeps
 * spec.mutations when this one is left out for defining them too (combinePolicies' `conflicting`).
 */
export function desiredStatus(obj: JsonObject, state: PolicyObjectState, conflictsWith: string | undefined, now: string): JsonObject {
  const old = obj['status']
  const oldConditions = conditionsOf(old)
  const generation = state.generation
  const spec = obj['spec']
  const valid = state.problems.length === 0
  const oldLastGood = isJsonObject(old) && isJsonObject(old['lastGood']) ? old['lastGood'] : undefined
  const lastGood: JsonObject | undefined = valid && isJsonObject(spec) ? { generation, hash: state.hash, spec } : oldLastGood
  const lastGoodText = isJsonObject(lastGood) ? `generation ${String(lastGood['generation'])}, hash ${String(lastGood['hash'])}` : ''
  const conflict = conflictsWith !== undefined
    ? `not served: cluster policy ${conflictsWith} defines spec.mutations and was served first; only one cluster policy may define spec.mutations (remove them from one of the two)`
    : undefined

  let ready: Omit<Condition, 'lastTransitionTime'>
  let serving: Omit<Condition, 'lastTransitionTime'>
  if (valid) {
    ready = conflict !== undefined
      ? { type: 'Ready', status: 'False', observedGeneration: generation, reason: 'ConflictingMutations', message: conflict }
      : { type: 'Ready', status: 'True', observedGeneration: generation, reason: 'Valid', message: `generation ${generation} is valid (hash ${state.hash}, ${plural(rulesOf(obj), 'rule')})` }
    serving = conflict !== undefined
      ? { type: 'Serving', status: 'False', observedGeneration: generation, reason: 'ConflictingMutations', message: conflict }
      : { type: 'Serving', status: 'True', observedGeneration: generation, reason: 'Spec', message: `serving generation ${generation} (hash ${state.hash})` }
  } else {
    const problems = `${plural(state.problems.length, 'problem')}: ${state.problems.join('; ')}`
    const what = state.servedFrom === 'lastGood'
      ? conflict ?? `serving the last good copy (${lastGoodText})`
      : 'not served: no valid last good copy'
    ready = { type: 'Ready', status: 'False', observedGeneration: generation, reason: 'Invalid', message: clip(`generation ${generation} is invalid, ${what}. ${problems}`) }
    serving = state.servedFrom === 'lastGood' && conflict === undefined
      ? { type: 'Serving', status: 'True', observedGeneration: generation, reason: 'ServingLastGood', message: `the spec is invalid; serving the last good copy (${lastGoodText})` }
      : { type: 'Serving', status: 'False', observedGeneration: generation, reason: conflict !== undefined ? 'ConflictingMutations' : 'NeverValid', message: conflict ?? 'the spec is invalid and no valid last good copy exists' }
  }
  return {
    observedGeneration: generation,
    hash: state.hash,
    rules: rulesOf(obj),
    conditions: [keepTransition(oldConditions, ready, now), keepTransition(oldConditions, serving, now)] as unknown as JsonValue,
    ...(lastGood !== undefined ? { lastGood } : {}),
  }
}

/** Key-sorted JSON: equal for equal content whatever the key order the API server returned. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`
  }
  return JSON.stringify(v)
}

/** Whether writing `desired` would change the object's status. */
export const statusDiffers = (obj: JsonObject, desired: JsonObject): boolean => canonical(obj['status'] ?? {}) !== canonical(desired)

/** The cluster policy whose mutations stay in force, for each one left out (by name). */
export function conflictsOf(states: readonly PolicyObjectState[], conflicting: readonly PolicyRef[]): Map<string, string> {
  const out = new Map<string, string>()
  if (conflicting.length === 0) return out
  const left = new Set(conflicting.map((r) => r.name))
  const keeper = states.find((s) => s.kind === 'EphemeralContainerPolicy' && s.served?.mutations !== undefined && !left.has(s.name))
  for (const name of left) out.set(name, keeper?.name ?? 'another')
  return out
}
