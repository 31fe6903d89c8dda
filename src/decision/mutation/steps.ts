// The mutating webhook's changes to the new ephemeral containers, as a pure function: each step maps
// a container to a container and is a fixed point (applying it twice changes nothing), and the patch is
// the difference between what was sent and what the steps made, so a second call on the patched object
// gives no patch. Order: registry mirror, pull policy (of the final image), securityContext defaults,
// Pod Security fit, provenance.
import type { PodView } from '../pod-view.js'
import type { AddedContainer } from '../types.js'
import { isJsonObject, type JsonValue } from '../../kube/types.js'
import type { Mutations } from '../types.js'
import { diff, pointer, type JsonPatchOperation } from './json-patch.js'
import { fitPodSecurity, podContextOf, type EnforcePolicy } from './pod-security.js'
import { withProvenance, type Provenance } from './provenance.js'
import { withPullPolicy } from './pull-policy.js'
import { withRegistryMirror } from './registry-mirror.js'
import { withSecurityContextDefaults } from './security-context.js'

export interface MutationInput {
  readonly pod: PodView
  readonly added: readonly AddedContainer[]
  readonly mutations: Mutations
  /** The namespace's enforce policy; undefined when its labels are unknown (no fit, a warning). */
  readonly podSecurity?: EnforcePolicy
  /** Set when provenance is enabled. */
  readonly provenance?: Provenance
}

export interface MutationResult {
  readonly ops: readonly JsonPatchOperation[]
  /** The new containers after mutation, by index in the list. */
  readonly containers: ReadonlyMap<number, JsonValue>
  readonly warnings: readonly string[]
}

export function mutate(input: MutationInput): MutationResult {
  const { pod, added, mutations: m } = input
  const ops: JsonPatchOperation[] = []
  const containers = new Map<number, JsonValue>()
  const warnings: string[] = []
  if (m.podSecurity !== undefined && input.podSecurity === undefined && added.length > 0) {
    warnings.push(`Pod Security fit skipped: the labels of namespace ${JSON.stringify(pod.namespace)} are unknown to ephemeral-guard`)
  }
  for (const { index, value } of added) {
    if (!isJsonObject(value)) continue
    let c = withRegistryMirror(value, m.registryMirrors)
    c = withPullPolicy(c, m.pullPolicy)
    c = withSecurityContextDefaults(c, m.securityContext)
    if (m.podSecurity !== undefined && input.podSecurity !== undefined) {
      const fit = fitPodSecurity(c, `${pod.listField}[${index}]`, podContextOf(pod.spec, c['targetContainerName']), input.podSecurity, pod.namespace)
      c = fit.container
      warnings.push(...fit.warnings)
    }
    if (input.provenance !== undefined) c = withProvenance(c, input.provenance)
    containers.set(index, c)
    ops.push(...diff(pointer(pod.listPointer, index), value, c))
  }
  return { ops, containers, warnings }
}
