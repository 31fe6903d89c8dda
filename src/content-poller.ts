// One content poller for every file serve re-reads: the policy file and the TLS files.
//
// Kubernetes updates a mounted ConfigMap or Secret by swapping the ..data symlink, so inotify on the
// path, mtimes and inodes are unreliable; like controller-runtime's certwatcher, the files are re-read
// on a timer and their content compared.
//
// Stable reads (issue 12 finding 4): a changed content is judged only when two consecutive polls, one
// interval apart, read the same bytes (a changed read arms, the next equal read judges). A file
// rewritten in place shows its prefixes while it is written, and most prefixes of a policy are valid,
// weaker policies; a writer that pauses for longer than the interval can still expose one, so writers
// must replace files atomically (rename), as the kubelet does.
//
// Validity: a stable change is parsed (`parse` throws what is wrong), then asked `acceptable` (for a
// certificate: inside its validity window now), then `commit`ted (which may throw too); only then is
// it in force. Anything else keeps the last good value and is reported once per distinct content (a
// read failure once per distinct message). A value refused with `retry` (a certificate issued ahead
// of this clock) is judged again at every poll while the files hold it, silently until it is taken.
//
// A slow parse (a policy of thousands of rules) is given as `parseAsync`: the timer then parses
// without holding the event loop, one content at a time, while the value in force keeps serving.
import { readFileSync } from 'node:fs'
import type { Logger } from 'pino'
import { RefusedContentError } from './errors.js'

/** Why a parsed value is refused; with `retry`, the same content is judged again at every poll. */
export interface Refusal {
  readonly reason: string
  readonly retry?: boolean
}

/** What one check() did. */
export type PollResult = 'unchanged' | 'pending' | 'reloaded' | 'invalid'

/** After each reload attempt that is also logged: `value` is the one then in force. */
export type PollEvent<T> =
  | { readonly result: 'success'; readonly value: T }
  | { readonly result: 'failure'; readonly value: T; readonly error: Error }

export type LogLine = readonly [fields: Record<string, unknown>, msg: string]

export interface ContentPollerOptions<T> {
  /** Read in this order, as bytes; the first unreadable one fails the read. */
  readonly files: readonly string[]
  /** The error reported when files[index] cannot be read. */
  readonly unreadable: (index: number, file: string, cause: Error) => Error
  /** The contents as a value, or a throw saying what is wrong. */
  readonly parse: (contents: readonly Buffer[]) => T
  /** parse without holding the event loop; when given, the timer of start() uses it (checkAsync). */
  readonly parseAsync?: (contents: readonly Buffer[]) => Promise<T>
  /** Checked on every candidate value at the clock's time. */
  readonly acceptable?: (value: T, now: Date) => Refusal | undefined
  /** Puts a value in force outside the poller (may throw: the value is then refused). */
  readonly commit?: (value: T) => void
  /** The contents and value in force at the start. */
  readonly initial: { readonly contents: readonly Buffer[]; readonly value: T }
  readonly logger: Logger
  /** The log record of a reload (info) and of a failed one (error). */
  readonly log: { readonly reloaded: (value: T) => LogLine; readonly failed: (error: Error, inForce: T) => LogLine }
  readonly clock?: () => Date
}

/** Reads `files` in order; throws `unreadable(...)` for the first that cannot be read. */
export function readContents(files: readonly string[], unreadable: ContentPollerOptions<unknown>['unreadable']): Buffer[] {
  return files.map((file, i) => {
    try {
      return readFileSync(file)
    } catch (e) {
      throw unreadable(i, file, e as Error)
    }
  })
}

const same = (a: readonly Buffer[], b: readonly Buffer[]): boolean => a.length === b.length && a.every((x, i) => x.equals(b[i]!))

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)))

export class ContentPoller<T> {
  private inForce: { contents: readonly Buffer[]; value: T; since: Date }
  /** The last content acted on (taken or refused), so a bad version is reported once, not every poll. */
  private lastSeen: readonly Buffer[]
  /** A changed content read once, judged if the next poll reads it again. */
  private pending: readonly Buffer[] | undefined
  /** lastSeen parsed, but refused with retry: judged again at every poll. */
  private waiting: T | undefined
  private lastReadError: string | undefined
  private failure: { readonly error: Error; readonly at: Date } | undefined
  private timer: NodeJS.Timeout | undefined
  private parsing = false
  private readonly listeners: Array<(event: PollEvent<T>) => void> = []
  private readonly clock: () => Date

  constructor(private readonly o: ContentPollerOptions<T>) {
    this.clock = o.clock ?? (() => new Date())
    this.inForce = { ...o.initial, since: this.clock() }
    this.lastSeen = o.initial.contents
  }

