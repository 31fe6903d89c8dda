// pull-policy: by default a debug image pinned by digest is pulled IfNotPresent (the digest fixes the
// content) and any other Always, so a node's cached `busybox:latest` or a retagged image is never run
// unchecked. spec.mutations.imagePullPolicy changes the two values or turns this off (preserve).
// An image that does not parse is left alone (the validating webhook judges it).
import { parseImageReference } from '../../image/reference.js'
import type { JsonObject } from '../../kube/types.js'
import type { Mutations } from '../types.js'

/** Used when the policy file names no imagePullPolicy. */
export const DEFAULT_PULL_POLICY = Object.freeze({ pinned: 'IfNotPresent', unpinned: 'Always' } as const)

export function withPullPolicy(container: JsonObject, policy: Mutations['pullPolicy']): JsonObject {
  const image = container['image']
  if (policy === undefined || typeof image !== 'string') return container
  const parsed = parseImageReference(image)
  if (!parsed.ok) return container
  const want = parsed.value.digest === undefined ? policy.unpinned : policy.pinned
  return container['imagePullPolicy'] === want ? container : { ...container, imagePullPolicy: want }
}
