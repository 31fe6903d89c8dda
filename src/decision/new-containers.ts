import { isDeepStrictEqual } from 'node:util'
import type { AddedContainer } from './types.js'
import { containerName, type PodView } from './pod-view.js'

export interface EphemeralContainerChanges {
  /** In object but not, by name, in oldObject; in object's order. */
  readonly added: readonly AddedContainer[]
  /** Names in oldObject that object lacks, in oldObject's order. */
  readonly removed: readonly string[]
  /** Names in both whose entries differ, in oldObject's order. */
  readonly changed: readonly string[]
}

/**
 * Matches ephemeral containers by name, never by index, as ValidatePodEphemeralContainersUpdate does:
 * reordering is fine, removing or changing an existing one is not. An entry with no usable name is new.
 */
export function diffEphemeralContainers(pod: PodView, oldPod: PodView): EphemeralContainerChanges {
  const old = new Map<string, (typeof oldPod.ephemeralContainers)[number]>()
  for (const entry of oldPod.ephemeralContainers) {
    const name = containerName(entry)
    if (name !== undefined && !old.has(name)) old.set(name, entry)
  }
  const seen = new Set<string>()
  const added: AddedContainer[] = []
  const changed = new Set<string>()
  pod.ephemeralContainers.forEach((value, index) => {
    const name = containerName(value)
    if (name === undefined || !old.has(name) || seen.has(name)) {
      added.push({ index, value })
      return
    }
    seen.add(name)
    if (!isDeepStrictEqual(value, old.get(name))) changed.add(name)
  })
  const oldNames = [...old.keys()]
  return { added, removed: oldNames.filter((n) => !seen.has(n)), changed: oldNames.filter((n) => changed.has(n)) }
}
