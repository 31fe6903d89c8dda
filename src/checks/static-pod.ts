// static-pod: a static pod's API mirror (annotated kubernetes.io/config.mirror) cannot take ephemeral
// containers (validation.go, ValidatePodEphemeralContainersUpdate: one Forbidden error, empty path).
import type { Check } from '../decision/types.js'

export const staticPod: Check = {
  id: 'static-pod',
  origin: 'kubernetes',
  mode: 'enforce',
  run: ({ oldPod }) =>
    oldPod.isMirrorPod
      ? [{ origin: 'kubernetes', rule: 'static-pod', field: '', type: 'Forbidden', detail: 'static pods do not support ephemeral containers', containerIndex: -1 }]
      : [],
}
