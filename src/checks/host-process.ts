// host-process: validateWindowsHostProcessPod, which ValidatePodSpec runs over every container of the
// pod, so an added container can break it: a container's windowsOptions.hostProcess must equal the
// pod's when both are set; if any container is a HostProcess container (set, or inherited from the
// pod), all must be, and the pod must use the host network. Reported after every container's own
// errors (ValidatePodSpec's order: host-process, host-users, pod-os, file-key-ref-volumes). Not judged:
// "hostProcess containers are disallowed by cluster policy" (--allow-privileged=false, a flag a
// webhook cannot read). The legacy EphemeralContainers object lacks the pod spec: not judged there.
import type { Check } from '../decision/types.js'
import { AFTER_CONTAINERS, forEachPodContainer, object, podContainerPath, reportingCheck } from './support/fields.js'
import type { JsonObject } from '../kube/types.js'

const hostProcessOf = (o: JsonObject): boolean | undefined => {
  const v = object(object(o['securityContext'])?.['windowsOptions'])?.['hostProcess']
  return typeof v === 'boolean' ? v : undefined
}

export const hostProcess: Check = reportingCheck('host-process', ({ pod }, reportFor) => {
  const spec = pod.spec
  if (spec === undefined) return
  const report = reportFor(AFTER_CONTAINERS)
  const podHostProcess = hostProcessOf(spec)
  let containers = 0
  let hostProcessContainers = 0
  forEachPodContainer(spec, (container, list, i) => {
    containers++
    const own = hostProcessOf(container)
    if (podHostProcess !== undefined && own !== undefined && own !== podHostProcess) {
      report(`${podContainerPath(list, i)}.securityContext.windowsOptions.hostProcess`, 'Invalid', own, `pod hostProcess value must be identical if both are specified, was ${podHostProcess}`)
    }
    if (own ?? podHostProcess) hostProcessContainers++
  })
  if (hostProcessContainers > 0) {
    if (hostProcessContainers !== containers) report('spec', 'Invalid', '', 'If pod contains any hostProcess containers then all containers must be HostProcess containers')
    if (spec['hostNetwork'] !== true) report('spec.hostNetwork', 'Invalid', false, 'hostNetwork must be true if pod contains any hostProcess containers')
  }
})
