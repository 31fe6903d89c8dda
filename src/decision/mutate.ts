// The mutating webhook's answer: the patch of mutation/steps.ts, warnings for what it could not
// fix (the checks run again on the mutated containers, so a violation the mutation fixed is not
// reported) and for a Pod Security level the container will not pass, and provenance audit annotations.
import { formatted } from './violations.js'
import { patched, type Verdict } from './verdict.js'
import type { CheckInput, DecisionContext, Policy, Violation } from './types.js'
import { DEFAULT_MUTATIONS } from './mutation/defaults.js'
import { mutate } from './mutation/steps.js'
import { enforcePolicyOf } from './mutation/pod-security.js'
import { envValue, REQUESTED_AT, type Provenance } from './mutation/provenance.js'
import { formatRfc3339 } from '../time.js'

export function mutationVerdict(
  input: CheckInput,
  policy: Policy,
  context: DecisionContext,
  enforced: readonly Violation[],
  enforcedIn: (input: CheckInput) => readonly Violation[],
): Verdict {
  const m = policy.mutations ?? DEFAULT_MUTATIONS
  const { pod, added, requester } = input
  const labels = m.podSecurity === undefined ? undefined : context.namespaceLabels?.(requester.namespace)
  const provenance: Provenance | undefined = m.provenance
    ? { requestedBy: requester.username, requestedAt: formatRfc3339(context.now?.() ?? new Date()), policy: `${policy.name}@${policy.hash}` }
    : undefined
  const result = mutate({
    pod,
    added,
    mutations: m,
    ...(labels !== undefined && m.podSecurity !== undefined ? { podSecurity: enforcePolicyOf(labels, m.podSecurity.defaultLevel) } : {}),
    ...(provenance ? { provenance } : {}),
  })
  // Re-judged only when there is something the mutation may have fixed (it halves the cost of /mutate).
  // A rule broken only by the mutation itself (images.allow leaving out the mirror) gets no warning
  // here; the validating webhook judges the mutated container and denies it.
  let remaining = enforced
  if (result.ops.length > 0 && enforced.length > 0) {
    const list = pod.ephemeralContainers.map((c, i) => result.containers.get(i) ?? c)
    remaining = enforcedIn({
      ...input,
      pod: { ...pod, ephemeralContainers: list },
      added: added.map((a) => ({ index: a.index, value: list[a.index]! })),
    })
  }
  const verdict = patched(result.ops, (function* () { yield* formatted(remaining); yield* result.warnings })())
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
