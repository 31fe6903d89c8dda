// target-container: targetContainerName, when set, must name a container or init container of the pod,
// never an ephemeral one (validation.go, validateEphemeralContainers: `Not found`). The legacy
// EphemeralContainers object does not carry the pod's containers, so there the API server's own
// validation is the only judge.
import { isJsonObject, type JsonValue } from '../kube/types.js'
import type { Check, Violation } from '../decision/types.js'

const targetOf = (v: JsonValue): unknown =>
  isJsonObject(v) ? v['targetContainerName'] : undefined

export const targetContainer: Check = {
  id: 'target-container',
  origin: 'kubernetes',
  mode: 'enforce',
  run: ({ pod, added }) => {
    if (pod.containerNames === undefined) return []
    const out: Violation[] = []
    for (const { index, value } of added) {
      const target = targetOf(value)
      if (typeof target !== 'string' || target === '') continue
      if (pod.containerNames.has(target) || pod.initContainerNames?.has(target)) continue
      out.push({ origin: 'kubernetes', rule: 'target-container', field: `${pod.listField}[${index}].targetContainerName`, type: 'NotFound', value: target, containerIndex: index })
    }
    return out
  },
}
