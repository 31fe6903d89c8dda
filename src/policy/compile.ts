// Compiles a validated policy document into checks: per rule, the built-in checks of its fields
// (src/checks/policy/, one file per field: images, securityContext, podSecurity, subjects, targets,
// env, volumeMounts, maxEphemeralContainers), the admin's custom schema over the evaluation document
// (checks/schema-check.ts), and the rule's match.
import type { Ajv2020 } from 'ajv/dist/2020.js'
import type { JsonValue } from '../kube/types.js'
import { DEFAULT_MAX_NEW_CONTAINERS } from '../decision/limits.js'
import { kubernetesChecks } from '../checks/index.js'
import { schemaCheck } from '../checks/schema-check.js'
import type { AddedContainer, Check, CheckInput, Mode, Requester, Violation } from '../decision/types.js'
import { compileGlob, compileGlobs, type NameMatcher } from '../glob.js'
import { containerObject, type ContainerCheck, type PodCheck } from '../checks/policy/types.js'
import { imagesCheck } from '../checks/policy/images.js'
import { securityContextCheck } from '../checks/policy/security-context.js'
import { sharedProcessNamespaceCheck, targetsCheck } from '../checks/policy/targets.js'
import { podSecurityCheck } from '../checks/policy/pod-security.js'
import { envRequireCheck, envSecretRefsCheck } from '../checks/policy/env.js'
import { volumeMountsCheck } from '../checks/policy/volume-mounts.js'
import { subjectsCheck } from '../checks/policy/subjects.js'
import { maxEphemeralContainersCheck } from '../checks/policy/max-ephemeral-containers.js'
import { compileSelector } from '../kube/label-selector.js'
import { provenanceCheck } from '../checks/policy/provenance.js'
import { DEFAULT_PULL_POLICY } from '../decision/mutation/pull-policy.js'
import { normalizeRegistry } from '../decision/mutation/registry-mirror.js'
import type { CompiledRuleView, MutationsDocument, PolicyDocument, RuleDocument } from './types.js'
import type { Mutations, Policy } from '../decision/types.js'

function compileMatch(match: RuleDocument['match'] = {}): (input: CheckInput) => boolean {
  const any = (globs: string[] | undefined): NameMatcher | undefined => (globs === undefined ? undefined : compileGlobs(globs))
  const namespaces = any(match.namespaces)
  const excludeNamespaces = any(match.excludeNamespaces)
  const users = any(match.users)
  const excludeUsers = any(match.excludeUsers)
  const groups = any(match.groups)
  const excludeGroups = any(match.excludeGroups)
  const pods = match.podSelector ? compileSelector(match.podSelector) : undefined
  return ({ requester: q, pod }) =>
    (namespaces === undefined || namespaces(q.namespace)) &&
    !(excludeNamespaces?.(q.namespace) ?? false) &&
    (users === undefined || users(q.username)) &&
    !(excludeUsers?.(q.username) ?? false) &&
    (groups === undefined || q.groups.some(groups)) &&
    !(excludeGroups !== undefined && q.groups.some(excludeGroups)) &&
    // The legacy object carries no labels: the selector is taken to match (compileRule notes it).
    (pods === undefined || pod.shape === 'EphemeralContainers' || pods(pod.labels))
}

/** The document a rule's custom `schema` is applied to, once per new container. */
export function evaluationDocument(added: AddedContainer, input: CheckInput): JsonValue {
  return {
    container: added.value,
    pod: { metadata: input.pod.metadata, spec: input.pod.spec ?? null },
    namespace: input.requester.namespace,
    user: { username: input.requester.username, groups: [...input.requester.groups] },
    dryRun: input.requester.dryRun,
  }
}

/**
 * A rule's built-in checks, one per rule field (src/checks/policy/, one file each), in the order
 * their violations are listed within a container: first every field a check finds missing, then
 * images, securityContext, podSecurity, targets, env.forbidSecretRefs, volumeMounts (the field checks,
 * which judge only a container that is an object), then env.require; after them the custom schema,
 * then the pod checks: subjects, targets.denyWhenSharedProcessNamespace, maxEphemeralContainers.
 */
