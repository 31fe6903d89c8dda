// Several policy objects into the one Policy that decide() judges with (docs/design/policies-and-grants.md
// §2). Pure: the informer (serve), the controller and audit all combine the same objects the same way,
// so every replica and every report agrees on what is in force.
//
// - Every rule is a restriction: the rules of every cluster policy, plus those of the DebugPolicy
//   objects of the request's namespace, all run; any enforce-mode violation denies.
// - Exemptions apply only within their own policy. A request is exempt as a whole (nothing judged)
//   only when every cluster policy exempts it and its namespace has no DebugPolicy.
// - At most one cluster policy defines spec.mutations: the oldest (creationTimestamp, then name). A
//   later one that also defines them conflicts and is left out whole.
// - Limits: the smallest of those given.
// - No cluster policy: the fallback (the built-in default) takes the cluster policies' place.
// - Violations name their source, `policy/rule`, or `namespace/policy/rule` for a DebugPolicy.
//
// The combination is built once per change of the objects, never per request: a request pays one map
// lookup by namespace for the namespaced rules and one closure per cluster rule for its exemptions.
import { createHash } from 'node:crypto'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { kubernetesChecks } from '../checks/index.js'
import { provenanceCheck } from '../checks/policy/provenance.js'
import { DEFAULT_MAX_NEW_CONTAINERS } from '../decision/limits.js'
import type { Check, CheckInput, Mode, Mutations, Policy, Requester, Violation } from '../decision/types.js'
import { clip } from '../decision/limits.js'
import { compileMutations, compilePolicySteps, compileRule, runSteps, type CompiledRule, type Steps } from './compile.js'
import type { CompiledRuleView, DebugPolicyDocument, PolicyDocument, PolicyKind } from './types.js'

/** Which object a served policy is, and which content of it. */
export interface PolicyRef {
  readonly kind: PolicyKind
  readonly name: string
  /** DebugPolicy only. */
  readonly namespace?: string
  /** specHash of the spec served (for an Invalid object, its last good spec's). */
  readonly hash: string
}

/** One policy object, compiled. */
export interface ServedPolicy {
  readonly ref: PolicyRef
  /** metadata.creationTimestamp (RFC 3339); orders the claim on spec.mutations. */
  readonly createdAt: string
  /** Its rules' checks (policy origin only), in rule order. */
  readonly rules: readonly Check[]
  readonly views: readonly CompiledRuleView[]
  /** Cluster policies: why a requester is exempt from this policy's rules. */
  readonly exemption?: (requester: Requester) => string | undefined
  /** Set only when the object defines spec.mutations. */
  readonly mutations?: Mutations
  /** Set only when the object defines spec.limits.maxNewContainers. */
  readonly maxNewContainers?: number
}

/** What is in force, and what was left out and why. */
export interface PolicySet {
  readonly policy: Policy
  /** The cluster policies in force (the fallback's ref when none), then every DebugPolicy. */
  readonly inForce: readonly PolicyRef[]
  /** Cluster policies left out because an older one defines spec.mutations. */
  readonly conflicting: readonly PolicyRef[]
}

/** Largest EPHEMERAL_GUARD_POLICY value; longer lists are clipped with `…` (design note §3). */
export const POLICY_LIST_MAX_BYTES = 1024

/**
 * The content hash of a policy spec: first 12 hex digits of the SHA-256 of its JSON with object keys
 * sorted, so the same spec hashes the same whatever order the API server or a file gives its keys.
 */
