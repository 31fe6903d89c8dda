// The labels of every namespace, kept current by a list+watch informer, for decisions that depend on
// the namespace (the Pod Security fit reads pod-security.kubernetes.io/enforce). Admission decisions
// are synchronous and never wait on the network: they read this cache, and a namespace it does not
// hold (not listed yet, or created a moment ago and not yet seen) is "unknown".
import type { Logger } from 'pino'
import { ListWatch, RETRY_MIN_MS, type Informer, type ListWatchStatus } from './list-watch.js'

/** What decisions need: labels by namespace name; undefined when unknown. */
export interface NamespaceLabels {
  labels(namespace: string): Readonly<Record<string, string>> | undefined
}

/** For /readyz and logs. */
/** For /readyz and logs: once synced, labels(name) is answered from the cluster. */
export interface NamespaceCacheStatus extends ListWatchStatus {
  readonly namespaces: number
}

/** The informer the cache is fed by (src/cluster/list-watch.ts). */
export type NamespaceInformer = Informer<NamespaceObject>

export interface NamespaceObject {
  metadata?: { name?: string; labels?: Record<string, string> }
}

export { RETRY_MIN_MS }

export class NamespaceCache implements NamespaceLabels {
  readonly #labels = new Map<string, Readonly<Record<string, string>>>()
  readonly #watch: ListWatch<NamespaceObject>

  constructor(informer: NamespaceInformer, logger: Logger) {
    this.#watch = new ListWatch(informer, 'namespaces', logger, {
      put: (ns) => {
        const name = ns.metadata?.name
        if (name !== undefined) this.#labels.set(name, Object.freeze({ ...(ns.metadata?.labels ?? {}) }))
      },
      remove: (ns) => { if (ns.metadata?.name !== undefined) this.#labels.delete(ns.metadata.name) },
      synced: () => logger.info({ namespaces: this.#labels.size }, 'namespace cache synced'),
    })
  }

  labels(namespace: string): Readonly<Record<string, string>> | undefined {
    return this.#watch.synced ? this.#labels.get(namespace) : undefined
  }

  status(): NamespaceCacheStatus {
    return { ...this.#watch.status(), namespaces: this.#labels.size }
  }

  /** Starts listing and watching; retries on failure until stop(). Resolves once the first attempt is over. */
  start(): Promise<void> {
    return this.#watch.start()
  }

  /** Resolves at the first successful list, or after `ms`, whichever is first; true if synced. */
  waitForSync(ms: number): Promise<boolean> {
    return this.#watch.waitForSync(ms)
  }

  stop(): Promise<void> {
    return this.#watch.stop()
  }
}
