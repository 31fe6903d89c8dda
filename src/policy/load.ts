// Reads a policy file (YAML or JSON), validates it against schemas/policy.schema.json and the rules a
// schema cannot express, and compiles it. Every problem is reported with its field path. Also
// validates a policy object as the API server stores it (validatePolicyObject), for the policy
// webhook and the informer: the same problems, from the same schema and checks.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { join } from 'node:path'
import { parseDocument } from 'yaml'
import { PolicyError } from '../errors.js'
import { fieldPath } from '../checks/schema-check.js'
import { PACKAGE_ROOT } from '../paths.js'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { lazyPolicyAjv, loadSchema, pointerSegments } from '../schemas.js'
import { compilePolicySteps, runSteps, type Steps } from './compile.js'
import { parseYamlOffThread, YAML_PARSE_OPTIONS, YAML_TO_JS_OPTIONS, type YamlProblem, type YamlResult } from './yaml-worker.js'
import { mirrorPrefixProblem, normalizeRegistry } from '../decision/mutation/registry-mirror.js'
import { parseImagePattern } from '../image/pattern.js'
import { unsafePatternReason } from '../re2.js'
import { selectorErrors } from '../kube/label-selector.js'
import { capabilityProblems } from './capabilities.js'
import type { CompiledRuleView, PolicyDocument, PolicyKind } from './types.js'
import type { Policy } from '../decision/types.js'

export const DEFAULT_POLICY_FILE = join(PACKAGE_ROOT, 'policies', 'default.yaml')


export interface LoadedPolicy {
  /** The document's kind; EphemeralContainerPolicy unless the caller accepted DebugPolicy too. */
  readonly kind?: PolicyKind
  readonly policy: Policy
  readonly rules: readonly CompiledRuleView[]
  readonly source: string
}

const format = loadSchema('policy.schema.json')

const pathOf = (pointer: string): string =>
  fieldPath('', pointerSegments(pointer)).replace(/^\./, '') || '(document)'

/** A DebugPolicy's rule giving a field only cluster policies have (schema: `false`, $defs/debugMatch). */
const NOT_IN_DEBUG_POLICY = "not allowed in a DebugPolicy: its rules apply only in the policy's own namespace"

function formatProblems(doc: unknown): string[] {
  if (format.validate(doc)) return []
  // The kind's own schema reports what is wrong; the choice between kinds (the top-level if) is no problem of its own.
  return (format.validate.errors ?? []).filter((e) => e.schemaPath !== '#/if').map((e) => {
    const params = e.params as { additionalProperty?: string; allowedValues?: unknown[]; allowedValue?: unknown }
    if (e.keyword === 'additionalProperties') return `${pathOf(`${e.instancePath}/${params.additionalProperty}`)}: unknown field`
    if (e.keyword === 'enum') return `${pathOf(e.instancePath)}: must be one of ${params.allowedValues?.map((v) => JSON.stringify(v)).join(', ')}`
    if (e.keyword === 'const') return `${pathOf(e.instancePath)}: must be ${JSON.stringify(params.allowedValue)}`
    if (e.keyword === 'false schema') return `${pathOf(e.instancePath)}: ${NOT_IN_DEBUG_POLICY}`
    return `${pathOf(e.instancePath)}: ${e.message}`
  })
}

function semanticProblems(doc: PolicyDocument): string[] {
  const problems: string[] = []
  const seen = new Set<string>()
  ;(doc.spec.rules ?? []).forEach((rule, i) => {
    if (rule === null) return // malformed: its schema errors are reported instead
    const at = `spec.rules[${i}]`
    if (seen.has(rule.name)) problems.push(`${at}.name: duplicate rule name ${JSON.stringify(rule.name)}`)
    seen.add(rule.name)
    for (const list of ['allow', 'deny'] as const) {
      rule.images?.[list]?.forEach((p, j) => {
        const parsed = parseImagePattern(p)
        if (!parsed.ok) problems.push(`${at}.images.${list}[${j}]: image pattern ${JSON.stringify(p)} ${parsed.error}`)
      })
    }
    if (rule.match?.podSelector) problems.push(...selectorErrors(rule.match.podSelector, `${at}.match.podSelector`))
    rule.podSecurity?.exceptions?.capabilities?.forEach((c, j) => {
      if (c === 'ALL') problems.push(`${at}.podSecurity.exceptions.capabilities[${j}]: "ALL" is every capability, as privileged; name the capabilities to allow`)
    })
    rule.env?.require?.forEach((q, j) => {
      const why = q.pattern === undefined ? undefined : unsafePatternReason(q.pattern)
      if (why) problems.push(`${at}.env.require[${j}].pattern: ${why}`)
    })
  })
  problems.push(...mirrorProblems(doc.spec.mutations?.registryMirrors ?? {}))
  return problems
}

