import type { JsonValue } from '../kube/types.js'
import type { FieldErrorType, Violation } from '../checks/types.js'

// field.ErrorType.String() in k8s.io/apimachinery/pkg/util/validation/field/errors.go.
const TYPE_TEXT: Readonly<Record<FieldErrorType, string>> = {
  Required: 'Required value',
  Forbidden: 'Forbidden',
  Invalid: 'Invalid value',
  NotSupported: 'Unsupported value',
  Duplicate: 'Duplicate value',
  NotFound: 'Not found',
}
// Types whose message omits the bad value, as field.Error.ErrorBody does.
const OMITS_VALUE: ReadonlySet<FieldErrorType> = new Set(['Required', 'Forbidden'])

// Go's %q for strings, %v for the rest; close enough for ASCII, which is what these fields hold.
const goValue = (v: JsonValue): string => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))

/** A violation in Kubernetes' words: `<field>: <Type>[: <value>][: <detail>]`, policy rules named. */
export function formatViolation(v: Violation): string {
  let body = TYPE_TEXT[v.type]
  if (!OMITS_VALUE.has(v.type) && v.value !== undefined) body += `: ${goValue(v.value)}`
  const detail = v.origin === 'policy' ? `${v.detail ?? 'not allowed'} (rule ${v.rule})` : v.detail
  if (detail) body += `: ${detail}`
  return `${v.field}: ${body}`
}

/**
 * Puts violations in the one order every message uses: pod-level first, then by container index,
 * Kubernetes' restrictions before policy, registry order within. Drops what would say one thing twice:
 * other complaints about a field that is missing, and policy complaints about a field Kubernetes refuses.
 */
export function orderViolations(violations: readonly Violation[]): Violation[] {
  const required = new Set(violations.filter((v) => v.type === 'Required').map((v) => v.field))
  const kubernetesFields = new Set(violations.filter((v) => v.origin === 'kubernetes').map((v) => v.field))
  const kept = violations.filter((v) =>
    (v.type === 'Required' || !required.has(v.field)) && (v.origin === 'kubernetes' || !kubernetesFields.has(v.field)))
  const rank = (v: Violation): number => (v.origin === 'kubernetes' ? 0 : 1)
  return kept
    .map((v, i) => ({ v, i }))
    .sort((a, b) => a.v.containerIndex - b.v.containerIndex || rank(a.v) - rank(b.v) || a.i - b.i)
    .map(({ v }) => v)
}

/** One message for all violations, as utilerrors.NewAggregate prints them: `a` or `[a, b]`. */
export function aggregateMessage(ordered: readonly Violation[]): string {
  const parts = ordered.map(formatViolation)
  return parts.length === 1 ? parts[0]! : `[${parts.join(', ')}]`
}
