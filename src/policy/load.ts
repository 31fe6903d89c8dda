// Reads a policy file (YAML or JSON), validates it against schemas/policy.schema.json and the rules a
// schema cannot express, and compiles it. Every problem is reported with its field path.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseDocument } from 'yaml'
import { PolicyError } from '../errors.js'
import { fieldPath } from '../checks/schema-check.js'
import { PACKAGE_ROOT } from '../paths.js'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { lazyPolicyAjv, loadSchema, pointerSegments } from '../schemas.js'
import { compilePolicy } from './compile.js'
import { mirrorPrefixProblem, normalizeRegistry } from '../decision/mutation/registry-mirror.js'
import { parseImagePattern } from '../image/pattern.js'
import { unsafePatternReason } from '../re2.js'
import { selectorErrors } from './selector.js'
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

/** Parses, validates and compiles policy text; throws PolicyError listing every problem. */
export function parsePolicy(text: string, source: string): LoadedPolicy {
  const yaml = parseDocument(text, { uniqueKeys: true, prettyErrors: false })
  if (yaml.errors.length > 0) throw new PolicyError(source, yaml.errors.map((e) => `(document): ${e.message.split('\n')[0]}`))
  const doc: unknown = yaml.toJS({ maxAliasCount: 100 })
  const formatErrors = formatProblems(doc)
  if (formatErrors.length > 0) throw new PolicyError(source, formatErrors)
  const policyDoc = doc as PolicyDocument
  const problems = semanticProblems(policyDoc)
  if (problems.length > 0) throw new PolicyError(source, problems)
  // Made on the first custom schema: a policy without one never loads Ajv (src/schemas.ts).
  const ajv = lazyPolicyAjv()
  // Compile rule by rule, so a custom schema that does not compile is reported under its rule.
  const compileProblems: string[] = []
  ;(policyDoc.spec.rules ?? []).forEach((rule, i) => {
    if (rule.schema === undefined) return
    try {
      ajv.compile(rule.schema)
    } catch (e) {
      compileProblems.push(`spec.rules[${i}].schema: ${(e as Error).message}`)
    }
  })
  if (compileProblems.length > 0) throw new PolicyError(source, compileProblems)
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12)
  // The same Ajv: it caches by schema object, so the custom schemas compiled above are not compiled again.
  const { policy, rules } = compilePolicy(policyDoc, hash, ajv as Ajv2020) // it only calls compile
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
