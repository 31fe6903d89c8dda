// maxEphemeralContainers: how many ephemeral containers a pod may have.
//
//   maxEphemeralContainers: N
//
// Counts every ephemeral container the pod will have, existing ones included; more than N is
// Forbidden at the ephemeral container list, once per request:
// `at most N ephemeral containers per pod; this request makes M`.
import { podViolation, type PodCheck } from './types.js'

export function maxEphemeralContainersCheck(max: number, rule: string): PodCheck {
  return {
    name: 'maxEphemeralContainers',
    description: `at most ${max} per pod, existing ones included`,
    run: (input) => (input.pod.ephemeralContainers.length <= max ? []
      : [podViolation(rule, input, `at most ${max} ephemeral containers per pod; this request makes ${input.pod.ephemeralContainers.length}`)]),
  }
}
