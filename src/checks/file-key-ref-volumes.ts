// file-key-ref-volumes: validateFileKeyRefVolumes, the last step of ValidatePodSpec: every
// env[].valueFrom.fileKeyRef of every container must name a volume of the pod (`Not found`, also for
// "") that is an emptyDir. Reported after every other error of the pod. The legacy
// EphemeralContainers object lacks the pod spec: not judged there.
import { isJsonObject } from '../kube/types.js'
import type { Check } from '../decision/types.js'
import { AFTER_CONTAINERS, forEachPodContainer, isSet, listAt, objectAt, podContainerPath, reportingCheck, stringAt } from './support/fields.js'

export const fileKeyRefVolumes: Check = reportingCheck('file-key-ref-volumes', ({ pod }, reportFor) => {
  const spec = pod.spec
  if (spec === undefined) return
  const report = reportFor(AFTER_CONTAINERS)
  // name → whether it is an emptyDir; the last volume of a name wins, as in Kubernetes' map. Made at
  // the first fileKeyRef: most pods have none.
  let emptyDir: Map<string, boolean> | undefined
  const volumes = (): Map<string, boolean> => {
    const out = new Map<string, boolean>()
    for (const v of listAt(spec, 'volumes')) {
      const name = isJsonObject(v) ? stringAt(v, 'name') : undefined
      if (name !== undefined) out.set(name, isSet(v, 'emptyDir'))
    }
    return out
  }
  forEachPodContainer(spec, (container, list, i) => {
    const env = container['env']
    if (!Array.isArray(env)) return
    for (let j = 0; j < env.length; j++) {
      const envVar = env[j]
      const ref = isJsonObject(envVar) ? objectAt(objectAt(envVar, 'valueFrom'), 'fileKeyRef') : undefined
      const volumeName = ref === undefined ? undefined : stringAt(ref, 'volumeName')
      if (volumeName === undefined) continue
      const at = `${podContainerPath(list, i)}.env[${j}].valueFrom.fileKeyRef.volumeName`
      const isEmptyDir = (emptyDir ??= volumes()).get(volumeName)
      if (isEmptyDir === undefined) report(at, 'NotFound', volumeName)
      else if (!isEmptyDir) report(at, 'Invalid', volumeName, 'referenced volume must be of type emptyDir')
    }
  })
})
