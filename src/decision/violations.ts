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

// Go's %q for strings, %v for the rest; close enough for ASCII, which is what these fields hold.
const goValue = (v: JsonValue): string => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))

/**
 * What is wrong, without the field, as field.Error.ErrorBody: `<Type>[: <value>][: <detail>]`, policy
 * rules named. The message of a status cause, whose field is given apart.
 */
export function violationBody(v: Violation): string {
  let body = TYPE_TEXT[v.type]
  if (!OMITS_VALUE.has(v.type) && (v.shown !== undefined || v.value !== undefined)) body += `: ${v.shown ?? goValue(v.value!)}`
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
  /** Strongest mode of a Kubernetes violation, and of a Kubernetes Required, on the field (-1: none). */
  kubernetes: number
  kubernetesRequired: number
  /** Per policy rule, the strongest mode of its Required on the field; made when first needed. */
  required?: Map<string, number>
}

/**
 * For display only: sorted as sortViolations does, without what another violation on the same field
 * already says. Kubernetes' words on a field replace the policy's; a Kubernetes Required replaces
 * Kubernetes' other complaints about the missing field; a policy rule's Required replaces that same
 * rule's other complaints. A violation is hidden only behind one of a mode at least as strong, so an
 * enforced violation is never hidden behind a warning or an audit entry; and nothing hides a
 * Kubernetes Required, so every field with violations keeps one in the strongest mode found there.
 * Never used to decide: a decision reads every violation of its mode. Linear in the violations.
 */
export function orderViolations<V extends ModedViolation>(violations: readonly V[]): V[] {
  const fields = new Map<string, FieldCover>()
  for (const v of violations) {
    let f = fields.get(v.field)
    if (f === undefined) fields.set(v.field, f = { kubernetes: -1, kubernetesRequired: -1 })
    const strength = STRENGTH[v.mode]
    if (v.origin === 'kubernetes') {
      f.kubernetes = Math.max(f.kubernetes, strength)
      if (v.type === 'Required') f.kubernetesRequired = Math.max(f.kubernetesRequired, strength)
    } else if (v.type === 'Required') {
      f.required ??= new Map()
      f.required.set(v.rule, Math.max(f.required.get(v.rule) ?? -1, strength))
    }
  }
  const hidden = (v: V): boolean => {
    const f = fields.get(v.field)!
    const strength = STRENGTH[v.mode]
    if (v.origin === 'kubernetes') return v.type !== 'Required' && f.kubernetesRequired >= strength
    return f.kubernetes >= strength || (v.type !== 'Required' && (f.required?.get(v.rule) ?? -1) >= strength)
  }
  return sortViolations(violations.filter((v) => !hidden(v)))
}

/** Messages of violations, formatted only as far as they are read. */
export function* formatted(violations: Iterable<Violation>): Generator<string> {
  for (const v of violations) yield formatViolation(v)
}

/**
 * Puts violations in the one order every message uses: pod-level first, then by container index,
 * Kubernetes' restrictions before policy, registry order within.
 */
export function sortViolations<V extends Violation>(violations: readonly V[]): V[] {
  const rank = (v: Violation): number => (v.origin === 'kubernetes' ? 0 : 1)
  return violations
    .map((v, i) => ({ v, i }))
    .sort((a, b) => a.v.containerIndex - b.v.containerIndex || rank(a.v) - rank(b.v) || a.i - b.i)
    .map(({ v }) => v)
}

/** One message for all violations, as utilerrors.NewAggregate prints them: `a` or `[a, b]`. */
export function aggregateMessage(parts: readonly string[]): string {
  return parts.length === 1 ? parts[0]! : `[${parts.join(', ')}]`
}