function builtInChecks(rule: RuleDocument): { fields: ContainerCheck[]; last: ContainerCheck[]; pods: PodCheck[] } {
  const r = rule.name
  const defined = <T>(x: T | undefined): x is T => x !== undefined
  const fields = [
    rule.images && imagesCheck(rule.images, r),
    rule.securityContext && securityContextCheck(rule.securityContext, r),
    rule.podSecurity && podSecurityCheck(rule.podSecurity, r),
    rule.targets && targetsCheck(rule.targets, r),
    rule.env && envSecretRefsCheck(rule.env, r),
    rule.volumeMounts && volumeMountsCheck(rule.volumeMounts, r),
  ].filter(defined)
  const last = [rule.env && envRequireCheck(rule.env, r)].filter(defined)
  const pods = [
    rule.subjects && subjectsCheck(rule.subjects, r),
    rule.targets && sharedProcessNamespaceCheck(rule.targets, r),
    rule.maxEphemeralContainers === undefined ? undefined : maxEphemeralContainersCheck(rule.maxEphemeralContainers, r),
  ].filter(defined)
  return { fields, last, pods }
}

/** Runs container checks on every new container: all the missing fields of a container first. */
function runContainerChecks(checks: readonly ContainerCheck[], input: CheckInput): Violation[] {
  const out: Violation[] = []
  if (checks.length === 0) return out
  // Plain loops: this runs for every rule and new container of every request.
  for (const { index, value } of input.added) {
    const at = { index, field: `${input.pod.listField}[${index}]` }
    for (const c of checks) if (c.missing !== undefined) for (const v of c.missing(value, at, input)) out.push(v)
    for (const c of checks) for (const v of c.run(value, at, input)) out.push(v)
  }
  return out
}

const LABELS_UNKNOWN = "the pod's labels are unknown (the legacy EphemeralContainers object carries none), so match.podSelector is taken to match"

export interface CompiledRule { readonly check: Check; readonly view: CompiledRuleView }

export function compileRule(rule: RuleDocument, defaultMode: Mode, ajv: Ajv2020): CompiledRule {
  const mode = rule.mode ?? defaultMode
  const matches = compileMatch(rule.match)
  const { fields, last, pods } = builtInChecks(rule)
  // A container that is no object fails a rule with field checks once, before them.
  const shaped = fields.length === 0 ? [] : [containerObject(rule.name), ...fields]
  const custom = rule.schema === undefined ? undefined : schemaCheck({
    id: rule.name,
    origin: 'policy',
    mode,
    schema: typeof rule.schema === 'boolean' ? {} : rule.schema,
    validate: ajv.compile(rule.schema),
    documentOf: evaluationDocument,
    containerPointer: '/container',
  })
  const labelsUnknown = (input: CheckInput): Violation =>
    ({ origin: 'policy', rule: rule.name, field: input.pod.listField, type: 'Forbidden', detail: LABELS_UNKNOWN, containerIndex: -1 })
  const check: Check = {
    id: rule.name,
    origin: 'policy',
    mode,
    run: (input) => {
      if (input.added.length === 0 || !matches(input)) return []
      const found = [
        ...runContainerChecks(shaped, input),
        ...runContainerChecks(last, input),
        ...(custom?.run(input) ?? []),
        ...pods.flatMap((p) => p.run(input)),
      ]
      // Fails closed where the labels the rule needs are unknown (finding 6): judged as if the
      // selector matched, and a denial says so. No label lookup: the decision stays pure.
      if (found.length > 0 && rule.match?.podSelector !== undefined && input.pod.shape === 'EphemeralContainers') found.unshift(labelsUnknown(input))
      return found
    },
  }
  return {
    check,
    view: {
      rule: rule.name,
      mode,
      ...(rule.match ? { match: rule.match } : {}),
      checks: [...fields, ...last, ...pods].map((c) => ({ name: c.name, description: c.description })),
      ...(rule.schema === undefined ? {} : { customSchema: rule.schema }),
    },
  }
}

