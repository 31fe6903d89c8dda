// The policy objects of the cluster (EphemeralContainerPolicy, cluster-scoped; DebugPolicy, in every
// namespace), kept current by list+watch informers, as the namespace cache keeps namespaces: a failed
// list or watch is retried with backoff, and status() says how far it got (for /readyz). This file
// only holds the objects as the API server returns them; src/policy/cluster-source.ts compiles them.
import type { KubeConfig } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import type { JsonObject } from '../kube/types.js'
import { ListWatch, type Informer, type ListWatchStatus } from './list-watch.js'

/** For /readyz and logs. */
export interface WatchedObjectsStatus extends ListWatchStatus {
  readonly objects: number
}

/** The informer of one resource (src/cluster/list-watch.ts). */
export type ObjectInformer = Informer<JsonObject>

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
  readonly #resource: string
  readonly #listeners: Array<() => void> = []
  readonly #watch: ListWatch<JsonObject>

  /** `resource` names the objects in logs (`ephemeralcontainerpolicies`). */
  constructor(informer: ObjectInformer, resource: string, logger: Logger) {
    this.#resource = resource
    this.#watch = new ListWatch(informer, resource, logger, {
      put: (obj) => {
        const key = keyOf(obj)
        if (key === undefined) return
        this.#objects.set(key, obj)
        this.#changed()
      },
      remove: (obj) => {
        const key = keyOf(obj)
        if (key !== undefined && this.#objects.delete(key)) this.#changed()
      },
      synced: () => {
        logger.info({ resource, objects: this.#objects.size }, 'policy objects listed')
        this.#changed()
      },
    })
  }

  get resource(): string {
    return this.#resource
  }

  /** Every object held, in no particular order. */
  list(): JsonObject[] {
    return [...this.#objects.values()]
  }

  get synced(): boolean {
    return this.#watch.synced
  }

  /** Called after every change of the objects, and once at the first sync. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener)
  }

  status(): WatchedObjectsStatus {
    return { ...this.#watch.status(), objects: this.#objects.size }
  }

  /** Starts listing and watching; retries on failure until stop(). Resolves once the first attempt is over. */
  start(): Promise<void> {
    return this.#watch.start()
  }

  stop(): Promise<void> {
    return this.#watch.stop()
  }

  #changed(): void {
    for (const l of this.#listeners) l()
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

