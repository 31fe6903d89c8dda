// Runs one Kubernetes check on a pod built from storedPod(), and returns its violations as Kubernetes
// prints them (`field: body`), in the check's own order.
import type { Check } from '../../src/decision/types.js'
import { toPodView } from '../../src/decision/pod-view.js'
import { formatViolation } from '../../src/decision/violations.js'
import type { JsonObject, JsonValue } from '../../src/kube/types.js'
import { storedPod } from '../support/reviews.js'

export interface RunOptions {
  /** Merged into the new pod's spec, key by key. */
  readonly podSpec?: JsonObject
  /** Merged into the stored (old) pod's spec; podSpec's when absent. */
  readonly oldPodSpec?: JsonObject
  /** Ephemeral containers the pod holds already. */
  readonly existing?: readonly JsonValue[]
  readonly shape?: 'Pod' | 'EphemeralContainers'
}

function pod(spec: JsonObject | undefined, list: readonly JsonValue[], shape: RunOptions['shape']): JsonObject {
  const p = storedPod()
  if (shape === 'EphemeralContainers') return { kind: 'EphemeralContainers', apiVersion: 'v1', metadata: p['metadata'] as JsonObject, ephemeralContainers: [...list] }
  return { ...p, spec: { ...(p['spec'] as JsonObject), ...spec, ephemeralContainers: [...list] } }
}

export function runCheck(check: Check, added: readonly JsonValue[], o: RunOptions = {}): string[] {
  const existing = o.existing ?? []
  const newPod = toPodView(pod(o.podSpec, [...existing, ...added], o.shape), 'object')
  const oldPod = toPodView(pod(o.oldPodSpec ?? o.podSpec, existing, o.shape), 'oldObject')
  const requester = { namespace: 'shop', username: 'alice@example.com', groups: [], dryRun: false }
  const violations = check.run({ pod: newPod, oldPod, added: added.map((value, i) => ({ index: existing.length + i, value })), removed: [], changed: [], requester })
  return violations.map(formatViolation)
}

/** An ephemeral container with the given fields, and the ones the API server defaults. */
export const ec = (fields: JsonObject = {}, name = 'debugger'): JsonObject =>
  ({ name, image: 'busybox:1.36', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent', ...fields })
