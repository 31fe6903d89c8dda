// Which admission webhooks and ValidatingAdmissionPolicies inspect pods yet cannot see `kubectl debug`
// (UPDATE of pods/ephemeralcontainers). Matching follows the API server's rule matcher
// (k8s.io/apiserver/pkg/admission/plugin/webhook/predicates/rules/rules.go): a rule matches a request
// only when group, version, operation, resource AND subresource all match; `pods` has no subresource,
// `*` is every resource without subresources, `*/*` everything, `pods/*` every pod subresource,
// `*/ephemeralcontainers` that subresource of any resource. Pure.
import { isJsonObject, type JsonObject, type JsonValue } from '../kube/types.js'
import type { DoctorFinding } from './findings.js'

/** RuleWithOperations / NamedRuleWithOperations (admissionregistration.k8s.io/v1), the fields read. */
export interface Rule {
  readonly apiGroups?: readonly string[]
  readonly apiVersions?: readonly string[]
  readonly operations?: readonly string[]
  readonly resources?: readonly string[]
  readonly scope?: string
}

const has = (list: readonly string[] | undefined, ...values: string[]): boolean => (list ?? []).some((v) => values.includes(v))
const coreGroup = (r: Rule): boolean => has(r.apiGroups, '', '*')
const v1 = (r: Rule): boolean => has(r.apiVersions, 'v1', '*')
const namespacedScope = (r: Rule): boolean => r.scope === undefined || r.scope === '*' || r.scope === 'Namespaced'

/** The rule matches Pod objects themselves (CREATE or UPDATE of `pods`): it inspects pods. */
export const inspectsPods = (r: Rule): boolean =>
  coreGroup(r) && has(r.resources, 'pods', '*', '*/*') && has(r.operations, 'CREATE', 'UPDATE', '*')

/** The rule's resources cover the subresource kubectl debug writes, whatever the operations. */
export const coversSubresource = (r: Rule): boolean =>
  coreGroup(r) && v1(r) && namespacedScope(r) && has(r.resources, 'pods/ephemeralcontainers', 'pods/*', '*/*', '*/ephemeralcontainers')

/** The rule matches what kubectl debug sends: UPDATE of pods/ephemeralcontainers in group "", version v1. */
export const seesKubectlDebug = (r: Rule): boolean => coversSubresource(r) && has(r.operations, 'UPDATE', '*')

const asRules = (v: JsonValue | undefined): Rule[] =>
  Array.isArray(v) ? v.filter(isJsonObject) as Rule[] : []

const FIX_ADD = 'add "pods/ephemeralcontainers" (with operation UPDATE) to the resources of the rule that matches pods, in the same apiGroups [""]'

/** Why rules that inspect pods miss kubectl debug, or undefined when they see it or do not inspect pods. */
export function blindness(rules: readonly Rule[], excluded: readonly Rule[] = []): { message: string; fix: string } | undefined {
  if (!rules.some(inspectsPods)) return undefined
  if (rules.some(seesKubectlDebug)) {
    const ex = excluded.find(seesKubectlDebug)
    return ex === undefined ? undefined
      : { message: `inspects pods but excludes pods/ephemeralcontainers (excludeResourceRules ${JSON.stringify(ex.resources ?? [])}): kubectl debug bypasses it`, fix: 'remove pods/ephemeralcontainers from excludeResourceRules' }
  }
  if (rules.some(coversSubresource)) {
    return { message: 'inspects pods and matches pods/ephemeralcontainers, but not for UPDATE, the only operation kubectl debug uses: kubectl debug bypasses it', fix: 'add UPDATE to the operations of the rule that matches pods/ephemeralcontainers' }
  }
  const plain = rules.filter(inspectsPods)
  if (!plain.some((r) => has(r.operations, 'UPDATE', '*'))) {
    return { message: `inspects pods for ${[...new Set(plain.flatMap((r) => r.operations ?? []))].join(',')} only and never pods/ephemeralcontainers; adding an ephemeral container is an UPDATE of that subresource: kubectl debug bypasses it`, fix: FIX_ADD }
  }
  return { message: `matches ${[...new Set(plain.flatMap((r) => r.resources ?? []).filter((x) => ['pods', '*', '*/*'].includes(x)))].join(',')} but not pods/ephemeralcontainers (a rule for pods never matches a subresource): kubectl debug bypasses it`, fix: FIX_ADD }
}