  /** The value in force. */
  get value(): T {
    return this.inForce.value
  }

  /** When the value in force was taken. */
  get since(): Date {
    return this.inForce.since
  }

  /** The last failed reload, while the files still hold what failed (cleared by a success). */
  get lastFailure(): { readonly error: Error; readonly at: Date } | undefined {
    return this.failure
  }

  onReload(listener: (event: PollEvent<T>) => void): void {
    this.listeners.push(listener)
  }

  /**
   * Reads the files once. Returns what happened: unchanged; pending (a change read for the first time,
   * or different from the one read last time: nothing judged yet); reloaded (the same changed content
   * read twice in a row, accepted and now in force); invalid (unreadable, or a stable change refused:
   * the value in force stays).
   */
  check(): PollResult {
    const read = this.read()
    if (read.done) return read.result
    let value: T
    try {
      value = this.o.parse(read.contents)
    } catch (e) {
      this.fail(asError(e))
      return 'invalid'
    }
    return this.judge(read.contents, value)
  }

  /**
   * check(), parsing with parseAsync (when given) so a long parse does not hold the event loop. A
   * call while another is parsing returns 'unchanged' at once without reading: one parse at a time,
   * so an older content can never be put in force after a newer one.
   */
  async checkAsync(): Promise<PollResult> {
    if (this.parsing) return 'unchanged'
    const read = this.read()
    if (read.done) return read.result
    let value: T
    this.parsing = true
    try {
      value = await (this.o.parseAsync ?? this.o.parse)(read.contents)
    } catch (e) {
      this.fail(asError(e))
      return 'invalid'
    } finally {
      this.parsing = false
    }
    return this.judge(read.contents, value)
  }

  /** Reads the files: done with a result, or a stable change (now lastSeen) to be parsed and judged. */
  private read(): { done: true; result: PollResult } | { done: false; contents: readonly Buffer[] } {
    let contents: Buffer[]
    try {
      contents = readContents(this.o.files, this.o.unreadable)
    } catch (e) {
      // A swap in progress can hide a file briefly: keep the value in force, report once.
      const error = asError(e)
      if (error.message !== this.lastReadError) this.fail(error)
      this.lastReadError = error.message
      this.pending = undefined
      return { done: true, result: 'invalid' }
    }
    const hadReadError = this.lastReadError !== undefined
    this.lastReadError = undefined
    if (same(contents, this.lastSeen)) {
      this.pending = undefined
      if (hadReadError && same(contents, this.inForce.contents)) this.failure = undefined // the files are back as they were
      return { done: true, result: this.waiting !== undefined ? this.retry(contents, this.waiting) : 'unchanged' }
    }
    if (this.pending === undefined || !same(contents, this.pending)) {
      this.pending = contents
      return { done: true, result: 'pending' }
    }
    this.pending = undefined
    this.lastSeen = contents
    this.waiting = undefined
    return { done: false, contents }
  }

  /** A parsed stable change: refused (acceptable, commit) or taken. */
  private judge(contents: readonly Buffer[], value: T): PollResult {
    try {
      const refusal = this.o.acceptable?.(value, this.clock())
      if (refusal !== undefined) {
        if (refusal.retry === true) this.waiting = value
        throw new RefusedContentError(refusal.reason)
      }
      this.o.commit?.(value)
    } catch (e) {
      this.fail(asError(e))
      return 'invalid'
    }
    return this.take(contents, value)
  }

  /** A value refused with retry, judged again: taken once acceptable, quiet until then. */
  private retry(contents: readonly Buffer[], value: T): 'unchanged' | 'reloaded' {
    const refusal = this.o.acceptable?.(value, this.clock())
    if (refusal !== undefined) {
      if (refusal.retry !== true) this.waiting = undefined
      return 'unchanged'
    }
    this.waiting = undefined
    try {
      this.o.commit?.(value)
    } catch {
      return 'unchanged'
    }
    return this.take(contents, value)
  }

  private take(contents: readonly Buffer[], value: T): 'reloaded' {
    this.inForce = { contents, value, since: this.clock() }
    this.failure = undefined
    this.o.logger.info(...this.o.log.reloaded(value))
    for (const l of this.listeners) l({ result: 'success', value })
    return 'reloaded'
  }

  private fail(error: Error): void {
    this.failure = { error, at: this.clock() }
    this.o.logger.error(...this.o.log.failed(error, this.inForce.value))
    for (const l of this.listeners) l({ result: 'failure', value: this.inForce.value, error })
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (this.o.parseAsync === undefined) this.check()
      else void this.checkAsync()
    }, intervalMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }
}
