// The mutating webhook's answer: the patch of mutation/steps.ts, warnings for what only the mutation
// knows (a Pod Security level the container will not pass, a capability it removed), and provenance
// audit annotations. Policy violations are not repeated as warnings: the validating webhook, which
// judges the mutated container, denies them, and kubectl would print each one twice.
import { patched, type Verdict } from './verdict.js'
import type { CheckInput, DecisionContext, Policy } from './types.js'
import { DEFAULT_MUTATIONS } from './mutation/defaults.js'
import { mutate } from './mutation/steps.js'
import { enforcePolicyOf } from './mutation/pod-security.js'
import { envValue, groupsValue, REQUESTED_AT, type Provenance } from './mutation/provenance.js'
import { formatRfc3339 } from '../time.js'

export function mutationVerdict(input: CheckInput, policy: Policy, context: DecisionContext): Verdict {
  const m = policy.mutations ?? DEFAULT_MUTATIONS
  const { pod, added, requester } = input
  const labels = m.podSecurity === undefined ? undefined : context.namespaceLabels?.(requester.namespace)
  const provenance: Provenance | undefined = m.provenance
    ? {
      requestedBy: requester.username,
      requestedAt: formatRfc3339(context.now?.() ?? new Date()),
      policy: policy.inForce?.(requester.namespace) ?? `${policy.name}@${policy.hash}`,
      ...(m.provenanceGroups === false ? {} : { groups: groupsValue(requester.groups) }),
    }
    : undefined
  const result = mutate({
    pod,
    added,
    mutations: m,
    ...(labels !== undefined && m.podSecurity !== undefined ? { podSecurity: enforcePolicyOf(labels, m.podSecurity.defaultLevel) } : {}),
    ...(provenance ? { provenance } : {}),
  })
  const verdict = patched(result.ops, result.warnings)
  if (provenance === undefined || added.length === 0) return verdict
  const first = result.containers.get(added[0]!.index)
  return {
    ...verdict,
    auditAnnotations: {
      'requested-by': provenance.requestedBy,
      'requested-at': (first === undefined ? undefined : envValue(first, REQUESTED_AT)) ?? provenance.requestedAt,
      policy: provenance.policy,
    },
  }
}
