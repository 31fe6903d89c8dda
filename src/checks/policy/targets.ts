// targets: which container of the pod a new container may target (kubectl debug --target).
//
//   targets: {requireTarget: BOOL, denyContainers: [NAME...]}
//
//   requireTarget: true   .targetContainerName unset or "": Required
//                         `must name the container to debug (kubectl debug --target)`
//   denyContainers        .targetContainerName listed: Forbidden `container "<name>" may not be targeted`
// A targetContainerName that is no string: Invalid `must be string`. A missing target is reported
// with the rule's other missing fields, first.
import { isJsonObject } from '../../kube/types.js'
import { containerViolation, own, type ContainerCheck } from './types.js'

export interface TargetsSpec {
  readonly requireTarget?: boolean
  readonly denyContainers?: readonly string[]
}

const FIELD = 'targetContainerName'
const NAME_IT = 'must name the container to debug (kubectl debug --target)'

/** undefined when the spec requires nothing (requireTarget false and no denied container). */
export function targetsCheck(spec: TargetsSpec, rule: string): ContainerCheck | undefined {
  const deny = spec.denyContainers ?? []
  const requireTarget = spec.requireTarget === true
  if (!requireTarget && deny.length === 0) return undefined
  return {
    name: 'targets',
    description: [requireTarget ? 'targetContainerName is set' : '', deny.length > 0 ? `targetContainerName is none of: ${deny.join(', ')}` : ''].filter(Boolean).join('; '),
    missing: (container, at) => (requireTarget && isJsonObject(container) && own(container, FIELD) === undefined ? [containerViolation(rule, at, [FIELD], 'Required', NAME_IT)] : []),
    run: (container, at) => {
      const target = own(container, FIELD)
      if (target === undefined) return []
      if (typeof target !== 'string') return [containerViolation(rule, at, [FIELD], 'Invalid', 'must be string', target)]
      if (deny.includes(target)) return [containerViolation(rule, at, [FIELD], 'Forbidden', `container ${JSON.stringify(target)} may not be targeted`, target)]
      return requireTarget && target === '' ? [containerViolation(rule, at, [FIELD], 'Required', NAME_IT, target)] : []
    },
  }
}
