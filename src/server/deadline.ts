// The API server's `?timeout=` parameter: a Go time.Duration string (time.Duration.String(), e.g. "5s",
// "1m0s", "1.5s", "300ms"), read with a plain scanner: no regular expression, linear, length-capped.

/** Milliseconds per Go duration unit (time.ParseDuration's units; both micro signs are accepted). */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5
  'μs': 1e-3, // U+03BC
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

/** Far longer than any duration the API server sends (it caps webhook timeouts at 30 s). */
const MAX_LENGTH = 32

const isDigit = (c: string): boolean => c >= '0' && c <= '9'

/**
 * A positive Go duration in milliseconds, or undefined when `text` is absent, malformed, zero or
 * negative: then no deadline applies beyond the server's request timeout.
 */
export function parseGoDuration(text: string | undefined): number | undefined {
  if (text === undefined || text.length === 0 || text.length > MAX_LENGTH) return undefined
  let i = 0
  if (text[0] === '+') i = 1
  let total = 0
  while (i < text.length) {
    const start = i
    while (i < text.length && isDigit(text[i]!)) i++
    const whole = text.slice(start, i)
    let fraction = ''
    if (text[i] === '.') {
      const f = ++i
      while (i < text.length && isDigit(text[i]!)) i++
      fraction = text.slice(f, i)
    }
    if (whole === '' && fraction === '') return undefined
    const unitStart = i
    while (i < text.length && !isDigit(text[i]!) && text[i] !== '.') i++
    const unit = UNIT_MS[text.slice(unitStart, i)]
    if (unit === undefined) return undefined // also "0", valid in Go but zero: no deadline
    total += Number(`${whole || '0'}.${fraction || '0'}`) * unit
  }
  return total > 0 ? total : undefined
}

/**
 * How long to wait for a decision when the API server allows `timeoutMs`: the timeout less a margin
 * for the answer's trip back (500 ms, or a quarter of short timeouts), and never longer than the
 * server's own request timeout.
 */
export function answerWithinMs(timeoutMs: number, requestTimeoutMs: number): number {
  return Math.floor(Math.min(timeoutMs - Math.min(500, timeoutMs / 4), requestTimeoutMs))
}
