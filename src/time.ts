// RFC 3339 date-times, the API's metav1.Time and what the mutating webhook writes into
// EPHEMERAL_GUARD_REQUESTED_AT: one formatter, one parser (for untrusted text: it never throws).
import type { ParseResult } from './errors.js'

/** RFC 3339 in UTC, whole seconds: `2026-01-02T03:04:05Z`. */
export const formatRfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z')

// Fixed and anchored, every part bounded: linear in the input, nothing built from it.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/

/** Milliseconds since the epoch of an RFC 3339 date-time (2026-02-30 is none). */
export function parseRfc3339(text: string): ParseResult<number> {
  const m = RFC3339.exec(text)
  if (m === null) return { ok: false, error: 'not an RFC 3339 date-time' }
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const civil = new Date(Date.UTC(y, mo - 1, d, h, mi, s))
  // Date.UTC rolls over out-of-range fields; a real date reads back the same.
  if (civil.getUTCFullYear() !== y || civil.getUTCMonth() !== mo - 1 || civil.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return { ok: false, error: 'not a date and time of day' }
  }
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? { ok: false, error: 'not an RFC 3339 date-time' } : { ok: true, value: ms }
}
