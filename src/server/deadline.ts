// The API server's `?timeout=` parameter: a Go time.Duration string (time.Duration.String(), e.g. "5s",
// "1m0s", "1.5s", "300ms"), read with the project's one duration parser, length-capped first.
import { parseDuration } from '../duration.js'

/** Far longer than any duration the API server sends (it caps webhook timeouts at 30 s). */
const MAX_LENGTH = 32

/**
 * A positive Go duration in milliseconds, or undefined when `text` is absent, not one string (a
 * repeated query parameter), malformed, zero or negative: then no deadline applies beyond the
 * server's request timeout.
 */
export function timeoutParamMs(text: unknown): number | undefined {
  if (typeof text !== 'string' || text.length > MAX_LENGTH) return undefined
  const ms = parseDuration(text[0] === '+' ? text.slice(1) : text)
  return ms.ok && ms.value > 0 ? ms.value : undefined
}

/**
 * How long to wait for a decision when the API server allows `timeoutMs`: the timeout less a margin
 * for the answer's trip back (500 ms, or a quarter of short timeouts), and never longer than the
 * server's own request timeout.
 */
export function answerWithinMs(timeoutMs: number, requestTimeoutMs: number): number {
  return Math.floor(Math.min(timeoutMs - Math.min(500, timeoutMs / 4), requestTimeoutMs))
}
