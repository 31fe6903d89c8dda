// One list+watch informer kept running: a failed list or watch is retried with backoff (doubling from
// RETRY_MIN_MS to RETRY_MAX_MS) until stop(), and status() says how far it got, for /readyz and logs.
// What is kept of the objects is the owner's: the namespace cache keeps labels, the policy informers
// whole objects. Admission never waits on it: decisions read what the owner holds.
import type { Logger } from 'pino'

/** The few members of @kubernetes/client-node's Informer used (so tests can drive it). */
export interface Informer<T> {
  on(verb: 'add' | 'update' | 'delete', cb: (obj: T) => void): void
  on(verb: 'error' | 'connect', cb: (err?: unknown) => void): void
  start(): Promise<void>
  stop(): Promise<void>
}

export interface ListWatchStatus {
  /** The first list has completed. */
  readonly synced: boolean
  /** A watch is open (false between a failure and the next attempt). */
  readonly watching: boolean
  readonly lastError?: string
  readonly lastErrorAt?: string
}

/** What the owner does with the informer's events. */
export interface ListWatchHandlers<T> {
  put(obj: T): void
  remove(obj: T): void
  /** After the first successful list. */
  synced(): void
}

/** Delay before a failed list or watch is tried again; doubles up to RETRY_MAX_MS. */
export const RETRY_MIN_MS = 500
export const RETRY_MAX_MS = 30_000

/** An informer's error in one line: client-node reports HTTP errors as objects, not Errors. */
export const describeError = (err: unknown): string => {
  if (err instanceof Error) return err.message
  if (typeof err === 'object' && err !== null) {
    const e = err as { statusCode?: unknown; code?: unknown; body?: unknown; message?: unknown }
    return [e.code ?? e.statusCode, e.message ?? (typeof e.body === 'string' ? e.body.slice(0, 200) : undefined)].filter((x) => x !== undefined).join(' ') || 'unknown error'
  }
  return String(err)
}

export class ListWatch<T> {
  readonly #informer: Informer<T>
  readonly #resource: string
  readonly #logger: Logger
  readonly #handlers: ListWatchHandlers<T>
  #synced = false
  #watching = false
  #stopped = false
  #retryMs = RETRY_MIN_MS
  #retryTimer: NodeJS.Timeout | undefined
  #lastError: { message: string; at: string } | undefined
  #firstSync: Promise<void>
  #resolveFirstSync!: () => void

  /** `resource` names the objects in logs (`namespaces`, `ephemeralcontainerpolicies`). */
  constructor(informer: Informer<T>, resource: string, logger: Logger, handlers: ListWatchHandlers<T>) {
    this.#informer = informer
    this.#resource = resource
    this.#logger = logger
    this.#handlers = handlers
    this.#firstSync = new Promise((resolve) => { this.#resolveFirstSync = resolve })
    informer.on('add', (obj) => handlers.put(obj))
    informer.on('update', (obj) => handlers.put(obj))
    informer.on('delete', (obj) => handlers.remove(obj))
    informer.on('connect', () => { this.#watching = true })
    informer.on('error', (err) => this.#failed(err))
  }

  get synced(): boolean {
    return this.#synced
  }

  status(): ListWatchStatus {
    return {
      synced: this.#synced,
      watching: this.#watching,
      ...(this.#lastError ? { lastError: this.#lastError.message, lastErrorAt: this.#lastError.at } : {}),
    }
  }

  /** Starts listing and watching; retries on failure until stop(). Resolves once the first attempt is over. */
  async start(): Promise<void> {
    this.#stopped = false
    await this.#attempt()
  }

  /** Resolves at the first successful list, or after `ms`, whichever is first; true if synced. */
  async waitForSync(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.#firstSync, new Promise<void>((resolve) => { timer = setTimeout(resolve, ms) })])
    clearTimeout(timer)
    return this.#synced
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#retryTimer)
    this.#watching = false
    await this.#informer.stop()
  }

  async #attempt(): Promise<void> {
    const errorsBefore = this.#lastError
    await this.#informer.start()
    // start() returns after the list and the opening of the watch; a failure was reported through 'error'.
    if (this.#lastError !== errorsBefore || this.#stopped) return
    this.#retryMs = RETRY_MIN_MS
    if (this.#synced) return
    this.#synced = true
    this.#resolveFirstSync()
    this.#handlers.synced()
  }

  #failed(err: unknown): void {
    this.#watching = false
    this.#lastError = { message: describeError(err), at: new Date().toISOString() }
    if (this.#stopped) return
    const delay = this.#retryMs
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS)
    this.#logger.warn({ resource: this.#resource, err: this.#lastError.message, retryInMs: delay }, `${this.#resource} list/watch failed; retrying`)
    this.#retryTimer = setTimeout(() => { void this.#attempt() }, delay)
    this.#retryTimer.unref()
  }
}
