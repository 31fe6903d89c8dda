// Reading a container as the API server's Go structs see it, and reporting field errors of one check.
// A field that is absent or null is Go's zero value ("" for a string, nil for a pointer or struct);
// a field of the wrong JSON type never reaches a webhook (decoding fails first) and is not judged here.
import { isJsonObject, type JsonObject, type JsonValue } from '../../kube/types.js'
import type { FieldErrorType, Violation } from '../../decision/types.js'

/** The object at `key`, or undefined when absent, null or no object (Go's nil pointer). */
export const objectAt = (o: JsonObject | undefined, key: string): JsonObject | undefined => {
  const v = o?.[key]
  return isJsonObject(v) ? v : undefined
}

/** The string at `key`: "" when absent or null, undefined when it is no string. */
export const stringAt = (o: JsonObject | undefined, key: string): string | undefined => {
  const v = o?.[key]
  return v === undefined || v === null ? '' : typeof v === 'string' ? v : undefined
}

/** The list at `key`, [] when absent, null or no list. */
export const listAt = (o: JsonObject | undefined, key: string): readonly JsonValue[] => {
  const v = o?.[key]
  return Array.isArray(v) ? v : []
}

/** Whether `key` holds a value (a non-nil pointer): present and not null. */
export const isSet = (o: JsonObject | undefined, key: string): boolean => o?.[key] !== undefined && o[key] !== null

/**
 * The containerIndex of pod-level errors, which ValidatePodSpec finds after validating every
 * container: Kubernetes' violations with it sort after those of every container, in registry order.
 */
export const AFTER_CONTAINERS = -1

/**
 * Adds one field.Error; `shown` is the value as Go prints it when that is not what `value` prints as;
 * `item` the list entry the error is about when its field does not name it (Violation.item).
 */
export type Report = (field: string, type: FieldErrorType, value?: JsonValue, detail?: string, shown?: string, item?: number) => void

/**
 * Collects the violations of one check. Identical errors are reported once, as the API server does
 * (its ErrorList reaches the client without duplicates, in the message and in the causes).
 */
export function collector(rule: string): { readonly violations: Violation[]; readonly reportFor: (containerIndex: number) => Report } {
  const violations: Violation[] = []
  const seen = new Set<string>()
  const reportFor = (containerIndex: number): Report => (field, type, value, detail, shown, item) => {
    const key = JSON.stringify([field, type, shown ?? value ?? null, detail ?? ''])
    if (seen.has(key)) return
    seen.add(key)
    violations.push({
      origin: 'kubernetes', rule, field, type,
      ...(value === undefined ? {} : { value }),
      ...(shown === undefined ? {} : { shown }),
      ...(detail ? { detail } : {}),
      ...(item === undefined ? {} : { item }),
      containerIndex,
    })
  }
  return { violations, reportFor }
}

/** podshelper.VisitContainersWithPath: init containers, containers, then ephemeral containers, with their field paths. */
export function* podContainers(spec: JsonObject): Generator<{ readonly container: JsonObject; readonly path: string }> {
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    const items = listAt(spec, list)
    for (let i = 0; i < items.length; i++) {
      const c = items[i]
      if (isJsonObject(c)) yield { container: c, path: `spec.${list}[${i}]` }
    }
  }
}