function compileExemptions(doc: PolicyDocument): (q: Requester) => string | undefined {
  const ex = doc.spec.exemptions ?? {}
  // Each glob compiled once; the first that matches is named in the reason.
  const compiled = (globs: string[] = []) => globs.map((g) => ({ glob: g, matches: compileGlob(g) }))
  const namespaces = compiled(ex.namespaces)
  const users = compiled(ex.users)
  const groups = compiled(ex.groups)
  const hit = (list: ReturnType<typeof compiled>, value: string): string | undefined => list.find((g) => g.matches(value))?.glob
  return (q) => {
    const ns = hit(namespaces, q.namespace)
    if (ns !== undefined) return `namespace ${JSON.stringify(q.namespace)} matches exemption ${JSON.stringify(ns)}`
    const user = hit(users, q.username)
    if (user !== undefined) return `user ${JSON.stringify(q.username)} matches exemption ${JSON.stringify(user)}`
    for (const group of q.groups) {
      const g = hit(groups, group)
      if (g !== undefined) return `group ${JSON.stringify(group)} matches exemption ${JSON.stringify(g)}`
    }
    return undefined
  }
}

/** spec.mutations with defaults applied; registry keys normalized (load.ts has refused any that is no registry). */
export function compileMutations(doc: MutationsDocument = {}): Mutations {
  const mirrors = new Map<string, string>()
  for (const [registry, prefix] of Object.entries(doc.registryMirrors ?? {})) mirrors.set(normalizeRegistry(registry) ?? registry, prefix.replace(/\/+$/, ''))
  const pull = doc.imagePullPolicy ?? DEFAULT_PULL_POLICY
  return Object.freeze({
    ...(pull === 'preserve' ? {} : { pullPolicy: Object.freeze({ ...pull }) }),
    registryMirrors: mirrors,
    ...(doc.securityContext ? { securityContext: doc.securityContext } : {}),
    ...(doc.podSecurity?.fit ? { podSecurity: Object.freeze({ defaultLevel: doc.podSecurity.defaultLevel ?? 'privileged' }) } : {}),
    provenance: doc.provenance?.enabled === true,
    ...(doc.provenance?.groups === false ? { provenanceGroups: false as const } : {}),
  })
}

/**
 * A step-wise computation: it yields between units of work (one rule), so a caller may pause there
 * and let the event loop run (load.ts parsePolicyAsync), or run it through at once (runSteps).
 */
export type Steps<T> = Generator<undefined, T, undefined>

/** Runs steps through without pausing. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next()
    if (r.done === true) return r.value
  }
}

/**
 * A validated document to a Policy, yielding after each rule (a custom schema's compile can take
 * milliseconds); throws if a schema does not compile (load.ts reports it). runSteps() runs it at once.
 */
export function* compilePolicySteps(doc: PolicyDocument, hash: string, ajv: Ajv2020): Steps<{ policy: Policy; rules: CompiledRuleView[] }> {
  const defaultMode = doc.spec.mode ?? 'enforce'
  const rules: CompiledRule[] = []
  for (const r of doc.spec.rules ?? []) {
    rules.push(compileRule(r, defaultMode, ajv))
    yield
  }
  const mutations = compileMutations(doc.spec.mutations)
  const policy: Policy = Object.freeze({
    name: doc.metadata.name,
    hash,
    exemption: compileExemptions(doc),
    checks: Object.freeze([...kubernetesChecks, ...rules.map((r) => r.check), ...(mutations.provenance ? [provenanceCheck] : [])]),
    mutations,
    limits: Object.freeze({ maxNewContainers: doc.spec.limits?.maxNewContainers ?? DEFAULT_MAX_NEW_CONTAINERS }),
  })
  return { policy, rules: rules.map((r) => r.view) }
}
