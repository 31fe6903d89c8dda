// existing-unchanged: ephemeral containers already in the pod may be neither removed nor changed
// (validation.go, ValidatePodEphemeralContainersUpdate: one Forbidden error per container, in the old
// pod's order, each detail ending in a newline; "may not be changed" followed by the diff of go-diff.ts).
// Containers are matched by name, and when the new list holds a name twice the last one is compared,
// as Kubernetes indexes the new list by name.
import { isDeepStrictEqual } from 'node:util'
import { containerName } from '../decision/pod-view.js'
import type { JsonValue } from '../kube/types.js'
import type { Check, Violation } from '../decision/types.js'
import { containerDiff } from './go-diff.js'
import { goQuote } from '../kube/go-text.js'

export const existingUnchanged: Check = {
  id: 'existing-unchanged',
  origin: 'kubernetes',
  mode: 'enforce',
  run: ({ pod, oldPod }) => {
    if (oldPod.ephemeralContainers.length === 0) return [] // nothing to remove or change
    const forbid = (detail: string): Violation =>
      ({ origin: 'kubernetes', rule: 'existing-unchanged', field: pod.listField, type: 'Forbidden', detail, containerIndex: -1 })
    const latest = new Map<string, JsonValue>()
    for (const entry of pod.ephemeralContainers) latest.set(containerName(entry) ?? '', entry)
    const out: Violation[] = []
    for (const old of oldPod.ephemeralContainers) {
      const name = containerName(old) ?? ''
      const now = latest.get(name)
      if (now === undefined) out.push(forbid(`existing ephemeral containers ${goQuote(name)} may not be removed\n`))
      else if (!isDeepStrictEqual(old, now)) out.push(forbid(`existing ephemeral containers ${goQuote(name)} may not be changed\n${containerDiff(old, now)}`))
    }
    return out
  },
}
