// file-key-ref-volumes: validateFileKeyRefVolumes, the last step of ValidatePodSpec: every
// env[].valueFrom.fileKeyRef of every container must name a volume of the pod (`Not found`, also for
// "") that is an emptyDir. Reported after every other error of the pod. The legacy
// EphemeralContainers object lacks the pod spec: not judged there.
import { isJsonObject } from '../kube/types.js'
import type { Check } from '../decision/types.js'
import { AFTER_CONTAINERS, isSet, listAt, objectAt, podContainers, reportingCheck, stringAt } from './support/fields.js'

export const fileKeyRefVolumes: Check = reportingCheck('file-key-ref-volumes', ({ pod }, reportFor) => {
  const spec = pod.spec
  if (spec === undefined) return
  const report = reportFor(AFTER_CONTAINERS)
  // name → whether it is an emptyDir; the last volume of a name wins, as in Kubernetes' map.
  const emptyDir = new Map<string, boolean>()
  for (const v of listAt(spec, 'volumes')) {
    const name = isJsonObject(v) ? stringAt(v, 'name') : undefined
    if (name !== undefined) emptyDir.set(name, isSet(v, 'emptyDir'))
  }
  for (const { container, path } of podContainers(spec)) {
    listAt(container, 'env').forEach((envVar, j) => {
      const ref = isJsonObject(envVar) ? objectAt(objectAt(envVar, 'valueFrom'), 'fileKeyRef') : undefined
      const volumeName = ref === undefined ? undefined : stringAt(ref, 'volumeName')
      if (volumeName === undefined) return
      const at = `${path}.env[${j}].valueFrom.fileKeyRef.volumeName`
      const isEmptyDir = emptyDir.get(volumeName)
      if (isEmptyDir === undefined) report(at, 'NotFound', volumeName)
      else if (!isEmptyDir) report(at, 'Invalid', volumeName, 'referenced volume must be of type emptyDir')
    })
  }
})
