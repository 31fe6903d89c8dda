// Compiles a validated policy document into checks: per rule, a JSON Schema for each new container
// (images, securityContext, targets, env, volume mounts), the admin's custom schema over the
// evaluation document, and the few checks a schema cannot express (who asks, how many containers).
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { isJsonObject, type JsonValue } from '../kube/types.js'
import { DEFAULT_MAX_NEW_CONTAINERS } from '../decision/limits.js'
import { kubernetesChecks } from '../checks/index.js'
import { schemaCheck } from '../checks/schema-check.js'
import type { AddedContainer, Check, CheckInput, FieldErrorType, Mode, Requester, Violation } from '../decision/types.js'
import { ERROR_ANNOTATION } from '../schemas.js'
import { compileGlob, compileGlobs, type NameMatcher } from './glob.js'
import { safeRegExp } from '../re2.js'
import { compileSelector } from './selector.js'
import { provenanceCheck } from '../checks/policy/provenance.js'
import { DEFAULT_PULL_POLICY } from '../decision/mutation/pull-policy.js'
import { normalizeRegistry } from '../decision/mutation/registry-mirror.js'
import type { CompiledRuleView, MutationsDocument, PolicyDocument, RuleDocument } from './types.js'
import type { Mutations, Policy } from '../decision/types.js'

type Schema = Record<string, unknown>
const A = ERROR_ANNOTATION
const quotedList = (xs: readonly string[]): string => (xs.length === 0 ? 'none' : xs.join(', '))

function containerSchema(rule: RuleDocument): Schema {
  const r = rule.name
  const e = (type: FieldErrorType, detail: string) => ({ type, detail, rule: r })
  const properties: Record<string, Schema> = {}
  const required: string[] = []
  const annotations: Record<string, unknown> = {}

  if (rule.images) properties['image'] = { type: 'string', imagePolicy: rule.images, [A]: { imagePolicy: e('Invalid', '{message}') } }

  const sc = rule.securityContext
  if (sc) {
    const props: Record<string, Schema> = {}
    const scRequired: string[] = []
    const scAnnotations: Record<string, unknown> = {}
    if (sc.allowPrivileged === false) props['privileged'] = { not: { const: true }, [A]: { not: e('Forbidden', 'privileged debug containers are not allowed') } }
    if (sc.allowPrivilegeEscalation === false) {
      props['allowPrivilegeEscalation'] = { not: { const: true }, [A]: { not: e('Forbidden', 'privilege escalation is not allowed in debug containers') } }
    }
    if (sc.requireRunAsNonRoot) {
      props['runAsNonRoot'] = { const: true, [A]: { const: e('Invalid', 'must be true') } }
      scRequired.push('runAsNonRoot')
      scAnnotations['required:runAsNonRoot'] = e('Required', 'must be true')
    }
    const caps: Record<string, Schema> = {}
    if (sc.allowedCapabilities) {
      const allowed = sc.allowedCapabilities
      caps['add'] = {
        type: ['array', 'null'],
        items: allowed.length > 0
          ? { enum: allowed, [A]: { enum: e('Forbidden', `capability {value} is not allowed; allowed: ${quotedList(allowed)}`) } }
          : { not: {}, [A]: { not: e('Forbidden', 'capability {value} is not allowed; allowed: none') } },
      }
    }
    if (sc.requireDropAll) {
      caps['drop'] = { type: 'array', contains: { const: 'ALL' }, [A]: { contains: e('Invalid', 'must include "ALL"'), type: e('Invalid', 'must include "ALL"') } }
      scRequired.push('capabilities')
      scAnnotations['required:capabilities'] = e('Required', 'must drop "ALL"')
    }
    if (Object.keys(caps).length > 0) {
      props['capabilities'] = {
        type: sc.requireDropAll ? 'object' : ['object', 'null'],
        properties: caps,
        ...(sc.requireDropAll ? { required: ['drop'] } : {}),
        [A]: { 'required:drop': e('Required', 'must include "ALL"'), type: e('Required', 'must drop "ALL"') },
      }
    }
    const must = [sc.requireRunAsNonRoot ? 'runAsNonRoot: true' : '', sc.requireDropAll ? 'capabilities.drop: [ALL]' : ''].filter(Boolean)
    if (must.length > 0) {
      required.push('securityContext')
      annotations['required:securityContext'] = e('Required', `must set ${must.join(' and ')}`)
    }
    properties['securityContext'] = {
      type: must.length > 0 ? 'object' : ['object', 'null'],
      properties: props,
      ...(scRequired.length > 0 ? { required: scRequired } : {}),
      [A]: { ...scAnnotations, type: e('Required', `must set ${must.join(' and ')}`) },
    }
  }

  const t = rule.targets
  if (t?.requireTarget || (t?.denyContainers?.length ?? 0) > 0) {
    const target: Schema = { type: 'string', [A]: {} }
    if (t?.requireTarget) {
      required.push('targetContainerName')
      annotations['required:targetContainerName'] = e('Required', 'must name the container to debug (kubectl debug --target)')
      target['minLength'] = 1
      ;(target[A] as Record<string, unknown>)['minLength'] = e('Required', 'must name the container to debug (kubectl debug --target)')
    }
    if (t?.denyContainers?.length) {
      target['not'] = { enum: t.denyContainers }
      ;(target[A] as Record<string, unknown>)['not'] = e('Forbidden', 'container {value} may not be targeted')
    }
    properties['targetContainerName'] = target
  }

  const env = rule.env
  if (env?.forbidSecretRefs) {
    // env.require is judged in code (envRequireCheck): what counts is the last entry of a name.
    const secret = e('Forbidden', 'secrets may not be read into debug containers')
    properties['env'] = {
      type: ['array', 'null'],
      items: { type: 'object', properties: { valueFrom: { type: ['object', 'null'], properties: { secretKeyRef: { type: 'null', [A]: { type: secret } } } } } },
    }
    properties['envFrom'] = { type: ['array', 'null'], items: { type: 'object', properties: { secretRef: { type: 'null', [A]: { type: secret } } } } }
  }

  // The allow-list covers every way a container names a pod volume: volumeMounts and, for raw block
  // volumes, volumeDevices.
  const allow = rule.volumeMounts?.allow
  if (allow) {
    const names = (detail: string): Schema => ({
      type: ['array', 'null'],
      items: { type: 'object', properties: { name: allow.length > 0 ? { enum: allow, [A]: { enum: e('Forbidden', detail) } } : { not: {}, [A]: { not: e('Forbidden', detail) } } } },
    })
    properties['volumeMounts'] = names(`volume {value} may not be mounted; allowed: ${quotedList(allow)}`)
    properties['volumeDevices'] = names(`volume {value} may not be attached as a device; allowed: ${quotedList(allow)}`)
  }

  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}), [A]: annotations }
}

