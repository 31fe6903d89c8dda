// The pod of a fidelity case: storedPod()'s pod as something one can create, with the case's podSpec and
// podMetadata merged in.
import type { JsonObject, JsonValue } from '../../src/kube/types.js'
import { storedPod } from '../support/reviews.js'
import type { FidelityCase } from './corpus/types.js'

/**
 * storedPod()'s pod as something one can create: same labels, containers, initContainers, volumes and
 * pod-level settings. Left out: status, and the metadata the API server assigns (uid, resourceVersion,
 * creationTimestamp, generateName); ownerReferences (no ReplicaSet exists here); spec.nodeName (it
 * would bind the pod to a node that does not exist), unless a case sets it. The case's podSpec and
 * podMetadata are merged in, key by key; a podSpec key set to null is left out.
 */
export function mirroredPod(name: string, extra: Pick<FidelityCase, 'podSpec' | 'podMetadata'> = {}): JsonObject {
  const stored = storedPod()
  const { nodeName: _nodeName, ...spec } = stored['spec'] as JsonObject
  const labels = (stored['metadata'] as JsonObject)['labels'] as JsonValue
  const merged = Object.entries({ ...spec, ...extra.podSpec }).filter(([, v]) => v !== null)
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels, ...extra.podMetadata }, spec: Object.fromEntries(merged) }
}

/** The ephemeralContainers list of the case's dry-run PUT. */
export const listOf = (c: FidelityCase): readonly JsonValue[] => c.list ?? [...(c.existing ?? []), ...c.added]
