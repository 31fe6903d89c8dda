// pull-policy: a debug image pinned by digest is pulled IfNotPresent (the digest fixes the content);
// any other is pulled Always, so a node's cached `busybox:latest` or a retagged image is never run
// unchecked. Only newly added containers with an image that parses are touched.
import { parseImageReference } from '../image/reference.js'
import type { AddedContainer } from '../checks/types.js'
import type { PodView } from '../admission/pod-view.js'
import { pointer, setMember, type JsonPatchOperation } from './json-patch.js'

export function pullPolicyPatch(pod: PodView, added: readonly AddedContainer[]): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = []
  for (const { index, value } of added) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue
    const image = value['image']
    if (typeof image !== 'string') continue
    const parsed = parseImageReference(image)
    if (!parsed.ok) continue
    const want = parsed.reference.digest === undefined ? 'Always' : 'IfNotPresent'
    if (value['imagePullPolicy'] === want) continue
    ops.push(setMember(pointer(pod.listPointer, index, 'imagePullPolicy'), Object.hasOwn(value, 'imagePullPolicy'), want))
  }
  return ops
}
