// file-key-ref-volumes: validateFileKeyRefVolumes, the last step of ValidatePodSpec: every
// env[].valueFrom.fileKeyRef of every container must name a volume of the pod (`Not found`, also for
// "") that is an emptyDir. Reported after every other error of the pod. The legacy
// EphemeralContainers object lacks the pod spec: not judged there.
import { isJsonObject } from '../kube/types.js'
import type { Check } from '../decision/types.js'
import { AFTER_CONTAINERS, collector, isSet, listAt, objectAt, podContainers, stringAt } from './support/fields.js'

export const fileKeyRefVolumes: Check = {
  id: 'file-key-ref-volumes',
  origin: 'kubernetes',
  mode: 'enforce',
  run: ({ pod }) => {
    const spec = pod.spec
    if (spec === undefined) return []
    const { violations, reportFor } = collector('file-key-ref-volumes')
    const report = reportFor(AFTER_CONTAINERS)
    // name → whether it is an emptyDir; the last volume of a name wins, as in Kubernetes' map.
    const emptyDir = new Map<string, boolean>()
    for (const v of listAt(spec, 'volumes')) {
      const name = isJsonObject(v) ? stringAt(v, 'name') : undefined
      if (name !== undefined) emptyDir.set(name, isSet(v as Parameters<typeof isSet>[0], 'emptyDir'))
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
    return violations
  },
}
