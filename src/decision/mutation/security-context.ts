// security-context: the policy's defaults (spec.mutations.securityContext) go where the new container
// leaves a field unset. A field the container sets is kept as sent: the defaults can only be hardening
// values (the schema allows nothing else), so keeping the user's value never weakens it, and the
// validating rules judge what the user chose. capabilities.drop is a union: dropping more never weakens.
import { isDeepStrictEqual } from 'node:util'
import { isJsonObject, type JsonObject, type JsonValue } from '../../kube/types.js'
import type { SecurityContextDefaults } from '../types.js'

const isUnset = (v: JsonValue | undefined): boolean => v === undefined || v === null

/** `container.securityContext` as an object ({} when unset); undefined when it is something else (left alone). */
export function securityContextOf(container: JsonObject): JsonObject | undefined {
  const sc = container['securityContext']
  if (isUnset(sc)) return {}
  return isJsonObject(sc) ? sc : undefined
}

/** Adds `values` to a string list, keeping its order and anything already there. */
export function withStrings(list: JsonValue | undefined, values: readonly string[]): JsonValue[] {
  const have = Array.isArray(list) ? list : []
  return [...have, ...values.filter((v) => !have.includes(v))]
}

export function withSecurityContextDefaults(container: JsonObject, defaults: SecurityContextDefaults | undefined): JsonObject {
  const sc = defaults === undefined ? undefined : securityContextOf(container)
  if (defaults === undefined || sc === undefined) return container
  const next: JsonObject = { ...sc }
  for (const [key, value] of Object.entries(defaults) as Array<[keyof SecurityContextDefaults, JsonValue]>) {
    if (key === 'capabilities') continue
    if (isUnset(next[key])) next[key] = value
  }
  const drop = defaults.capabilities?.drop
  if (drop !== undefined && drop.length > 0) {
    const caps = isUnset(next['capabilities']) ? {} : next['capabilities']
    if (isJsonObject(caps) && (isUnset(caps['drop']) || Array.isArray(caps['drop']))) {
      next['capabilities'] = { ...caps, drop: withStrings(caps['drop'], drop) }
    }
  }
  return isDeepStrictEqual(next, sc) ? container : { ...container, securityContext: next }
}