export function specHash(spec: unknown): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 12)
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
    return `{${entries.join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** A validated cluster policy document, compiled. */
export function compileClusterPolicy(doc: PolicyDocument, createdAt: string, ajv: Ajv2020, hash = specHash(doc.spec)): ServedPolicy {
  return runSteps(compileClusterPolicySteps(doc, createdAt, ajv, hash))
}

/** compileClusterPolicy, yielding after each rule. */
export function* compileClusterPolicySteps(doc: PolicyDocument, createdAt: string, ajv: Ajv2020, hash = specHash(doc.spec)): Steps<ServedPolicy> {
  const { policy, rules } = yield* compilePolicySteps(doc, hash, ajv)
  const own = new Set(policy.checks.filter((c) => c.origin === 'policy' && c !== provenanceCheck))
  return {
    ref: { kind: 'EphemeralContainerPolicy', name: doc.metadata.name, hash },
    createdAt,
    rules: policy.checks.filter((c) => own.has(c)),
    views: rules,
    exemption: policy.exemption,
    ...(doc.spec.mutations === undefined ? {} : { mutations: policy.mutations ?? compileMutations(doc.spec.mutations) }),
    ...(doc.spec.limits?.maxNewContainers === undefined ? {} : { maxNewContainers: doc.spec.limits.maxNewContainers }),
  }
}

/** A validated DebugPolicy document of `namespace`, compiled. */
export function compileDebugPolicy(doc: DebugPolicyDocument, namespace: string, createdAt: string, ajv: Ajv2020, hash = specHash(doc.spec)): ServedPolicy {
  return runSteps(compileDebugPolicySteps(doc, namespace, createdAt, ajv, hash))
}

/** compileDebugPolicy, yielding after each rule. */
export function* compileDebugPolicySteps(doc: DebugPolicyDocument, namespace: string, createdAt: string, ajv: Ajv2020, hash = specHash(doc.spec)): Steps<ServedPolicy> {
  const mode: Mode = doc.spec.mode ?? 'enforce'
  const compiled: CompiledRule[] = []
  for (const r of doc.spec.rules ?? []) {
    compiled.push(compileRule(r, mode, ajv))
    yield
  }
  return {
    ref: { kind: 'DebugPolicy', name: doc.metadata.name, namespace, hash },
    createdAt,
    rules: compiled.map((r) => r.check),
    views: compiled.map((r) => r.view),
  }
}

/** `policy/rule`, or `namespace/policy/rule`. */
export const sourceOf = (ref: PolicyRef): string => (ref.namespace === undefined ? ref.name : `${ref.namespace}/${ref.name}`)

const renamed = (found: readonly Violation[], prefix: string): readonly Violation[] =>
  found.length === 0 ? found : found.map((v) => ({ ...v, rule: `${prefix}/${v.rule}` }))

/** A cluster policy's rule: skipped for requesters its own policy exempts; violations named policy/rule. */
function clusterRule(check: Check, served: ServedPolicy): Check {
  const prefix = sourceOf(served.ref)
  const exempt = served.exemption ?? (() => undefined)
  return { ...check, id: `${prefix}/${check.id}`, run: (input) => (exempt(input.requester) === undefined ? renamed(check.run(input), prefix) : []) }
}

const MODES: readonly Mode[] = ['enforce', 'warn', 'audit']

/**
 * The DebugPolicy rules, as one check per mode (a check has one mode): each looks up the rules of the
 * request's namespace, so a request pays one map lookup however many namespaces have policies.
 */
function namespacedChecks(namespaced: readonly ServedPolicy[]): { checks: Check[]; namespaces: ReadonlySet<string> } {
  const byMode = new Map<Mode, Map<string, Array<{ check: Check; prefix: string }>>>(MODES.map((m) => [m, new Map()]))
  for (const served of namespaced) {
    const ns = served.ref.namespace!
    for (const check of served.rules) {
      const perNamespace = byMode.get(check.mode)!
      const list = perNamespace.get(ns) ?? []
      list.push({ check, prefix: sourceOf(served.ref) })
      perNamespace.set(ns, list)
    }
  }
  const checks: Check[] = []
  for (const [mode, perNamespace] of byMode) {
    if (perNamespace.size === 0) continue
    checks.push({
      id: `debugpolicy-${mode}`,
      origin: 'policy',
      mode,
      run: (input: CheckInput) => {
        const rules = perNamespace.get(input.requester.namespace)
        if (rules === undefined) return []
        const found: Violation[] = []
        for (const { check, prefix } of rules) found.push(...renamed(check.run(input), prefix))
        return found
      },
    })
  }
  return { checks, namespaces: new Set(namespaced.map((s) => s.ref.namespace!)) }
}

const byAge = (a: ServedPolicy, b: ServedPolicy): number =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.ref.name < b.ref.name ? -1 : a.ref.name > b.ref.name ? 1 : 0

const refLabel = (ref: PolicyRef): string => `${sourceOf(ref)}@${ref.hash}`

/**
 * The policy in force for these objects. `cluster` are the servable cluster policies, `namespaced`
 * the servable DebugPolicy objects; `fallback` is in force in the cluster policies' place when there
 * are none (design note §2).
 */
export function combinePolicies(cluster: readonly ServedPolicy[], namespaced: readonly ServedPolicy[], fallback: ServedPolicy): PolicySet {
  const ordered = [...(cluster.length > 0 ? cluster : [fallback])].sort(byAge)
  const conflicting: PolicyRef[] = []
  let mutating: ServedPolicy | undefined
  const served: ServedPolicy[] = []
  for (const p of ordered) {
    if (p.mutations !== undefined) {
      if (mutating !== undefined) {
        conflicting.push(p.ref)
        continue
      }
      mutating = p
    }
    served.push(p)
  }
  const debugPolicies = [...namespaced].sort((a, b) => (a.ref.namespace! < b.ref.namespace! ? -1 : a.ref.namespace! > b.ref.namespace! ? 1 : byAge(a, b)))
  const { checks: namespacedRules, namespaces } = namespacedChecks(debugPolicies)
  const mutations = mutating?.mutations ?? compileMutations()
  const limits = served.map((p) => p.maxNewContainers).filter((n): n is number => n !== undefined)
  const inForce = [...served.map((p) => p.ref), ...debugPolicies.map((p) => p.ref)]
  const clusterLabels = served.map((p) => refLabel(p.ref))
  const namespaceLabels = new Map<string, string[]>()
  for (const p of debugPolicies) namespaceLabels.set(p.ref.namespace!, [...(namespaceLabels.get(p.ref.namespace!) ?? []), refLabel(p.ref)])

  const exemptions = served.map((p) => p.exemption ?? (() => undefined))
  const policy: Policy = Object.freeze({
    name: served.map((p) => p.ref.name).join(','),
    hash: specHash(inForce.map(refLabel)),
    exemption: (q: Requester) => {
      if (namespaces.has(q.namespace)) return undefined
      let reason: string | undefined
      for (const exempt of exemptions) {
        const why = exempt(q)
        if (why === undefined) return undefined
        reason ??= why
      }
      return reason
    },
    checks: Object.freeze([
      ...kubernetesChecks,
      ...served.flatMap((p) => p.rules.map((c) => clusterRule(c, p))),
      ...namespacedRules,
      ...(mutations.provenance ? [provenanceCheck] : []),
    ]),
    mutations,
    limits: Object.freeze({ maxNewContainers: limits.length === 0 ? DEFAULT_MAX_NEW_CONTAINERS : Math.min(...limits) }),
    inForce: (namespace: string) => clip([...clusterLabels, ...(namespaceLabels.get(namespace) ?? [])].join(','), POLICY_LIST_MAX_BYTES),
  })
  return { policy, inForce, conflicting }
}
