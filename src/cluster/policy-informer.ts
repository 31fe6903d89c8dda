// The policy objects of the cluster (EphemeralContainerPolicy, cluster-scoped; DebugPolicy, in every
// namespace), kept current by list+watch informers, as the namespace cache keeps namespaces: a failed
// list or watch is retried with backoff, and status() says how far it got (for /readyz). This file
// only holds the objects as the API server returns them; src/policy/cluster-source.ts compiles them.
import type { KubeConfig } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import type { JsonObject } from '../kube/types.js'
import { RETRY_MIN_MS } from './namespace-cache.js'

/** For /readyz and logs. */
export interface WatchedObjectsStatus {
  /** The first list has completed. */
  readonly synced: boolean
  /** A watch is open (false between a failure and the next attempt). */
  readonly watching: boolean
  readonly objects: number
  readonly lastError?: string
  readonly lastErrorAt?: string
}

/** The few members of @kubernetes/client-node's Informer used here (so tests can drive it). */
export interface ObjectInformer {
  on(verb: 'add' | 'update' | 'delete', cb: (obj: JsonObject) => void): void
  on(verb: 'error' | 'connect', cb: (err?: unknown) => void): void
  start(): Promise<void>
  stop(): Promise<void>
}

const RETRY_MAX_MS = 30_000

const describeError = (err: unknown): string => {
  if (err instanceof Error) return err.message
  if (typeof err === 'object' && err !== null) {
    const e = err as { statusCode?: unknown; code?: unknown; body?: unknown; message?: unknown }
    return [e.code ?? e.statusCode, e.message ?? (typeof e.body === 'string' ? e.body.slice(0, 200) : undefined)].filter((x) => x !== undefined).join(' ') || 'unknown error'
  }
  return String(err)
}

const metadataOf = (obj: JsonObject): { name?: unknown; namespace?: unknown } =>
  (typeof obj['metadata'] === 'object' && obj['metadata'] !== null ? obj['metadata'] : {}) as { name?: unknown; namespace?: unknown }

/** `namespace/name` (`/name` when cluster-scoped): the informer's own identity of an object. */
const keyOf = (obj: JsonObject): string | undefined => {
  const m = metadataOf(obj)
  return typeof m.name === 'string' ? `${typeof m.namespace === 'string' ? m.namespace : ''}/${m.name}` : undefined
}

/** The objects of one resource, as the API server last said; listeners hear of every change. */
export class WatchedObjects {
  readonly #objects = new Map<string, JsonObject>()
  readonly #informer: ObjectInformer
  readonly #logger: Logger
  readonly #resource: string
  readonly #listeners: Array<() => void> = []
  #synced = false
  #watching = false
  #stopped = false
  #retryMs = RETRY_MIN_MS
  #retryTimer: NodeJS.Timeout | undefined
  #lastError: { message: string; at: string } | undefined

  /** `resource` names the objects in logs (`ephemeralcontainerpolicies`). */
  constructor(informer: ObjectInformer, resource: string, logger: Logger) {
    this.#informer = informer
    this.#resource = resource
    this.#logger = logger
    const put = (obj: JsonObject): void => {
      const key = keyOf(obj)
      if (key === undefined) return
      this.#objects.set(key, obj)
      this.#changed()
    }
    informer.on('add', put)
    informer.on('update', put)
    informer.on('delete', (obj) => {
      const key = keyOf(obj)
      if (key !== undefined && this.#objects.delete(key)) this.#changed()
    })
    informer.on('connect', () => { this.#watching = true })
    informer.on('error', (err) => this.#failed(err))
  }

  get resource(): string {
    return this.#resource
  }

  /** Every object held, in no particular order. */
  list(): JsonObject[] {
    return [...this.#objects.values()]
  }

  get synced(): boolean {
    return this.#synced
  }

  /** Called after every change of the objects, and once at the first sync. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener)
  }

  status(): WatchedObjectsStatus {
    return {
      synced: this.#synced,
      watching: this.#watching,
      objects: this.#objects.size,
      ...(this.#lastError ? { lastError: this.#lastError.message, lastErrorAt: this.#lastError.at } : {}),
    }
  }

  /** Starts listing and watching; retries on failure until stop(). Resolves once the first attempt is over. */
  async start(): Promise<void> {
    this.#stopped = false
    await this.#attempt()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#retryTimer)
    this.#watching = false
    await this.#informer.stop()
  }

  #changed(): void {
    for (const l of this.#listeners) l()
  }

  async #attempt(): Promise<void> {
    const errorsBefore = this.#lastError
    await this.#informer.start()
    // start() returns after the list and the opening of the watch; a failure was reported through 'error'.
    if (this.#lastError !== errorsBefore || this.#stopped) return
    this.#retryMs = RETRY_MIN_MS
    if (this.#synced) return
    this.#synced = true
    this.#logger.info({ resource: this.#resource, objects: this.#objects.size }, 'policy objects listed')
    this.#changed()
  }

  #failed(err: unknown): void {
    this.#watching = false
    this.#lastError = { message: describeError(err), at: new Date().toISOString() }
    if (this.#stopped) return
    const delay = this.#retryMs
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS)
    this.#logger.warn({ resource: this.#resource, err: this.#lastError.message, retryInMs: delay }, 'policy list/watch failed; retrying')
    this.#retryTimer = setTimeout(() => { void this.#attempt() }, delay)
    this.#retryTimer.unref()
  }
}

/** The two policy resources of ephemeral-guard.dev/v1alpha1, as the informers watch them. */
export const POLICY_RESOURCES = ['ephemeralcontainerpolicies', 'debugpolicies'] as const
export type PolicyResource = (typeof POLICY_RESOURCES)[number]

/** A list+watch informer on one policy resource, across all namespaces. */
export async function policyInformer(kc: KubeConfig, group: string, version: string, plural: PolicyResource): Promise<ObjectInformer> {
  const { CustomObjectsApi, makeInformer } = await import('@kubernetes/client-node')
  const custom = kc.makeApiClient(CustomObjectsApi)
  // A namespaced resource listed at the cluster path (no /namespaces/…) is every namespace's objects.
  const list = () => custom.listClusterCustomObject({ group, version, plural }) as Promise<never>
  return makeInformer(kc, `/apis/${group}/${version}/${plural}`, list) as unknown as ObjectInformer
}

