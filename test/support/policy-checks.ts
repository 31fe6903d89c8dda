// Table-test helpers for the built-in policy checks (src/checks/policy/): a violation as a short row
// `[field below the container, type, detail, value?]`, and inputs built from plain objects.
import type { JsonValue } from '../../src/kube/types.js'
import type { CheckInput, FieldErrorType, Violation } from '../../src/decision/types.js'
import { toPodView } from '../../src/decision/pod-view.js'
import type { ContainerAt, ContainerCheck } from '../../src/checks/policy/types.js'

export type Row = [field: string, type: FieldErrorType, detail: string, value?: JsonValue]

export const AT: ContainerAt = { index: 0, field: 'spec.ephemeralContainers[0]' }

const row = (v: Violation): Row => {
  const out: Row = [v.field.slice(AT.field.length), v.type, v.detail ?? '']
  if (v.value !== undefined) out.push(v.value)
  return out
}

/** What a rule lists for one container from this check, in a pod (podInput() unless given): its missing fields, then the rest. */
export const judge = (check: ContainerCheck, container: JsonValue, input: CheckInput = podInput()): Row[] =>
  [...(check.missing?.(container, AT, input) ?? []), ...check.run(container, AT, input)].map(row)

/** A check input for a pod with `ephemeral` ephemeral containers (the last one new), asked by a requester. */
export function podInput(o: { username?: string; groups?: string[]; ephemeral?: number; legacy?: boolean } = {}): CheckInput {
  const list = Array.from({ length: o.ephemeral ?? 1 }, (_, i) => ({ name: `debugger-${i}`, image: 'busybox' }))
  const pod = toPodView(o.legacy ? { kind: 'EphemeralContainers', metadata: { name: 'p' }, ephemeralContainers: list } : { kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'app' }], ephemeralContainers: list } }, 'object')
  const oldPod = toPodView({ kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'app' }] } }, 'oldObject')
  return {
    pod,
    oldPod,
    added: [{ index: list.length - 1, value: list[list.length - 1]! }],
    removed: [],
    changed: [],
    requester: { namespace: 'shop', username: o.username ?? 'alice', groups: o.groups ?? [], dryRun: false },
  }
}
