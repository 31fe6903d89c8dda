// host-users: the part of validateHostUsers an added container can break: in a pod with
// hostUsers: false (a user namespace), no container may have volumeDevices (they support neither
// idmap mounts nor chown) — unless the stored pod already has such a container, which Kubernetes keeps
// updatable. Reported on the container's volumeDevices, after every container's own errors. The
// host-namespace parts (hostNetwork, hostPID, hostIPC) are pod fields an ephemeral container cannot
// change. The legacy EphemeralContainers object lacks the pod spec: not judged there.
import type { Check } from '../decision/types.js'
import { AFTER_CONTAINERS, forEachPodContainer, listAt, podContainerPath, reportingCheck } from './support/fields.js'
import type { JsonObject } from '../kube/types.js'

const hasVolumeDevices = (spec: JsonObject): boolean => {
  let found = false
  forEachPodContainer(spec, (container) => { found ||= listAt(container, 'volumeDevices').length > 0 })
  return found
}

export const hostUsers: Check = reportingCheck('host-users', ({ pod, oldPod }, reportFor) => {
  const spec = pod.spec
  if (spec?.['hostUsers'] !== false) return
  const old = oldPod.spec
  if (old !== undefined && old['hostUsers'] === false && hasVolumeDevices(old)) return
  const report = reportFor(AFTER_CONTAINERS)
  forEachPodContainer(spec, (container, list, i) => {
    if (listAt(container, 'volumeDevices').length > 0) report(`${podContainerPath(list, i)}.volumeDevices`, 'Forbidden', undefined, 'when `hostUsers` is false')
  })
})
