// What a built-in policy rule is made of: container checks, judged on each new container, and pod
// checks, judged once per request. Each check file of this folder compiles one field of a rule
// document (schemas/policy.schema.json) into such checks; policy/compile.ts assembles a rule from
// them, in a fixed order that is the order of the violations within a container.
import { isJsonObject, type JsonValue } from '../../kube/types.js'
import type { CheckInput, FieldErrorType, Violation } from '../../decision/types.js'

/** Where a container sits: its index in the list and its field path (`spec.ephemeralContainers[1]`). */
export interface ContainerAt {
  readonly index: number
  readonly field: string
}

interface Described {
  /** The rule field it enforces, e.g. `securityContext`; with the description, what `policy schema` prints. */
  readonly name: string
  /** One line: what it requires, with the rule's values. */
  readonly description: string
}

/**
 * A pure function of one new container (as received: any JSON value). Most checks read the container
 * alone; those that judge it in its pod (podSecurity, targets' shared namespaces) also read `input`.
 */
export interface ContainerCheck extends Described {
  /**
   * Fields the container must set and does not: Required violations that a rule lists before any other
   * finding on the same container, whatever check they come from.
   */
  readonly missing?: (container: JsonValue, at: ContainerAt, input: CheckInput) => Violation[]
  readonly run: (container: JsonValue, at: ContainerAt, input: CheckInput) => Violation[]
}

/** A pure function of the request as a whole (who asks, the pod); its violations are pod-level. */
export interface PodCheck extends Described {
  readonly run: (input: CheckInput) => Violation[]
}

/** `a, b` or `none`. */
export const listOrNone = (xs: readonly string[]): string => (xs.length === 0 ? 'none' : xs.join(', '))

/** An own property of a JSON value, or undefined (also when the value is no object). */
export const own = (v: JsonValue | undefined, key: string): JsonValue | undefined =>
  (isJsonObject(v) && Object.hasOwn(v, key) ? v[key] : undefined)


/** `spec.ephemeralContainers[1]` + [volumeMounts, 0, name] → `spec.ephemeralContainers[1].volumeMounts[0].name`. */
const pathOf = (base: string, path: readonly (string | number)[]): string =>
  path.reduce<string>((out, s) => (typeof s === 'number' ? `${out}[${s}]` : `${out}.${s}`), base)

/**
 * A policy violation at a field of a container. `value` (the offending value, when the field is set)
 * is kept on the violation; the message shows it only for the types Kubernetes shows it for.
 */
export function containerViolation(rule: string, at: ContainerAt, path: readonly (string | number)[], type: FieldErrorType, detail: string, value?: JsonValue): Violation {
  return { origin: 'policy', rule, field: pathOf(at.field, path), type, ...(value === undefined ? {} : { value }), detail, containerIndex: at.index }
}

/** A policy violation of the pod as a whole, reported at the ephemeral container list. */
export function podViolation(rule: string, input: CheckInput, detail: string): Violation {
  return { origin: 'policy', rule, field: input.pod.listField, type: 'Forbidden', detail, containerIndex: -1 }
}

/**
 * The shape every field check reads: a container that is no JSON object has none of the fields a rule
 * judges, and is reported once per rule that judges any, as `Invalid value: ...: must be object`.
 */
export function containerObject(rule: string): ContainerCheck {
  return {
    name: 'container',
    description: 'the container is an object',
    run: (container, at) => (isJsonObject(container) ? [] : [containerViolation(rule, at, [], 'Invalid', 'must be object', container)]),
  }
}

/** Type tests for the "must be array,null" and "must be object,null" details. */
export const isArrayOrNull = (v: JsonValue): boolean => v === null || Array.isArray(v)
export const isObjectOrNull = (v: JsonValue): boolean => v === null || isJsonObject(v)
