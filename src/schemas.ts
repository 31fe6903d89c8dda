import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import { parseImageReference } from './image/reference.js'
import { SCHEMAS_DIR } from './paths.js'
import { imageMatches, parseImagePattern, type ImagePattern } from './image/pattern.js'
import { safeRegExp } from './re2.js'

/** Keyword carrying, per failing Ajv keyword, the Kubernetes field.Error a schema violation becomes. */
export const ERROR_ANNOTATION = 'x-kubernetes-error'

/**
 * Ajv options shared by every instance: never change data (no coercion, defaults or removal), unlike
 * Fastify's route validator; collect every error, because a denial must list every violation, which
 * is safe because bodies are size- and depth-capped before they reach a schema.
 */
const OPTIONS = { allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false, allowUnionTypes: true } as const

type KeywordErrors = { errors?: Partial<ErrorObject>[] }

export interface ImagePolicySpec {
  readonly allow?: readonly string[]
  readonly deny?: readonly string[]
  readonly requireDigest?: boolean
  readonly forbidTags?: readonly string[]
}

/**
 * imagePolicy: the image parses under the distribution/reference grammar (by a linear scanner: a
 * regular expression for it would backtrack), and meets the allow/deny patterns, digest and tag rules.
 */
function compileImagePolicy(spec: ImagePolicySpec): (data: string) => boolean {
  const patterns = (list: readonly string[] | undefined): ImagePattern[] | undefined => list?.map((p) => {
    const parsed = parseImagePattern(p)
    if (!parsed.ok) throw new Error(`image pattern ${JSON.stringify(p)} ${parsed.error}`)
    return parsed.value
  })
  const allow = patterns(spec.allow)
  const deny = patterns(spec.deny) ?? []
  const forbidTags = new Set(spec.forbidTags ?? [])
  const validate = (data: string): boolean => {
    const parsed = parseImageReference(data)
    const problems: string[] = []
    if (!parsed.ok) problems.push(parsed.error)
    else {
      const ref = parsed.value
      const denied = deny.find((p) => imageMatches(ref, p))
      if (denied) problems.push(`matches denied image pattern ${JSON.stringify(denied.source)}`)
      if (allow && !allow.some((p) => imageMatches(ref, p))) problems.push(`is not allowed; allowed images: ${allow.map((p) => p.source).join(', ')}`)
      if (spec.requireDigest && ref.digest === undefined) problems.push('must be pinned by digest (@sha256:...)')
      // An image pinned by digest is judged by it; with neither tag nor digest it is "latest".
      if (ref.digest === undefined && forbidTags.has(ref.tag ?? 'latest')) problems.push(`tag ${JSON.stringify(ref.tag ?? 'latest')} is not allowed`)
    }
    ;(validate as KeywordErrors).errors = problems.map((message) => ({ keyword: 'imagePolicy', message, params: {} }))
    return problems.length === 0
  }
  return validate
}

/** A new Ajv instance with ephemeral-guard's keywords. */
function createAjv(options: { safePatterns?: boolean } = {}): Ajv2020 {
  const ajv = new Ajv2020({
    ...OPTIONS,
    strict: true,
    ...(options.safePatterns ? { code: { regExp: safeRegExp }, strictTypes: false, strictRequired: false } : {}),
  })
  ajv.addKeyword({ keyword: ERROR_ANNOTATION, schemaType: 'object' })
  ajv.addKeyword({ keyword: 'imagePolicy', type: 'string', schemaType: 'object', errors: true, compile: compileImagePolicy })
  return ajv
}

/**
 * Each loaded policy compiles into an Ajv instance of its own: ids in admins' custom schemas cannot
 * collide across reloads, and a replaced policy's compiled code is freed with it. Every `pattern` and
 * `patternProperties` (written by admins, run on request data) runs on RE2, in linear time; a pattern
 * RE2 cannot compile fails the compile.
 */
export const createPolicyAjv = (): Ajv2020 => createAjv({ safePatterns: true })

/** The instance for ephemeral-guard's own schemas (envelope, Kubernetes restrictions, policy format). */
export const ajv = createAjv()

export interface LoadedSchema {
  readonly schema: Readonly<Record<string, unknown>>
  readonly validate: ValidateFunction
}

/** Reads and compiles a schema file under schemas/. Throws at start, never per request. */
export function loadSchema(relativePath: string): LoadedSchema {
  const schema = JSON.parse(readFileSync(join(SCHEMAS_DIR, relativePath), 'utf8')) as Record<string, unknown>
  return { schema, validate: ajv.compile(schema) }
}

/** RFC 6901: the unescaped reference tokens of a JSON Pointer ('' is the whole document). */
export const pointerSegments = (pointer: string): string[] =>
  pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))

/** The schema node an Ajv schemaPath (e.g. `#/properties/name/pattern`) points into, minus its keyword. */
export function schemaNodeOf(root: Readonly<Record<string, unknown>>, schemaPath: string): unknown {
  let node: unknown = root
  for (const token of pointerSegments(schemaPath.replace(/^#/, '')).slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return undefined
    node = (node as Record<string, unknown>)[token]
  }
  return node
}
