// Kubernetes LabelSelector semantics (k8s.io/apimachinery/pkg/apis/meta/v1, LabelSelectorAsSelector):
// every matchLabels pair and every matchExpressions requirement must hold; an empty selector
// matches every pod. Policy rules (match.podSelector) and debug grants (spec.pods.selector) use it.

export interface LabelSelectorRequirement {
  readonly key: string
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'
  readonly values?: readonly string[]
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>
  readonly matchExpressions?: readonly LabelSelectorRequirement[]
}

export type LabelMatcher = (labels: Readonly<Record<string, string>>) => boolean

export function compileSelector(selector: LabelSelector): LabelMatcher {
  const pairs = Object.entries(selector.matchLabels ?? {})
  const requirements = (selector.matchExpressions ?? []).map((r): LabelMatcher => {
    const values = new Set(r.values ?? [])
    const has = (labels: Readonly<Record<string, string>>): boolean => Object.hasOwn(labels, r.key)
    switch (r.operator) {
      case 'In': return (labels) => has(labels) && values.has(labels[r.key]!)
      case 'NotIn': return (labels) => !has(labels) || !values.has(labels[r.key]!)
      case 'Exists': return has
      case 'DoesNotExist': return (labels) => !has(labels)
    }
  })
  return (labels) => pairs.every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v) && requirements.every((m) => m(labels))
}

/** Load-time checks the schema cannot express: In/NotIn need values, Exists/DoesNotExist take none. */
export function selectorErrors(selector: LabelSelector, path: string): string[] {
  return (selector.matchExpressions ?? []).flatMap((r, i) => {
    const needsValues = r.operator === 'In' || r.operator === 'NotIn'
    const count = r.values?.length ?? 0
    if (needsValues && count === 0) return [`${path}.matchExpressions[${i}].values: must be non-empty when operator is ${r.operator}`]
    if (!needsValues && count > 0) return [`${path}.matchExpressions[${i}].values: may not be specified when operator is ${r.operator}`]
    return []
  })
}
