// Go's time.ParseDuration syntax ("24h", "1h30m", "1.5h", "90s", "300ms"), parsed by hand: a
// sequence of decimal numbers, each with a unit. No regular expression is built from the input.
// One parser for command-line flags (audit --older-than, doctor --expiry-warning) and for the API
// server's ?timeout= (server/deadline.ts, once per request): messages are built only on failure.
import type { ParseResult } from './errors.js'

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign, as Go accepts
  'μs': 1e-3, // U+03BC Greek mu, as Go accepts
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

// Longest first, so "ms" is not read as "m" followed by garbage.
const UNITS = Object.keys(UNIT_MS).sort((a, b) => b.length - a.length)

/** Inputs longer than this are refused: no real duration needs more. */
const MAX_LENGTH = 64

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9'

const invalid = (text: string, why: string): ParseResult<never> =>
  ({ ok: false, error: `invalid duration ${JSON.stringify(text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH)}…` : text)}: ${why}` })

/**
 * Milliseconds in a Go duration string, or a message saying what is wrong. Signs are refused (an
 * age is never negative); "0" alone is accepted, as in Go.
 */
export function parseDuration(text: string): ParseResult<number> {
  if (text.length > MAX_LENGTH) return invalid(text, `longer than ${MAX_LENGTH} characters`)
  if (text === '') return invalid(text, 'empty (use e.g. 24h, 90m or 1h30m)')
  if (text === '0') return { ok: true, value: 0 }
  if (text[0] === '-' || text[0] === '+') return invalid(text, 'must not have a sign')
  let total = 0
  let i = 0
  while (i < text.length) {
    const start = i
    while (isDigit(text[i])) i++
    const whole = text.slice(start, i)
    let fraction = ''
    if (text[i] === '.') {
      i++
      const fractionStart = i
      while (isDigit(text[i])) i++
      fraction = text.slice(fractionStart, i)
    }
    if (whole === '' && fraction === '') return invalid(text, `expected a number at position ${start + 1}`)
    let unit: string | undefined
    for (const u of UNITS) if (text.startsWith(u, i)) { unit = u; break }
    if (unit === undefined) return invalid(text, `missing or unknown unit after ${JSON.stringify(text.slice(start, i))} (units: ns, us, ms, s, m, h)`)
    i += unit.length
    total += Number(`${whole || '0'}.${fraction || '0'}`) * UNIT_MS[unit]!
  }
  if (!Number.isFinite(total) || total > Number.MAX_SAFE_INTEGER) return invalid(text, 'too large')
  return { ok: true, value: total }
}

/** A short human age, kubectl style: 45s, 12m, 5h, 3d, 2y (whole units, rounded down). */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 120) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 120) return `${m}m`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h`
  const d = Math.floor(h / 24)
  if (d < 730) return `${d}d`
  return `${Math.floor(d / 365)}y`
}
