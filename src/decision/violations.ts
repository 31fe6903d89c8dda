import { goJson, goQuote } from '../kube/go-text.js'
import type { JsonValue } from '../kube/types.js'
import type { FieldErrorType, Mode, ModedViolation, Violation } from './types.js'

// field.ErrorType.String() in k8s.io/apimachinery/pkg/util/validation/field/errors.go.
const TYPE_TEXT: Readonly<Record<FieldErrorType, string>> = {
  Required: 'Required value',
  Forbidden: 'Forbidden',
  Invalid: 'Invalid value',
  NotSupported: 'Unsupported value',
  Duplicate: 'Duplicate value',
  NotFound: 'Not found',
  TooLong: 'Too long',
}
// Types whose message omits the bad value, as field.Error.ErrorBody does.
const OMITS_VALUE: ReadonlySet<FieldErrorType> = new Set(['Required', 'Forbidden', 'TooLong'])

/**
 * A bad value as field.Error prints it: strings with Go's %q, except an Unsupported value, which the
 * API server writes as JSON; numbers and booleans as they are; anything else as JSON.
 */
const goValue = (v: JsonValue, type: FieldErrorType): string =>
  typeof v === 'string' ? (type === 'NotSupported' ? goJson(v) : goQuote(v)) : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)

/**
 * What is wrong, without the field, as field.Error.ErrorBody: `<Type>[: <value>][: <detail>]`, policy
 * rules named. The message of a status cause, whose field is given apart.
 */
export function violationBody(v: Violation): string {
  let body = TYPE_TEXT[v.type]
  if (!OMITS_VALUE.has(v.type) && (v.shown !== undefined || v.value !== undefined)) body += `: ${v.shown ?? goValue(v.value!, v.type)}`
  const detail = v.origin === 'policy' ? `${v.detail ?? 'not allowed'} (rule ${v.rule})` : v.detail
  if (detail) body += `: ${detail}`
  return body
}

/** A field and what is wrong with it, as field.Error.Error: `<field>: <body>`. */
export const fieldMessage = (field: string, body: string): string => `${field}: ${body}`

/** A violation in Kubernetes' words: `<field>: <Type>[: <value>][: <detail>]`, policy rules named. */
export const formatViolation = (v: Violation): string => fieldMessage(v.field, violationBody(v))

const STRENGTH: Readonly<Record<Mode, number>> = { enforce: 2, warn: 1, audit: 0 }

/** What the violations on one field can hide: see orderViolations. */
interface FieldCover {
  /** Strongest mode of a Kubernetes violation on the field (-1: none). */
  kubernetes: number
  /** Per policy rule, the strongest mode of its Required on the field; made when first needed. */
  required?: Map<string, number>
}

/** The rule of ValidatePodEphemeralContainersUpdate's static-pod answer, which replaces every other error. */
export const STATIC_POD_RULE = 'static-pod'

/**
 * For display only: sorted as sortViolations does, without what another violation on the same field
 * already says. Kubernetes' violations are shown exactly as Kubernetes lists them (a static pod's one
 * error replaces the others, as in the API server); Kubernetes' words on a field replace the policy's;
 * a policy rule's Required replaces that same rule's other complaints. A violation is hidden only
 * behind one of a mode at least as strong, so an enforced violation is never hidden behind a warning or
 * an audit entry. Never used to decide: a decision reads every violation of its mode. Linear in the
 * violations.
 */
export function orderViolations<V extends ModedViolation>(violations: readonly V[]): V[] {
  const fields = new Map<string, FieldCover>()
  let staticPod = -1
  for (const v of violations) {
    let f = fields.get(v.field)
    if (f === undefined) fields.set(v.field, f = { kubernetes: -1 })
    const strength = STRENGTH[v.mode]
    if (v.origin === 'kubernetes') {
      f.kubernetes = Math.max(f.kubernetes, strength)
      if (v.rule === STATIC_POD_RULE) staticPod = Math.max(staticPod, strength)
    } else if (v.type === 'Required') {
      f.required ??= new Map()
      f.required.set(v.rule, Math.max(f.required.get(v.rule) ?? -1, strength))
    }
  }
  const hidden = (v: V): boolean => {
    const f = fields.get(v.field)!
    const strength = STRENGTH[v.mode]
    if (v.origin === 'kubernetes') return v.rule !== STATIC_POD_RULE && staticPod >= strength
    return f.kubernetes >= strength || (v.type !== 'Required' && (f.required?.get(v.rule) ?? -1) >= strength)
  }
  // field.ErrorList.ToAggregate: a Kubernetes error whose message is already listed is listed once.
  const listed = new Map<string, number>()
  return sortViolations(violations.filter((v) => !hidden(v))).filter((v) => {
    if (v.origin !== 'kubernetes') return true
    const message = formatViolation(v)
    const before = listed.get(message)
    if (before !== undefined && before >= STRENGTH[v.mode]) return false
    listed.set(message, Math.max(before ?? -1, STRENGTH[v.mode]))
    return true
  })
}

/** Messages of violations, formatted only as far as they are read. */
export function* formatted(violations: Iterable<Violation>): Generator<string> {
  for (const v of violations) yield formatViolation(v)
}

/**
 * Puts violations in the one order every message uses. Kubernetes' first, in the API server's order:
 * container by container (validateEphemeralContainers), registry order within one, then the pod-level
 * rules and the update rules (containerIndex -1) in registry order. Then the policy's: pod-level
 * first, then by container, registry order within.
 */
export function sortViolations<V extends Violation>(violations: readonly V[]): V[] {
  const rank = (v: Violation): number => (v.origin === 'kubernetes' ? 0 : 1)
  const container = (v: Violation): number => (v.origin === 'kubernetes' && v.containerIndex < 0 ? Number.MAX_SAFE_INTEGER : v.containerIndex)
  return violations
    .map((v, i) => ({ v, i }))
    .sort((a, b) => rank(a.v) - rank(b.v) || container(a.v) - container(b.v) || a.i - b.i)
    .map(({ v }) => v)
}

/** One message for all violations, as utilerrors.NewAggregate prints them: `a` or `[a, b]`. */
export function aggregateMessage(parts: readonly string[]): string {
  return parts.length === 1 ? parts[0]! : `[${parts.join(', ')}]`
}
