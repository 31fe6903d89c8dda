// static-pod: a static pod's API mirror (annotated kubernetes.io/config.mirror) cannot take ephemeral
// containers (validation.go, ValidatePodEphemeralContainersUpdate: this one Forbidden error replaces every
// other, at field.NewPath(""), which the API server prints as `[]`).
import type { Check } from '../decision/types.js'
import { STATIC_POD_RULE } from '../decision/violations.js'

export const staticPod: Check = {
  id: STATIC_POD_RULE,
  origin: 'kubernetes',
  mode: 'enforce',
  run: ({ oldPod }) =>
    oldPod.isMirrorPod
      ? [{ origin: 'kubernetes', rule: 'static-pod', field: '[]', type: 'Forbidden', detail: 'static pods do not support ephemeral containers', containerIndex: -1 }]
      : [],
}