type ContainerCheck = { describe: string; run: (added: AddedContainer, input: CheckInput) => Violation[] }

/**
 * env.require, judged on what the container will see: the kubelet applies env entries in order, so
 * the last entry of a name wins, and a later valueFrom replaces an earlier plain value. A required
 * name passes only when its last entry sets a plain `value` (matching the pattern, if any). A value
 * holding a `$(VAR)` reference is expanded by the kubelet into something not judged here, so it never
 * matches a pattern.
 */
function envRequireCheck(rule: RuleDocument): ContainerCheck | undefined {
  const wanted = rule.env?.require ?? []
  if (wanted.length === 0) return undefined
  const compiled = wanted.map((q) => ({ name: q.name, want: `${q.name}${q.pattern ? ` matching ${q.pattern}` : ''}`, re: q.pattern === undefined ? undefined : safeRegExp(q.pattern, 'u') }))
  const violation = (input: CheckInput, index: number, detail: string): Violation =>
    ({ origin: 'policy', rule: rule.name, field: `${input.pod.listField}[${index}].env`, type: 'Required', detail, containerIndex: index })
  return {
    describe: `env.require: the last env entry named ${compiled.map((c) => c.want).join(', ')} sets a plain value (the kubelet uses the last entry of a name)`,
    run: ({ index, value }, input) => {
      const env = isJsonObject(value) ? value['env'] : undefined
      if (!Array.isArray(env)) return [violation(input, index, `must set ${compiled.map((c) => c.want).join(', ')}`)]
      const last = new Map<string, JsonValue>()
      for (const entry of env) if (isJsonObject(entry) && typeof entry['name'] === 'string') last.set(entry['name'], entry)
      const out: Violation[] = []
      for (const c of compiled) {
        const entry = last.get(c.name)
        const v = isJsonObject(entry) && (entry['valueFrom'] === undefined || entry['valueFrom'] === null) ? entry['value'] : undefined
        const ok = typeof v === 'string' && (c.re === undefined || (!v.includes('$(') && c.re.test(v)))
        if (!ok) out.push(violation(input, index, `must set ${c.want}`))
      }
      return out
    },
  }
}

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