/** Each key must be a registry and each value a registry prefix; no mirror may itself be mirrored (a loop). */
function mirrorProblems(mirrors: Record<string, string>): string[] {
  const problems: string[] = []
  const registries = new Map<string, string>()
  for (const [key, prefix] of Object.entries(mirrors)) {
    const at = `spec.mutations.registryMirrors[${JSON.stringify(key)}]`
    const registry = normalizeRegistry(key)
    if (registry === undefined) problems.push(`${at}: ${JSON.stringify(key)} is not a registry host[:port]`)
    else if (registries.has(registry)) problems.push(`${at}: registry ${JSON.stringify(registry)} is also given as ${JSON.stringify(registries.get(registry))}`)
    else registries.set(registry, key)
    const why = mirrorPrefixProblem(prefix.replace(/\/+$/, ''))
    if (why) problems.push(`${at}: ${JSON.stringify(prefix)} ${why}`)
  }
  for (const [key, prefix] of Object.entries(mirrors)) {
    const host = normalizeRegistry(prefix.split('/')[0]!)
    if (host !== undefined && registries.has(host)) problems.push(`spec.mutations.registryMirrors[${JSON.stringify(key)}]: mirror ${JSON.stringify(prefix)} is on registry ${JSON.stringify(host)}, which is mirrored itself`)
  }
  return problems
}

/**
 * The largest policy accepted, in bytes of text and in rules. Both admit a 3,000-rule policy with a
 * custom schema per rule (about 1.3 MB); a mounted ConfigMap holds at most 1 MiB anyway. They bound
 * what a reload costs: the YAML parse runs whole (on a worker thread, on reload), the validation
 * passes over the whole document, and memory grows with rules.
 */
export const MAX_POLICY_BYTES = 2 * 1024 * 1024
export const MAX_POLICY_RULES = 5000

/** The time one slice of an asynchronous compile may take before it lets the event loop run. */
export const COMPILE_SLICE_MS = 10

const sizeProblem = (text: string): string | undefined => {
  const bytes = Buffer.byteLength(text, 'utf8')
  return bytes > MAX_POLICY_BYTES ? `(document): the policy is ${bytes} bytes; at most ${MAX_POLICY_BYTES} bytes are accepted` : undefined
}

const rulesProblem = (doc: unknown): string | undefined => {
  const rules = (doc as { spec?: { rules?: unknown } } | null)?.spec?.rules
  return Array.isArray(rules) && rules.length > MAX_POLICY_RULES ? `spec.rules: ${rules.length} rules; at most ${MAX_POLICY_RULES} are accepted` : undefined
}

/** `line 3, column 5` (both from 1) of a character offset in the text. */
export function lineAndColumn(text: string, offset: number): string {
  let line = 1
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++
  return `line ${line}, column ${offset - text.lastIndexOf('\n', offset - 1)}`
}

const yamlError = (source: string, text: string, errors: readonly YamlProblem[]): PolicyError =>
  new PolicyError(source, errors.map((e) => `${lineAndColumn(text, e.offset)}: ${e.message}`))

