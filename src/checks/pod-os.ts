// pod-os: validateLinux and validateWindows, which ValidatePodSpec runs over every container when
// spec.os.name is linux or windows: a linux pod's containers may not set securityContext.windowsOptions;
// a windows pod's containers may not set the Linux-only securityContext fields (kubectl debug's default
// profile adds capabilities SYS_PTRACE, so it is refused in a windows pod). Reported after every
// container's own errors and the host-process and host-users ones. An unknown os name makes Kubernetes
// skip both; it is a pod field an ephemeral container cannot change, so it is not judged here. The
// legacy EphemeralContainers object lacks the pod spec: not judged there.
import type { Check } from '../decision/types.js'
import { AFTER_CONTAINERS, forEachPodContainer, isSet, objectAt, podContainerPath, reportingCheck, stringAt } from './support/fields.js'

/** validateWindows' container fields, in its order. */
const LINUX_ONLY = ['appArmorProfile', 'seLinuxOptions', 'seccompProfile', 'capabilities', 'readOnlyRootFilesystem', 'privileged', 'allowPrivilegeEscalation', 'procMount', 'runAsUser', 'runAsGroup']

export const podOs: Check = reportingCheck('pod-os', ({ pod }, reportFor) => {
  const spec = pod.spec
  const os = stringAt(objectAt(spec, 'os'), 'name')
  if (spec === undefined || (os !== 'linux' && os !== 'windows')) return
  const report = reportFor(AFTER_CONTAINERS)
  forEachPodContainer(spec, (container, list, i) => {
    const sc = objectAt(container, 'securityContext')
    if (sc === undefined) return
    const path = podContainerPath(list, i)
    if (os === 'linux') {
      if (isSet(sc, 'windowsOptions')) report(`${path}.securityContext.windowsOptions`, 'Forbidden', undefined, 'windows options cannot be set for a linux pod')
    } else {
      for (const key of LINUX_ONLY) if (isSet(sc, key)) report(`${path}.securityContext.${key}`, 'Forbidden', undefined, 'cannot be set for a windows pod')
    }
  })
})
