import type { AdmissionReview } from '../../src/kube/types.js'

const RULE = / \(rule ([a-z0-9-]+)\)$/

/** Splits a denial's causes into Kubernetes' messages and the policy rules named, in order. */
export function verdictParts(review: AdmissionReview): { kubernetes: string[]; policy: string[] } {
  const causes = review.response?.status?.details?.causes ?? []
  const kubernetes: string[] = []
  const policy: string[] = []
  for (const c of causes) {
    const m = RULE.exec(c.message ?? '')
    if (m) policy.push(m[1]!)
    else kubernetes.push(c.field ? `${c.field}: ${c.message}` : `${c.message}`)
  }
  return { kubernetes, policy }
}