/** The policy's YAML as a value; throws PolicyError with the parser's messages, each at its line and column. */
function parseYaml(text: string, source: string): unknown {
  const yaml = parseDocument(text, YAML_PARSE_OPTIONS)
  if (yaml.errors.length > 0) throw yamlError(source, text, yaml.errors.map((e) => ({ message: e.message.split('\n')[0]!, offset: e.pos[0] })))
  return yaml.toJS(YAML_TO_JS_OPTIONS)
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The part of a document with schema errors that the semantic checks can still read: rules with an
 * error of their own become null, mutations with one are left out; undefined when spec or its rules
 * are not even the right type. So one run reports schema and semantic problems together.
 */
function wellFormedPart(doc: unknown, errors: readonly { instancePath: string }[]): PolicyDocument | undefined {
  if (errors.length === 0) return doc as PolicyDocument
  const spec = isObject(doc) ? doc['spec'] : undefined
  if (!isObject(spec) || (spec['rules'] !== undefined && !Array.isArray(spec['rules']))) return undefined
  const badRules = new Set<number>()
  let badMutations = spec['mutations'] !== undefined && !isObject(spec['mutations'])
  for (const { instancePath } of errors) {
    const rule = /^\/spec\/rules\/(\d+)(?:\/|$)/.exec(instancePath)
    if (rule) badRules.add(Number(rule[1]))
    else if (instancePath.startsWith('/spec/mutations')) badMutations = true
  }
  const rules = (spec['rules'] as unknown[] | undefined)?.map((r, i) => (badRules.has(i) || !isObject(r) ? null : r))
  const { mutations, ...rest } = spec
  return { ...(doc as object), spec: { ...rest, ...(rules ? { rules } : {}), ...(badMutations ? {} : { mutations }) } } as unknown as PolicyDocument
}

/** The kinds a policy file may be: `serve`, `review`, `audit`, `test` and `doctor` take a cluster policy only. */
export const CLUSTER_POLICY_ONLY: readonly PolicyKind[] = ['EphemeralContainerPolicy']
/** Both kinds: `policy check` and the policy webhook. */
export const ALL_POLICY_KINDS: readonly PolicyKind[] = ['EphemeralContainerPolicy', 'DebugPolicy']

const kindOf = (doc: unknown): PolicyKind => (isObject(doc) && doc['kind'] === 'DebugPolicy' ? 'DebugPolicy' : 'EphemeralContainerPolicy')

function kindProblem(doc: unknown, kinds: readonly PolicyKind[]): string | undefined {
  const kind = kindOf(doc)
  if (kinds.includes(kind)) return undefined
  const needed = `here a policy of kind ${kinds.map((k) => JSON.stringify(k)).join(' or ')} is needed`
  return kind === 'DebugPolicy'
    ? `kind: a DebugPolicy is read from the cluster (kubectl apply -n NAMESPACE) and applies in its own namespace only; ${needed}`
    : `kind: ${JSON.stringify(kind)} is not taken here; ${needed}`
}

interface Checked {
  readonly problems: string[]
  /** Made on the first custom schema: a policy without one never loads Ajv (src/schemas.ts). */
  readonly ajv: ReturnType<typeof lazyPolicyAjv>
}

/**
 * Every problem of a parsed document, yielding after the validation and each custom schema's
 * compile: the schema's, then the semantic ones of what is well formed, then custom schemas that do
 * not compile.
 */
function* problemSteps(doc: unknown, kinds: readonly PolicyKind[]): Steps<Checked> {
  const ajv = lazyPolicyAjv()
  const tooMany = rulesProblem(doc)
  if (tooMany !== undefined) return { problems: [tooMany], ajv }
  const wrongKind = kindProblem(doc, kinds)
  const formatErrors = formatProblems(doc)
  // Read the validator's errors now: another compile may run at the next yield.
  const wellFormed = wellFormedPart(doc, formatErrors.length > 0 ? format.validate.errors ?? [] : [])
  yield
  const problems = [...(wrongKind === undefined ? [] : [wrongKind]), ...formatErrors, ...(wellFormed === undefined ? [] : semanticProblems(wellFormed)), ...capabilityProblems(doc)]
  yield
  // Compile rule by rule, so a custom schema that does not compile is reported under its rule.
  for (const [i, rule] of (wellFormed?.spec.rules ?? []).entries()) {
    if (rule === null || rule.schema === undefined) continue
    try {
      ajv.compile(rule.schema)
    } catch (e) {
      problems.push(`spec.rules[${i}].schema: ${(e as Error).message}`)
    }
    yield
  }
  return { problems, ajv }
}

/** Validates and compiles a parsed policy document, yielding between units of work; every problem in one PolicyError. */
function* documentSteps(doc: unknown, text: string, source: string, kinds: readonly PolicyKind[]): Steps<LoadedPolicy> {
  const { problems, ajv } = yield* problemSteps(doc, kinds)
  if (problems.length > 0) throw new PolicyError(source, problems)
  // A DebugPolicy's spec is a cluster policy's without exemptions, mutations and limits: it compiles
  // the same way (for `policy check` and `policy schema`; serving scopes it to its namespace).
  const policyDoc = doc as PolicyDocument
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12)
  // The same Ajv: it caches by schema object, so the custom schemas compiled above are not compiled again.
  const { policy, rules } = yield* compilePolicySteps(policyDoc, hash, ajv as Ajv2020) // it only calls compile
  return { kind: kindOf(doc), policy, rules, source }
}

/**
 * The largest `spec` of a policy object, in bytes of JSON: an object must fit etcd's object size
 * (1.5 MiB by default) together with the copy of its last good spec in its status
 * (docs/design/policies-and-grants.md, sections 4 and 6).
 */
export const MAX_POLICY_OBJECT_SPEC_BYTES = 512 * 1024

/** What a policy document holds of a stored object: the server's metadata (uid, managedFields, ...) and status left out. */
function documentOf(obj: unknown): unknown {
  if (!isObject(obj)) return obj
  const doc: Record<string, unknown> = {}
  for (const key of ['apiVersion', 'kind', 'metadata', 'spec']) if (key in obj) doc[key] = obj[key]
  const metadata = obj['metadata']
  if (isObject(metadata)) {
    const kept: Record<string, unknown> = {}
    for (const key of ['name', 'namespace', 'labels', 'annotations']) if (metadata[key] !== undefined) kept[key] = metadata[key]
    doc['metadata'] = kept
  }
  return doc
}

