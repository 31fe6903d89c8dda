// Policy tests from plain YAML (`ephemeral-guard test`): a test file names a policy, a Pod manifest,
// the debug container(s) to add (a container spec, or kubectl debug flags), the requester and the
// namespace labels, and what to expect. Each case runs through both webhooks as the API server calls
// them (admission/build.ts) and is compared field by field with what it expects.
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { parseDocument } from 'yaml'
import { buildReview, debugContainer, throughWebhooks, type DebugFlags } from '../admission/build.js'
import { UsageError } from '../errors.js'
import { isJsonObject, type JsonObject, type JsonValue } from '../kube/types.js'
import { DEFAULT_POLICY_FILE, loadPolicyFile, type LoadedPolicy } from '../policy/load.js'

export const TEST_KIND = 'EphemeralContainerPolicyTest'

export interface Expectation {
  readonly verdict?: 'allowed' | 'denied'
  readonly rules?: readonly string[]
  readonly warnings?: readonly string[]
  /** Containers after the mutation, in order; each field given must be equal (others are not compared). */
  readonly containers?: readonly JsonObject[]
  /** Substrings of the denial message. */
  readonly messages?: readonly string[]
}

export interface TestCase {
  readonly file: string
  readonly name: string
  readonly policyFile: string
  readonly pod: JsonObject
  readonly add: readonly ({ readonly container: JsonObject } | { readonly debug: DebugFlags })[]
  readonly user?: string
  readonly groups?: readonly string[]
  readonly namespaceLabels?: Readonly<Record<string, string>>
  readonly expect: Expectation
}

export interface Difference {
  readonly field: string
  readonly expected: JsonValue
  readonly actual: JsonValue
}

export interface CaseResult {
  readonly file: string
  readonly name: string
  readonly passed: boolean
  readonly differences: readonly Difference[]
}

/** Reads YAML (or JSON) into plain data; syntax errors with line and column. */
export function readYaml(file: string, what: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new UsageError(`${what} ${file}: cannot read: ${(e as Error).message}`)
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!
    const at = e.linePos?.[0]
    throw new UsageError(`${what} ${file}${at ? ` line ${at.line}, column ${at.col}` : ''}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`)
  }
  return doc.toJS({ maxAliasCount: 100 })
}

const stringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string')
const stringMap = (v: unknown): v is Record<string, string> => isJsonObject(v as JsonValue) && Object.values(v as object).every((x) => typeof x === 'string')

const DEBUG_KEYS = new Set(['image', 'name', 'profile', 'target', 'env', 'imagePullPolicy', 'stdin', 'tty', 'command', 'argumentsOnly'])
const CASE_KEYS = new Set(['name', 'pod', 'policy', 'container', 'containers', 'debug', 'user', 'groups', 'namespaceLabels', 'expect'])
const EXPECT_KEYS = new Set(['verdict', 'rules', 'warnings', 'containers', 'messages'])

