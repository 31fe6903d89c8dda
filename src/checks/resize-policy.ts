// resize-policy: resizePolicy is validated before the allow-list forbids it (validation.go,
// validateResizePolicy: no resource twice, cpu or memory, NotRequired or RestartContainer, and
// NotRequired only when the pod's restartPolicy is Never).
import { isJsonObject } from '../kube/types.js'
import { containerCheck, type ContainerFinding } from './container-check.js'
import { fieldsOf, list, textAt } from './support/fields.js'

export const resizePolicy = containerCheck('resize-policy', (c, { pod }) => {
  const policies = list(fieldsOf(c)['resizePolicy'])
  if (policies.length === 0) return []
  const out: ContainerFinding[] = []
  const seen = new Set<string>()
  const podRestartPolicy = textAt(pod.spec, 'restartPolicy')
  policies.forEach((p, i) => {
    if (!isJsonObject(p) && p !== null) return
    const resource = textAt(p, 'resourceName')
    if (seen.has(resource)) out.push({ field: `resizePolicy[${i}]`, type: 'Duplicate', value: resource })
    seen.add(resource)
    if (resource === '') out.push({ field: 'resizePolicy', type: 'Required' })
    else if (resource !== 'cpu' && resource !== 'memory') out.push({ field: 'resizePolicy', type: 'NotSupported', value: resource, detail: 'supported values: "cpu", "memory"' })
    const restart = textAt(p, 'restartPolicy')
    if (restart === '') out.push({ field: 'resizePolicy', type: 'Required' })
    else if (restart !== 'NotRequired' && restart !== 'RestartContainer') out.push({ field: 'resizePolicy', type: 'NotSupported', value: restart, detail: 'supported values: "NotRequired", "RestartContainer"' })
    if (podRestartPolicy === 'Never' && restart !== 'NotRequired') out.push({ field: 'resizePolicy', type: 'Invalid', value: restart, detail: "must be 'NotRequired' when pod `restartPolicy` is 'Never'" })
  })
  return out
})
