// volume-mounts: each volumeMounts[].name must name a volume of the pod (validation.go,
// ValidateVolumeMounts: `Not found`). Not judged on the legacy object, which lacks the pod's volumes.
import type { JsonValue } from '../kube/types.js'
import type { Check, Violation } from '../decision/types.js'

const mountsOf = (v: JsonValue): readonly JsonValue[] => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return []
  const mounts = v['volumeMounts']
  return Array.isArray(mounts) ? mounts : []
}

export const volumeMounts: Check = {
  id: 'volume-mounts',
  origin: 'kubernetes',
  mode: 'enforce',
  run: ({ pod, added }) => {
    const volumes = pod.volumeNames
    if (volumes === undefined) return []
    const out: Violation[] = []
    for (const { index, value } of added) {
      mountsOf(value).forEach((mount, m) => {
        if (typeof mount !== 'object' || mount === null || Array.isArray(mount)) return
        const name = mount['name']
        if (typeof name !== 'string' || name === '' || volumes.has(name)) return
        out.push({ origin: 'kubernetes', rule: 'volume-mounts', field: `${pod.listField}[${index}].volumeMounts[${m}].name`, type: 'NotFound', value: name, containerIndex: index })
      })
    }
    return out
  },
}