function podChecks(rule: RuleDocument): Array<{ describe: string; run: (input: CheckInput) => Violation[] }> {
  const out: Array<{ describe: string; run: (input: CheckInput) => Violation[] }> = []
  const pod = (input: CheckInput, detail: string): Violation =>
    ({ origin: 'policy', rule: rule.name, field: input.pod.listField, type: 'Forbidden', detail, containerIndex: -1 })
  if (rule.subjects) {
    const users = compileGlobs(rule.subjects.users ?? [])
    const groups = compileGlobs(rule.subjects.groups ?? [])
    out.push({
      describe: `subjects: requester's username matches ${quotedList(rule.subjects.users ?? [])} or a group matches ${quotedList(rule.subjects.groups ?? [])}`,
      run: (input) => (users(input.requester.username) || input.requester.groups.some(groups) ? []
        : [pod(input, `user ${JSON.stringify(input.requester.username)} may not add ephemeral containers here`)]),
    })
  }
  const max = rule.maxEphemeralContainers
  if (max !== undefined) {
    out.push({
      describe: `maxEphemeralContainers: at most ${max} per pod, existing ones included`,
      run: (input) => (input.pod.ephemeralContainers.length <= max ? []
        : [pod(input, `at most ${max} ephemeral containers per pod; this request makes ${input.pod.ephemeralContainers.length}`)]),
    })
  }
  return out
}

const LABELS_UNKNOWN = "the pod's labels are unknown (the legacy EphemeralContainers object carries none), so match.podSelector is taken to match"

export interface CompiledRule { readonly check: Check; readonly view: CompiledRuleView }

export function compileRule(rule: RuleDocument, defaultMode: Mode, ajv: Ajv2020): CompiledRule {
  const mode = rule.mode ?? defaultMode
  const matches = compileMatch(rule.match)
  const schema = containerSchema(rule)
  const hasContainerRules = Object.keys(schema['properties'] as Schema).length > 0 || 'required' in schema
  const containers = hasContainerRules ? schemaCheck({ id: rule.name, origin: 'policy', mode, schema, validate: ajv.compile(schema) }) : undefined
  const custom = rule.schema === undefined ? undefined : schemaCheck({
    id: rule.name,
    origin: 'policy',
    mode,
    schema: typeof rule.schema === 'boolean' ? {} : rule.schema,
    validate: ajv.compile(rule.schema),
    documentOf: evaluationDocument,
    containerPointer: '/container',
  })
  const pods = podChecks(rule)
  const labelsUnknown = (input: CheckInput): Violation =>
    ({ origin: 'policy', rule: rule.name, field: input.pod.listField, type: 'Forbidden', detail: LABELS_UNKNOWN, containerIndex: -1 })
  const perContainer = [envRequireCheck(rule)].filter((c): c is ContainerCheck => c !== undefined)
  const check: Check = {
    id: rule.name,
    origin: 'policy',
    mode,
    run: (input) => {
      if (input.added.length === 0 || !matches(input)) return []
      const found = [
        ...(containers?.run(input) ?? []),
        ...perContainer.flatMap((c) => input.added.flatMap((a) => c.run(a, input))),
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
      containerSchema: schema,
      podChecks: [...perContainer, ...pods].map((p) => p.describe),
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
  })
}

/** A validated document to a Policy; throws if a schema does not compile (load.ts reports it). */
export function compilePolicy(doc: PolicyDocument, hash: string, ajv: Ajv2020): { policy: Policy; rules: CompiledRuleView[] } {
  const defaultMode = doc.spec.mode ?? 'enforce'
  const rules = (doc.spec.rules ?? []).map((r) => compileRule(r, defaultMode, ajv))
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
