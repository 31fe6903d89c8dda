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

/** How often, at most, the watch looks for requests whose client went away, so they are not held. */
export const DEADLINE_SWEEP_MS = 1000

/**
 * Requests waiting for their body, each with the time by which it must be answered, watched by one
 * timer for all of them (no timer object per request): the timer runs at the earliest deadline, or
 * within `sweepMs`, whichever comes first, and only while something is watched. At each run it
 * forgets what `gone` says needs no answer (the client left) and hands what is due to `expire`.
 * `delete` (the body arrived, or an error was answered) is a Map deletion.
 */
export class DeadlineWatch<T> {
  private readonly due = new Map<T, number>()
  private timer: NodeJS.Timeout | undefined
  private timerAt = Infinity

  constructor(
    private readonly expire: (item: T) => void,
    private readonly gone: (item: T) => boolean,
    private readonly sweepMs = DEADLINE_SWEEP_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Watches `item` until `delete`, or until `at` (milliseconds on the `now` clock), when it expires. */
  add(item: T, at: number): void {
    this.due.set(item, at)
    if (at < this.timerAt) this.arm(Math.min(at, this.now() + this.sweepMs))
  }

  /** Stops watching `item`; its deadline, if it was watched. */
  delete(item: T): number | undefined {
    const at = this.due.get(item)
    if (at !== undefined) this.due.delete(item)
    return at
  }

  /** How many items are watched (for tests). */
  get size(): number {
    return this.due.size
  }

  /** Stops the timer; nothing expires afterwards. */
  close(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
    this.due.clear()
  }

  private arm(at: number): void {
    clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(() => this.sweep(), Math.max(0, at - this.now()))
    this.timer.unref()
  }

  private sweep(): void {
    this.timer = undefined
    this.timerAt = Infinity
    const now = this.now()
    let next = Infinity
    const expired: T[] = []
    for (const [item, at] of this.due) {
      if (this.gone(item)) this.due.delete(item)
      else if (at <= now) {
        this.due.delete(item)
        expired.push(item)
      } else if (at < next) next = at
    }
    if (this.due.size > 0) this.arm(Math.min(next, now + this.sweepMs))
    for (const item of expired) this.expire(item)
  }
}
