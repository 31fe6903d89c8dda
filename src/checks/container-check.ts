// The shape of most of Kubernetes' container checks: one judgement per ephemeral container of the new
// pod, its violations addressed relative to the container (spec.ephemeralContainers[i].<field>).
import type { JsonValue } from '../kube/types.js'
import type { Check, CheckInput, FieldErrorType } from '../decision/types.js'
import { reportingCheck } from './support/fields.js'

/** A violation relative to one container: `field` is appended to the container's path ('' for itself). */
export interface ContainerFinding {
  readonly field: string
  readonly type: FieldErrorType
  readonly value?: JsonValue
  readonly detail?: string
}

export function containerCheck(id: string, judge: (container: JsonValue, input: CheckInput) => readonly ContainerFinding[]): Check {
  return reportingCheck(id, (input, reportFor) => {
    for (const { index, value } of input.added) {
      const findings = judge(value, input)
      if (findings.length === 0) continue
      const report = reportFor(index)
      for (const f of findings) report(`${input.pod.listField}[${index}]${f.field === '' ? '' : `.${f.field}`}`, f.type, f.value, f.detail)
    }
  })
}
