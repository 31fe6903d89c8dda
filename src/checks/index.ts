// The check registry: an explicit, ordered list. Order is part of the contract: Kubernetes' checks are
// listed in the order the API server validates (validation.go), so that the violations of one
// container come out as Kubernetes lists them: validateContainerCommon field by field, then
// validateContainerOnlyForPod, then validateEphemeralContainers' own rules (unique name, target,
// allow-list, subPath set at all); then the pod-level rules of ValidatePodSpec; then the update rules of
// ValidatePodEphemeralContainersUpdate. A test keeps every file of this folder in the list.
import { containerImage } from './container-image.js'
import { containerName } from './container-name.js'
import { containerPorts } from './container-ports.js'
import { containerResources } from './container-resources.js'
import { envFrom } from './env-from.js'
import { env } from './env.js'
import { ephemeralAllowList } from './ephemeral-allow-list.js'
import { existingUnchanged } from './existing-unchanged.js'
import { fileKeyRefVolumes } from './file-key-ref-volumes.js'
import { hostProcess } from './host-process.js'
import { hostUsers } from './host-users.js'
import { imagePullPolicy } from './image-pull-policy.js'
import { imageWhitespace } from './image-whitespace.js'
import { podOs } from './pod-os.js'
import { resizePolicy } from './resize-policy.js'
import { securityContext } from './security-context.js'
import { staticPod } from './static-pod.js'
import { targetContainer } from './target-container.js'
import { terminationMessagePolicy } from './termination-message-policy.js'
import type { Check } from '../decision/types.js'
import { uniqueNames } from './unique-names.js'
import { volumeDevices } from './volume-devices.js'
import { volumeMounts } from './volume-mounts.js'

/** Kubernetes' own restrictions, judged first: a 422 in the API server. */
export const kubernetesChecks: readonly Check[] = assertRegistry([
  staticPod,
  // validateContainerCommon
  containerName,
  containerImage,
  terminationMessagePolicy,
  containerPorts,
  env,
  envFrom,
  volumeMounts,
  volumeDevices,
  imagePullPolicy,
  containerResources,
  resizePolicy,
  securityContext,
  // validateContainerOnlyForPod
  imageWhitespace,
  // validateEphemeralContainers
  uniqueNames,
  targetContainer,
  ephemeralAllowList,
  // ValidatePodSpec's rules over all containers (containerIndex -1: after every container's errors), in its order
  hostProcess,
  hostUsers,
  podOs,
  fileKeyRefVolumes,
  // ValidatePodEphemeralContainersUpdate
  existingUnchanged,
])

/** Fails at start if the registry is malformed: ids must be unique DNS-1123 labels. */
export function assertRegistry(checks: readonly Check[]): readonly Check[] {
  const seen = new Set<string>()
  for (const c of checks) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(c.id)) throw new Error(`check id ${JSON.stringify(c.id)} is not a DNS-1123 label`)
    if (seen.has(c.id)) throw new Error(`check id ${JSON.stringify(c.id)} is registered twice`)
    seen.add(c.id)
  }
  return checks
}