/** The cases of one test file; a malformed file is a UsageError naming the field. */
export function loadTestFile(file: string): TestCase[] {
  const doc = readYaml(file, 'test file')
  const bad = (where: string, what: string): never => { throw new UsageError(`test file ${file}: ${where}: ${what}`) }
  if (!isJsonObject(doc as JsonValue)) return bad('(document)', 'must be a mapping')
  const top = doc as JsonObject
  if (top['kind'] !== TEST_KIND) bad('kind', `must be ${TEST_KIND}`)
  const dir = dirname(file)
  const podOf = (v: JsonValue | undefined, at: string): JsonObject => {
    if (typeof v === 'string') {
      const pod = readYaml(resolve(dir, v), 'pod')
      return isJsonObject(pod as JsonValue) ? (pod as JsonObject) : bad(at, `${v} is not a Pod manifest`)
    }
    return isJsonObject(v ?? null) ? (v as JsonObject) : bad(at, 'must be a Pod manifest or the name of a file holding one')
  }
  const policyOf = (v: JsonValue | undefined, at: string): string =>
    v === undefined ? DEFAULT_POLICY_FILE : typeof v === 'string' ? resolve(dir, v) : bad(at, 'must be a file name')
  const defaults = { pod: top['pod'], policy: top['policy'], namespaceLabels: top['namespaceLabels'] }
  const cases = top['cases']
  if (!Array.isArray(cases) || cases.length === 0) bad('cases', 'must be a non-empty list')
  return (cases as JsonValue[]).map((raw, i): TestCase => {
    const at = `cases[${i}]`
    if (!isJsonObject(raw)) return bad(at, 'must be a mapping')
    for (const k of Object.keys(raw)) if (!CASE_KEYS.has(k)) bad(`${at}.${k}`, 'unknown field')
    if (typeof raw['name'] !== 'string' || raw['name'] === '') bad(`${at}.name`, 'must be a non-empty string')
    const add: TestCase['add'][number][] = []
    if (raw['container'] !== undefined) add.push({ container: isJsonObject(raw['container']) ? raw['container'] : bad(`${at}.container`, 'must be a container spec') })
    if (raw['containers'] !== undefined) {
      if (!Array.isArray(raw['containers'])) bad(`${at}.containers`, 'must be a list of container specs')
      for (const c of raw['containers'] as JsonValue[]) add.push({ container: isJsonObject(c) ? c : bad(`${at}.containers`, 'must be a list of container specs') })
    }
    if (raw['debug'] !== undefined) {
      const d = raw['debug']
      if (!isJsonObject(d)) return bad(`${at}.debug`, 'must be a mapping of kubectl debug flags')
      for (const k of Object.keys(d)) if (!DEBUG_KEYS.has(k)) bad(`${at}.debug.${k}`, `unknown flag; known: ${[...DEBUG_KEYS].join(', ')}`)
      if (typeof d['image'] !== 'string') bad(`${at}.debug.image`, 'required (kubectl debug --image)')
      for (const k of ['name', 'profile', 'target', 'imagePullPolicy'] as const) if (d[k] !== undefined && typeof d[k] !== 'string') bad(`${at}.debug.${k}`, 'must be a string')
      for (const k of ['env', 'command'] as const) if (d[k] !== undefined && !stringList(d[k])) bad(`${at}.debug.${k}`, 'must be a list of strings')
      for (const k of ['stdin', 'tty', 'argumentsOnly'] as const) if (d[k] !== undefined && typeof d[k] !== 'boolean') bad(`${at}.debug.${k}`, 'must be true or false')
      add.push({ debug: d as unknown as DebugFlags })
    }
    if (add.length === 0) bad(at, 'needs container, containers or debug: what to add')
    const expect = raw['expect']
    if (!isJsonObject(expect ?? null)) return bad(`${at}.expect`, 'must be a mapping')
    const e = expect as JsonObject
    for (const k of Object.keys(e)) if (!EXPECT_KEYS.has(k)) bad(`${at}.expect.${k}`, 'unknown field')
    if (e['verdict'] !== undefined && e['verdict'] !== 'allowed' && e['verdict'] !== 'denied') bad(`${at}.expect.verdict`, 'must be allowed or denied')
    for (const k of ['rules', 'warnings', 'messages'] as const) if (e[k] !== undefined && !stringList(e[k])) bad(`${at}.expect.${k}`, 'must be a list of strings')
    if (e['containers'] !== undefined && !(Array.isArray(e['containers']) && e['containers'].every(isJsonObject))) bad(`${at}.expect.containers`, 'must be a list of container specs')
    if (raw['user'] !== undefined && typeof raw['user'] !== 'string') bad(`${at}.user`, 'must be a string')
    if (raw['groups'] !== undefined && !stringList(raw['groups'])) bad(`${at}.groups`, 'must be a list of strings')
    const labels = raw['namespaceLabels'] ?? defaults.namespaceLabels
    if (labels !== undefined && !stringMap(labels)) bad(`${at}.namespaceLabels`, 'must map strings to strings')
    return {
      file,
      name: raw['name'] as string,
      policyFile: policyOf(raw['policy'] ?? defaults.policy, `${at}.policy`),
      pod: podOf(raw['pod'] ?? defaults.pod, `${at}.pod`),
      add,
      ...(raw['user'] !== undefined ? { user: raw['user'] as string } : {}),
      ...(raw['groups'] !== undefined ? { groups: raw['groups'] as string[] } : {}),
      ...(labels !== undefined ? { namespaceLabels: labels as Record<string, string> } : {}),
      expect: e as Expectation,
    }
  })
}

/** Fields of `expected` that differ in `actual` (a field not given is not compared). */
function containerDifferences(at: string, expected: JsonObject, actual: JsonObject | undefined): Difference[] {
  if (actual === undefined) return [{ field: at, expected, actual: null }]
  return Object.entries(expected)
    .filter(([k, v]) => !isDeepStrictEqual(v, actual[k] ?? null))
    .map(([k, v]) => ({ field: `${at}.${k}`, expected: v, actual: actual[k] ?? null }))
}

/** Runs one case; `policies` caches each policy file, loaded once per run. */
export function runCase(c: TestCase, policies: Map<string, LoadedPolicy>): CaseResult {
  let loaded = policies.get(c.policyFile)
  if (loaded === undefined) {
    loaded = loadPolicyFile(c.policyFile)
    policies.set(c.policyFile, loaded)
  }
  const add = c.add.map((a) => ('container' in a ? a.container : debugContainer(c.pod, a.debug)))
  const review = buildReview({ pod: c.pod, add, ...(c.user !== undefined ? { user: c.user } : {}), ...(c.groups !== undefined ? { groups: c.groups } : {}) })
  const labels = c.namespaceLabels
  const pair = throughWebhooks(review, loaded.policy, labels === undefined ? {} : { namespaceLabels: () => labels })
  const response = pair.validate.review.response
  const e = c.expect
  const differences: Difference[] = []
  const compare = (field: string, expected: JsonValue | undefined, actual: JsonValue): void => {
    if (expected !== undefined && !isDeepStrictEqual(expected, actual)) differences.push({ field, expected, actual })
  }
  compare('verdict', e.verdict, response?.allowed === true ? 'allowed' : 'denied')
  compare('rules', e.rules === undefined ? undefined : [...e.rules].sort(), pair.validate.summary.rules.map((r) => r.rule).sort())
  compare('warnings', e.warnings as JsonValue | undefined, [...pair.warnings])
  const message = response?.status?.message ?? ''
  for (const m of e.messages ?? []) if (!message.includes(m)) differences.push({ field: 'messages', expected: m, actual: message })
  e.containers?.forEach((want, i) => differences.push(...containerDifferences(`containers[${i}]`, want, pair.containers[i])))
  return { file: c.file, name: c.name, passed: differences.length === 0, differences }
}
