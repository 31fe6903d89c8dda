// The labels of every namespace, kept current by a list+watch informer, for decisions that depend on
// the namespace (the Pod Security fit reads pod-security.kubernetes.io/enforce). Admission decisions
// are synchronous and never wait on the network: they read this cache, and a namespace it does not
// hold (not listed yet, or created a moment ago and not yet seen) is "unknown".
import type { Logger } from 'pino'

/** What decisions need: labels by namespace name; undefined when unknown. */
export interface NamespaceLabels {
  labels(namespace: string): Readonly<Record<string, string>> | undefined
}

/** For /readyz and logs. */
export interface NamespaceCacheStatus {
  /** The first list has completed: labels(name) is answered from the cluster from then on. */
  readonly synced: boolean
  /** A watch is open (false between a failure and the next attempt). */
  readonly watching: boolean
  readonly namespaces: number
  readonly lastError?: string
  readonly lastErrorAt?: string
}

/** The few members of @kubernetes/client-node's Informer this cache uses (so tests can drive it). */
export interface NamespaceInformer {
  on(verb: 'add' | 'update' | 'delete', cb: (ns: NamespaceObject) => void): void
  on(verb: 'error' | 'connect', cb: (err?: unknown) => void): void
  start(): Promise<void>
  stop(): Promise<void>
}

export interface NamespaceObject {
  metadata?: { name?: string; labels?: Record<string, string> }
}

/** Delay before a failed list or watch is tried again; doubles up to RETRY_MAX_MS. */
export const RETRY_MIN_MS = 500
const RETRY_MAX_MS = 30_000

const describeError = (err: unknown): string => {
  if (err instanceof Error) return err.message
  if (typeof err === 'object' && err !== null) {
    const e = err as { statusCode?: unknown; code?: unknown; body?: unknown; message?: unknown }
    return [e.code ?? e.statusCode, e.message ?? (typeof e.body === 'string' ? e.body.slice(0, 200) : undefined)].filter((x) => x !== undefined).join(' ') || 'unknown error'
  }
  return String(err)
}

export class NamespaceCache implements NamespaceLabels {
  readonly #labels = new Map<string, Readonly<Record<string, string>>>()
  readonly #informer: NamespaceInformer
  readonly #logger: Logger
  #synced = false
  #watching = false
  #stopped = false
  #retryMs = RETRY_MIN_MS
  #retryTimer: NodeJS.Timeout | undefined
  #lastError: { message: string; at: string } | undefined
  #firstSync: Promise<void>
  #resolveFirstSync!: () => void

  constructor(informer: NamespaceInformer, logger: Logger) {
    this.#informer = informer
    this.#logger = logger
    this.#firstSync = new Promise((resolve) => { this.#resolveFirstSync = resolve })
    const put = (ns: NamespaceObject): void => {
      const name = ns.metadata?.name
      if (name !== undefined) this.#labels.set(name, Object.freeze({ ...(ns.metadata?.labels ?? {}) }))
    }
    informer.on('add', put)
    informer.on('update', put)
    informer.on('delete', (ns) => { if (ns.metadata?.name !== undefined) this.#labels.delete(ns.metadata.name) })
    informer.on('connect', () => { this.#watching = true })
    informer.on('error', (err) => this.#failed(err))
  }

  labels(namespace: string): Readonly<Record<string, string>> | undefined {
    return this.#synced ? this.#labels.get(namespace) : undefined
  }

  status(): NamespaceCacheStatus {
    return {
      synced: this.#synced,
      watching: this.#watching,
      namespaces: this.#labels.size,
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
    if (!this.#synced) this.#logger.info({ namespaces: this.#labels.size }, 'namespace cache synced')
    this.#synced = true
    this.#retryMs = RETRY_MIN_MS
    this.#resolveFirstSync()
  }

  #failed(err: unknown): void {
    this.#watching = false
    this.#lastError = { message: describeError(err), at: new Date().toISOString() }
    if (this.#stopped) return
    const delay = this.#retryMs
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS)
    this.#logger.warn({ err: this.#lastError.message, retryInMs: delay }, 'namespace list/watch failed; retrying')
    this.#retryTimer = setTimeout(() => { void this.#attempt() }, delay)
    this.#retryTimer.unref()
  }
}
