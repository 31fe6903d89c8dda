// The fidelity corpus: ephemeral-container requests sent to the real API server by the e2e suite
// (server-side dry run) and judged by ephemeral-guard, whose answers must be the same. Each category
// has its own file here and its own recording under test/fixtures/fidelity/<category>.json.
import type { JsonObject, JsonValue } from '../../../src/kube/types.js'

export type Category =
  | 'whitespace-quoting'
  | 'messages'
  | 'order'
  | 'which-containers'
  | 'validated-then-forbidden'
  | 'subpath'
  | 'ephemeral-rules'
  | 'refused-before-admission'
  | 'env'
  | 'volume-mounts'
  | 'volume-devices'
  | 'security-context'
  | 'pod-level'

export interface FidelityCase {
  /** Unique and stable, `<category>/<slug>`: the recording is keyed by it. */
  readonly id: string
  readonly category: Category
  /** What the case shows, in a few words. */
  readonly about: string
  /** Merged into the base pod's spec before the pod is created (os, hostUsers, volumes, …); a key set to null is removed. */
  readonly podSpec?: JsonObject
  /** Merged into the base pod's metadata before the pod is created. */
  readonly podMetadata?: JsonObject
  /** Ephemeral containers added for real before the case is sent. */
  readonly existing?: readonly JsonValue[]
  /** Appended to `existing` in the dry-run PUT of pods/<pod>/ephemeralcontainers. */
  readonly added: readonly JsonValue[]
  /** When given, the exact ephemeralContainers list of the dry-run PUT instead of existing + added. */
  readonly list?: readonly JsonValue[]
  /**
   * Set when Kubernetes refuses for something no webhook can see: an empty list or map (ports: [],
   * resources.limits: {}) is "set" for Kubernetes' allow-list, but the API server omits it when it
   * serializes the object for webhooks. Says why; the unit suite then checks that the recorded request
   * indeed looks valid and that ephemeral-guard admits it (Kubernetes refuses it anyway).
   */
  readonly invisible?: string
  /** The dry-run PUT's ?fieldValidation= (the API server's default, Warn, when absent). */
  readonly fieldValidation?: 'Strict' | 'Warn' | 'Ignore'
}