/**
 * Validates a policy object as the API server stores it (metadata with uid, generation,
 * resourceVersion, managedFields..., maybe a status): its apiVersion, kind, metadata.name (and
 * namespace, labels, annotations) and spec, with the same schema and checks as `policy check`, and
 * the same problems (`path: message`). The kind is EphemeralContainerPolicy unless the object says
 * DebugPolicy. Never throws on bad input. `source` names the object for the caller's messages; the
 * problems do not repeat it.
 */
export function validatePolicyObject(obj: unknown, source: string): { kind: PolicyKind; problems: string[] } {
  void source
  return runSteps(validatePolicyObjectSteps(obj))
}

/** validatePolicyObject, yielding between units of work (each custom schema's compile), as parsePolicyAsync does. */
export function* validatePolicyObjectSteps(obj: unknown): Steps<{ kind: PolicyKind; problems: string[] }> {
  const doc = documentOf(obj)
  const spec = isObject(doc) ? doc['spec'] : undefined
  const bytes = spec === undefined ? 0 : Buffer.byteLength(JSON.stringify(spec), 'utf8')
  if (bytes > MAX_POLICY_OBJECT_SPEC_BYTES) return { kind: kindOf(doc), problems: [`spec: ${bytes} bytes of JSON; at most ${MAX_POLICY_OBJECT_SPEC_BYTES} bytes are accepted`] }
  return { kind: kindOf(doc), problems: (yield* problemSteps(doc, ALL_POLICY_KINDS)).problems }
}

/**
 * Parses, validates and compiles policy text; throws PolicyError listing every problem. `kinds`: the
 * kinds accepted (default: a cluster policy only).
 */
export function parsePolicy(text: string, source: string, kinds: readonly PolicyKind[] = CLUSTER_POLICY_ONLY): LoadedPolicy {
  const tooBig = sizeProblem(text)
  if (tooBig !== undefined) throw new PolicyError(source, [tooBig])
  return runSteps(documentSteps(parseYaml(text, source), text, source, kinds))
}

/**
 * Below this many characters the YAML is parsed on the event loop: at the measured rate (about a
 * second for a 1.3 MB policy on this project's 2-core test machine) 16 Ki characters hold it for
 * roughly one 10 ms compile slice, less than starting a worker thread takes (which `serve`'s start
 * would wait for: 521 -> 444 ms median to /readyz with the default policy).
 */
export const YAML_OFF_THREAD_FROM_CHARS = 16 * 1024

/**
 * parsePolicy without holding the event loop: the YAML is parsed on a worker thread
 * (yaml-worker.ts) when the text has at least `offThreadFromChars` characters, then the document is
 * validated and compiled in slices of about `sliceMs`, between which requests are answered. The same
 * steps as parsePolicy: the same result, the same errors. `yamlHeapMb` limits the worker's heap
 * (default YAML_WORKER_HEAP_MB).
 */
export async function parsePolicyAsync(text: string, source: string, o: { readonly sliceMs?: number; readonly yamlHeapMb?: number; readonly offThreadFromChars?: number } = {}): Promise<LoadedPolicy> {
  const sliceMs = o.sliceMs ?? COMPILE_SLICE_MS
  const tooBig = sizeProblem(text)
  if (tooBig !== undefined) throw new PolicyError(source, [tooBig])
  let doc: unknown
  if (text.length < (o.offThreadFromChars ?? YAML_OFF_THREAD_FROM_CHARS)) {
    doc = parseYaml(text, source)
  } else {
    let parsed: YamlResult
    try {
      parsed = await parseYamlOffThread(text, o.yamlHeapMb)
    } catch (e) {
      throw new PolicyError(source, [`(document): cannot be parsed: ${(e as Error).message}`])
    }
    if ('errors' in parsed) throw yamlError(source, text, parsed.errors)
    if ('thrown' in parsed) throw new Error(parsed.thrown)
    doc = parsed.value
  }
  const steps = documentSteps(doc, text, source, CLUSTER_POLICY_ONLY)
  let sliceStart = performance.now()
  for (;;) {
    const r = steps.next()
    if (r.done === true) return r.value
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      sliceStart = performance.now()
    }
  }
}

export function loadPolicyFile(file: string, kinds: readonly PolicyKind[] = CLUSTER_POLICY_ONLY): LoadedPolicy {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new PolicyError(file, [`(file): cannot read: ${(e as Error).message}`])
  }
  return parsePolicy(text, file, kinds)
}

