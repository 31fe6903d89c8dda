// existing-unchanged: ephemeral containers already in the pod may be neither removed nor changed
// (validation.go, ValidatePodEphemeralContainersUpdate: one Forbidden error per container, in the old
// pod's order). Kubernetes appends a go-cmp diff to "may not be changed"; ephemeral-guard does not.
import type { Check, Violation } from '../decision/types.js'

export const existingUnchanged: Check = {
  id: 'existing-unchanged',
  origin: 'kubernetes',
  mode: 'enforce',
  run: ({ pod, removed, changed }) => {
    const forbid = (detail: string): Violation =>
      ({ origin: 'kubernetes', rule: 'existing-unchanged', field: pod.listField, type: 'Forbidden', detail, containerIndex: -1 })
    return [
      ...removed.map((n) => forbid(`existing ephemeral containers ${JSON.stringify(n)} may not be removed`)),
      ...changed.map((n) => forbid(`existing ephemeral containers ${JSON.stringify(n)} may not be changed`)),
    ]
  },
}
