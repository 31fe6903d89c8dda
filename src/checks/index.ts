// The check registry: an explicit, ordered list. Order is part of the contract: it fixes the order of
// violations in a denial for the same container. A test keeps every file of this folder in the list.
import { envFrom } from './env-from.js'
import { env } from './env.js'
import { existingUnchanged } from './existing-unchanged.js'
import { fileKeyRefVolumes } from './file-key-ref-volumes.js'
import { hostProcess } from './host-process.js'
import { hostUsers } from './host-users.js'
import { podOs } from './pod-os.js'
import { fileSchemaCheck } from './schema-check.js'
import { securityContext } from './security-context.js'
import { staticPod } from './static-pod.js'
import { targetContainer } from './target-container.js'
import type { Check } from '../decision/types.js'
import { uniqueNames } from './unique-names.js'
import { volumeDevices } from './volume-devices.js'
import { volumeMounts } from './volume-mounts.js'

/** Kubernetes' own restrictions (schemas/kubernetes/), judged first: a 422 in the API server. */
export const kubernetesChecks: readonly Check[] = assertRegistry([
  staticPod,
  existingUnchanged,
  fileSchemaCheck('container-fields', 'kubernetes', 'kubernetes/ephemeral-container.schema.json'),
  uniqueNames,
  targetContainer,
  // validateContainerCommon's order for each container: env, envFrom, volumeMounts, volumeDevices, …, securityContext.
  env,
  envFrom,
  volumeMounts,
  volumeDevices,
  securityContext,
  // ValidatePodSpec's rules over all containers, after every container's errors (containerIndex AFTER_CONTAINERS), in its order.
  hostProcess,
  hostUsers,
  podOs,
  fileKeyRefVolumes,
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
