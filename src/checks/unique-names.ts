// unique-names: an ephemeral container's name must be unique across containers, initContainers and
// ephemeralContainers (validation.go, validateEphemeralContainers: `Duplicate value`). Every entry of
// the list is judged, existing ones included; an empty name counts too (a second one is a duplicate).
import { containerName } from '../decision/pod-view.js'
import type { Check, Violation } from '../decision/types.js'

export const uniqueNames: Check = {
  id: 'unique-names',
  origin: 'kubernetes',
  mode: 'enforce',
  run: ({ pod, added }) => {
    const taken = new Set<string>([...(pod.containerNames ?? []), ...(pod.initContainerNames ?? [])])
    const addedIndexes = new Set(added.map((a) => a.index))
    const out: Violation[] = []
    pod.ephemeralContainers.forEach((entry, index) => {
      const name = containerName(entry) ?? ''
      if (taken.has(name) && addedIndexes.has(index)) {
        out.push({ origin: 'kubernetes', rule: 'unique-names', field: `${pod.listField}[${index}].name`, type: 'Duplicate', value: name, containerIndex: index })
      }
      taken.add(name)
    })
    return out
  },
}
