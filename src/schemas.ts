import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import { SCHEMAS_DIR } from './paths.js'
import { safeRegExp } from './re2.js'

/** Keyword carrying, per failing Ajv keyword, the Kubernetes field.Error a schema violation becomes. */
export const ERROR_ANNOTATION = 'x-kubernetes-error'

/**
 * Ajv options shared by every instance: never change data (no coercion, defaults or removal), unlike
 * Fastify's route validator; collect every error, because a denial must list every violation, which
 * is safe because bodies are size- and depth-capped before they reach a schema.
 */
const OPTIONS = { allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false, allowUnionTypes: true } as const

/** A new Ajv instance with ephemeral-guard's keywords. */
function createAjv(options: { safePatterns?: boolean } = {}): Ajv2020 {
  const ajv = new Ajv2020({
    ...OPTIONS,
    strict: true,
    ...(options.safePatterns ? { code: { regExp: safeRegExp }, strictTypes: false, strictRequired: false } : {}),
  })
  ajv.addKeyword({ keyword: ERROR_ANNOTATION, schemaType: 'object' })
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
