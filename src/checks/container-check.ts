// The shape of most of Kubernetes' container checks: one judgement per ephemeral container of the new
// pod, its violations addressed relative to the container (spec.ephemeralContainers[i].<field>).
import type { JsonValue } from '../kube/types.js'
import type { Check, CheckInput, FieldErrorType, Violation } from '../decision/types.js'

/** A violation relative to one container: `field` is appended to the container's path ('' for itself). */
export interface ContainerFinding {
  readonly field: string
  readonly type: FieldErrorType
  readonly value?: JsonValue
  readonly detail?: string
}

export function containerCheck(id: string, judge: (container: JsonValue, input: CheckInput) => readonly ContainerFinding[]): Check {
  return {
    id,
    origin: 'kubernetes',
    mode: 'enforce',
    run: (input) => {
      const out: Violation[] = []
      for (const { index, value } of input.added) {
        for (const f of judge(value, input)) {
          out.push({
            origin: 'kubernetes', rule: id, type: f.type, containerIndex: index,
            field: `${input.pod.listField}[${index}]${f.field === '' ? '' : `.${f.field}`}`,
            ...(f.value === undefined ? {} : { value: f.value }),
            ...(f.detail === undefined ? {} : { detail: f.detail }),
          })
        }
      }
      return out
    },
  }
}
