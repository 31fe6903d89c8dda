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
    // A name is taken by a container, an init container or an earlier ephemeral container. Judged:
    // the entries of `added`, which decide() makes every entry of the list (then no set is needed).
    const list = pod.ephemeralContainers
    const judged = added.length === list.length ? undefined : new Set(added.map((a) => a.index))
    const earlier = new Set<string>()
    const out: Violation[] = []
    for (let index = 0; index < list.length; index++) {
      const name = containerName(list[index]!) ?? ''
      if ((earlier.has(name) || pod.containerNames?.has(name) === true || pod.initContainerNames?.has(name) === true) && (judged === undefined || judged.has(index))) {
        out.push({ origin: 'kubernetes', rule: 'unique-names', field: `${pod.listField}[${index}].name`, type: 'Duplicate', value: name, containerIndex: index })
      }
      earlier.add(name)
    }
    return out
  },
}
