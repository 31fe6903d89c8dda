// Reading a container as the API server's Go structs see it, and reporting field errors of one check.
// A field that is absent or null is Go's zero value ("" for a string, nil for a pointer or struct);
// a field of the wrong JSON type never reaches a webhook (decoding fails first) and is not judged here.
import { isJsonObject, type JsonObject, type JsonValue } from '../../kube/types.js'
import type { Check, CheckInput, FieldErrorType, Violation } from '../../decision/types.js'

// Every reader takes any value (a list item may be null or no object): what is no object has no fields.
const at = (o: JsonValue | undefined, key: string): JsonValue | undefined => (isJsonObject(o) ? o[key] : undefined)

/** The object at `key`, or undefined when absent, null or no object (Go's nil pointer). */
export const objectAt = (o: JsonValue | undefined, key: string): JsonObject | undefined => {
  const v = at(o, key)
  return isJsonObject(v) ? v : undefined
}

/** The string at `key`: "" when absent or null, undefined when it is no string. */
export const stringAt = (o: JsonValue | undefined, key: string): string | undefined => {
  const v = at(o, key)
  return v === undefined || v === null ? '' : typeof v === 'string' ? v : undefined
}

/** The string at `key` as Go's zero value: "" when absent, null or no string. */
export const textAt = (o: JsonValue | undefined, key: string): string => stringAt(o, key) ?? ''

/** The number at `key`: 0 when absent, null or no number. */
export const numberAt = (o: JsonValue | undefined, key: string): number => {
  const v = at(o, key)
  return typeof v === 'number' ? v : 0
}

/** The list at `key`, [] when absent, null or no list. */
export const listAt = (o: JsonValue | undefined, key: string): readonly JsonValue[] => {
  const v = at(o, key)
  return Array.isArray(v) ? v : []
}

// The same readers for a value already read. The container checks read a field with a literal key
// (`c['image']`) and pass the value: each such read site keeps its own inline cache, where the one
// `o[key]` of `at` sees every key of every object (V8 then looks it up in a cache shared with the
// rest of the process). A small saving, within the noise of the server bench (docs/performance.md).
/** The fields of a container (or any value) as Go sees them: an object, or none (`{}`). */
export const fieldsOf = (v: JsonValue | undefined): JsonObject => (isJsonObject(v) ? v : NO_FIELDS)
const NO_FIELDS: JsonObject = Object.freeze({}) as JsonObject
/** textAt's answer for a value: the string, or "" for anything else. */
export const text = (v: JsonValue | undefined): string => (typeof v === 'string' ? v : '')
/** listAt's answer for a value: the list, or []. */
export const list = (v: JsonValue | undefined): readonly JsonValue[] => (Array.isArray(v) ? v : NO_ITEMS)
const NO_ITEMS: readonly JsonValue[] = Object.freeze([])
/** objectAt's answer for a value: the object, or undefined. */
export const object = (v: JsonValue | undefined): JsonObject | undefined => (isJsonObject(v) ? v : undefined)

/** Whether `key` holds a value (a non-nil pointer): present and not null. */
export const isSet = (o: JsonValue | undefined, key: string): boolean => at(o, key) !== undefined && at(o, key) !== null

/**
 * The containerIndex of pod-level errors, which ValidatePodSpec finds after validating every
 * container: Kubernetes' violations with it sort after those of every container, in registry order.
 */
export const AFTER_CONTAINERS = -1

/**
 * Adds one field.Error; `shown` is the value as Go prints it when that is not what `value` prints as.
 */
export type Report = (field: string, type: FieldErrorType, value?: JsonValue, detail?: string, shown?: string) => void

/**
 * A Kubernetes check that reports field errors: `judge` gets a Report for a container index
 * (AFTER_CONTAINERS for the pod-level ones). Identical errors are all collected: that the API server
 * lists them once (field.ErrorList.ToAggregate) is done for every check together, in
 * decision/violations.ts.
 */
export function reportingCheck(id: string, judge: (input: CheckInput, reportFor: (containerIndex: number) => Report) => void): Check {
  return {
    id,
    origin: 'kubernetes',
    mode: 'enforce',
    run: (input) => {
      const violations: Violation[] = []
      const reportFor = (containerIndex: number): Report => (field, type, value, detail, shown) => {
        violations.push({
          origin: 'kubernetes', rule: id, field, type,
          ...(value === undefined ? {} : { value }),
          ...(shown === undefined ? {} : { shown }),
          ...(detail ? { detail } : {}),
          containerIndex,
        })
      }
      judge(input, reportFor)
      return violations
    },
  }
}

/** The lists podshelper.VisitContainersWithPath walks, in its order. */
const POD_CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const
export type PodContainerList = (typeof POD_CONTAINER_LISTS)[number]

/** The field path of a container of the pod: `spec.containers[0]`. */
export const podContainerPath = (list: PodContainerList, index: number): string => `spec.${list}[${index}]`

/**
 * podshelper.VisitContainersWithPath: init containers, containers, then ephemeral containers (those
 * that are objects), with the list and index that podContainerPath makes their field path of. A plain
 * loop, no generator and no path made for a container nobody reports on: pod-level checks walk
 * every container of the pod on every request.
 */
export function forEachPodContainer(spec: JsonObject, visit: (container: JsonObject, list: PodContainerList, index: number) => void): void {
  for (const list of POD_CONTAINER_LISTS) {
    const items = spec[list]
    if (!Array.isArray(items)) continue
    for (let i = 0; i < items.length; i++) {
      const c = items[i]
      if (isJsonObject(c)) visit(c, list, i)
    }
  }
}
