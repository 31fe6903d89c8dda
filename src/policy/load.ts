// Reads a policy file (YAML or JSON), validates it against schemas/policy.schema.json and the rules a
// schema cannot express, and compiles it. Every problem is reported with its field path.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LineCounter, parseDocument } from 'yaml'
import { PolicyError } from '../errors.js'
import { fieldPath } from '../checks/schema-check.js'
import { PACKAGE_ROOT } from '../paths.js'
import { createPolicyAjv, loadSchema, pointerSegments } from '../schemas.js'
import { compilePolicy } from './compile.js'
import { mirrorPrefixProblem, normalizeRegistry } from '../decision/mutation/registry-mirror.js'
import { parseImagePattern } from '../image/pattern.js'
import { unsafePatternReason } from '../re2.js'
import { selectorErrors } from './selector.js'
import { capabilityProblems } from './capabilities.js'
import type { CompiledRuleView, PolicyDocument } from './types.js'
import type { Policy } from '../decision/types.js'

export const DEFAULT_POLICY_FILE = join(PACKAGE_ROOT, 'policies', 'default.yaml')


export interface LoadedPolicy {
  readonly policy: Policy
  readonly rules: readonly CompiledRuleView[]
  readonly source: string
}

const format = loadSchema('policy.schema.json')

const pathOf = (pointer: string): string =>
  fieldPath('', pointerSegments(pointer)).replace(/^\./, '') || '(document)'

function formatProblems(doc: unknown): string[] {
  if (format.validate(doc)) return []
  return (format.validate.errors ?? []).map((e) => {
    const params = e.params as { additionalProperty?: string; allowedValues?: unknown[]; allowedValue?: unknown }
    if (e.keyword === 'additionalProperties') return `${pathOf(`${e.instancePath}/${params.additionalProperty}`)}: unknown field`
    if (e.keyword === 'enum') return `${pathOf(e.instancePath)}: must be one of ${params.allowedValues?.map((v) => JSON.stringify(v)).join(', ')}`
    if (e.keyword === 'const') return `${pathOf(e.instancePath)}: must be ${JSON.stringify(params.allowedValue)}`
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

/** `line 3, column 5` of an offset in the text. */
const lineAndColumn = (counter: LineCounter, offset: number): string => {
  const { line, col } = counter.linePos(offset)
  return `line ${line}, column ${col}`
}

/** Parses, validates and compiles policy text; throws PolicyError listing every problem. */
export function parsePolicy(text: string, source: string): LoadedPolicy {
  const lineCounter = new LineCounter()
  const yaml = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter })
  if (yaml.errors.length > 0) throw new PolicyError(source, yaml.errors.map((e) => `${lineAndColumn(lineCounter, e.pos[0])}: ${e.message.split('\n')[0]}`))
  const doc: unknown = yaml.toJS({ maxAliasCount: 100 })
  const formatErrors = formatProblems(doc)
  const wellFormed = wellFormedPart(doc, formatErrors.length > 0 ? format.validate.errors ?? [] : [])
  // Every problem in one run: the schema's, then the semantic ones of what is well formed.
  const problems = [...formatErrors, ...(wellFormed === undefined ? [] : semanticProblems(wellFormed)), ...capabilityProblems(doc)]
  const policyDoc = doc as PolicyDocument
  const ajv = createPolicyAjv()
  // Compile rule by rule, so a custom schema that does not compile is reported under its rule.
  ;(wellFormed?.spec.rules ?? []).forEach((rule, i) => {
    if (rule === null || rule.schema === undefined) return
    try {
      ajv.compile(rule.schema)
    } catch (e) {
      problems.push(`spec.rules[${i}].schema: ${(e as Error).message}`)
    }
  })
  if (problems.length > 0) throw new PolicyError(source, problems)
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12)
  // The same Ajv: it caches by schema object, so the custom schemas compiled above are not compiled again.
  const { policy, rules } = compilePolicy(policyDoc, hash, ajv)
  return { policy, rules, source }
}

export function loadPolicyFile(file: string): LoadedPolicy {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new PolicyError(file, [`(file): cannot read: ${(e as Error).message}`])
  }
  return parsePolicy(text, file)
}