const nameOf = (o: JsonObject): string => {
  const m = o['metadata']
  return isJsonObject(m) && typeof m['name'] === 'string' ? m['name'] : '(unnamed)'
}

const objectAt = (o: JsonValue | undefined, key: string): JsonObject | undefined => {
  if (!isJsonObject(o)) return undefined
  const v = o[key]
  return isJsonObject(v) ? v : undefined
}

/** Every webhook of these configurations that inspects pods but is blind to kubectl debug. */
export function blindWebhooks(kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration', configurations: readonly JsonObject[]): DoctorFinding[] {
  const out: DoctorFinding[] = []
  for (const c of configurations) {
    const webhooks = Array.isArray(c['webhooks']) ? c['webhooks'] : []
    for (const w of webhooks) {
      if (typeof w !== 'object' || w === null || Array.isArray(w)) continue
      const why = blindness(asRules(w['rules']))
      if (why) out.push({ level: 'error', subject: `${kind.toLowerCase()}/${nameOf(c)} (webhook ${String(w['name'])})`, message: why.message, fix: why.fix })
    }
  }
  return out
}

/**
 * ValidatingAdmissionPolicies whose matchConstraints inspect pods but miss kubectl debug, and bindings
 * whose matchResources narrow a policy that sees it down to one that does not.
 */
export function blindPolicies(policies: readonly JsonObject[], bindings: readonly JsonObject[]): DoctorFinding[] {
  const out: DoctorFinding[] = []
  const bindingsOf = (policy: string) => bindings.filter((b) => objectAt(b, 'spec')?.['policyName'] === policy)
  for (const p of policies) {
    const name = nameOf(p)
    const mc = objectAt(objectAt(p, 'spec'), 'matchConstraints')
    const rules = asRules(mc?.['resourceRules'])
    const excluded = asRules(mc?.['excludeResourceRules'])
    const bound = bindingsOf(name).map(nameOf)
    const why = blindness(rules, excluded)
    if (why) {
      out.push({
        level: bound.length > 0 ? 'error' : 'warning',
        subject: `validatingadmissionpolicy/${name}`,
        message: `${why.message}${bound.length > 0 ? ` (bound by ${bound.join(', ')})` : ' (not bound yet)'}`,
        fix: why.fix.replace('the rule that matches pods', 'spec.matchConstraints.resourceRules'),
      })
      continue
    }
    if (!rules.some(seesKubectlDebug)) continue
    for (const b of bindingsOf(name)) {
      const mr = objectAt(objectAt(b, 'spec'), 'matchResources')
      // A binding applies where both the policy's matchConstraints and its own matchResources match.
      const narrowed = asRules(mr?.['resourceRules'])
      const leftOut = narrowed.length > 0 && !narrowed.some(seesKubectlDebug)
      const excludedHere = asRules(mr?.['excludeResourceRules']).some(seesKubectlDebug)
      if (!leftOut && !excludedHere) continue
      out.push({
        level: 'error',
        subject: `validatingadmissionpolicybinding/${nameOf(b)} (policy ${name})`,
        message: leftOut
          ? 'its matchResources.resourceRules leave out UPDATE of pods/ephemeralcontainers, which the policy matches: kubectl debug bypasses the policy here'
          : 'its matchResources.excludeResourceRules exclude UPDATE of pods/ephemeralcontainers: kubectl debug bypasses the policy here',
        fix: leftOut
          ? 'add pods/ephemeralcontainers (UPDATE) to the binding\'s matchResources.resourceRules, or remove them to inherit the policy\'s'
          : 'remove pods/ephemeralcontainers from the binding\'s matchResources.excludeResourceRules',
      })
    }
  }
  return out
}
