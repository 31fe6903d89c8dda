import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js'
import { PACKAGE_ROOT, SCHEMAS_DIR } from './paths.js'
import { safeRegExp } from './re2.js'

/** Keyword carrying, per failing Ajv keyword, the Kubernetes field.Error a schema violation becomes. */
export const ERROR_ANNOTATION = 'x-kubernetes-error'

/**
 * Ajv options shared by every instance: never change data (no coercion, defaults or removal), unlike
 * Fastify's route validator; collect every error, because a denial must list every violation, which
 * is safe because bodies are size- and depth-capped before they reach a schema.
 */
const OPTIONS = { allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false, allowUnionTypes: true } as const

// Ajv (about 50 ms to load, and as much again to compile its meta-schema per instance) is loaded on
// first use only: ephemeral-guard's own schemas are compiled at build time (below), so a command or
// a server whose policy has no custom schema never loads it.
const require = createRequire(import.meta.url)
const ajvModule = (): typeof import('ajv/dist/2020.js') => require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js')

/** A new Ajv instance with ephemeral-guard's keywords. */
function createAjv(options: { safePatterns?: boolean; source?: boolean } = {}): Ajv2020 {
  const ajv = new (ajvModule().Ajv2020)({
    ...OPTIONS,
    strict: true,
    ...(options.safePatterns ? { code: { regExp: safeRegExp }, strictTypes: false, strictRequired: false } : {}),
    ...(options.source ? { code: { source: true } } : {}),
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
export function createPolicyAjv(): Ajv2020 {
  const ajv = createAjv({ safePatterns: true })
  // Checking a custom schema against the JSON Schema meta-schema needs the meta-schema compiled, which
  // costs more than most custom schemas do: one instance, made once, checks them for every policy.
  // Its answer and message are the same (same options); a schema naming another $schema is left to
  // the policy's own instance, which may hold it.
  const own = ajv.validateSchema.bind(ajv)
  ajv.validateSchema = ((schema: unknown, throwOrLogError?: boolean) => {
    const meta = typeof schema === 'object' && schema !== null ? (schema as { $schema?: unknown }).$schema : undefined
    if (meta !== undefined && meta !== DEFAULT_META_SCHEMA) return own(schema as object, throwOrLogError)
    return (metaChecker ??= createAjv({ safePatterns: true })).validateSchema(schema as object, throwOrLogError)
  }) as Ajv2020['validateSchema']
  return ajv
}

/** Ajv2020's meta-schema, which a custom schema without $schema is checked against. */
const DEFAULT_META_SCHEMA = 'https://json-schema.org/draft/2020-12/schema'
let metaChecker: Ajv2020 | undefined

/**
 * What a policy's compile needs of its Ajv instance, made (createPolicyAjv) on the first `compile`:
 * a policy without custom schemas never loads Ajv.
 */
export function lazyPolicyAjv(): Pick<Ajv2020, 'compile'> {
  let ajv: Ajv2020 | undefined
  return { compile: ((schema: unknown) => (ajv ??= createPolicyAjv()).compile(schema as object)) as Ajv2020['compile'] }
}

/** The instance for ephemeral-guard's own schemas, when one is not compiled at build time. */
let shared: Ajv2020 | undefined
const sharedAjv = (): Ajv2020 => (shared ??= createAjv())

export interface LoadedSchema {
  readonly schema: Readonly<Record<string, unknown>>
  readonly validate: ValidateFunction
}

/** Where `npm run build` writes the compiled validators of schemas/ (scripts/compile-schemas.mjs). */
export const COMPILED_SCHEMAS_DIR = join(PACKAGE_ROOT, 'dist', 'compiled-schemas')

/** Names the schema text and the options it is compiled with: a compiled validator of other text is never used. */
const sourceHash = (text: string): string =>
  createHash('sha256').update(JSON.stringify(OPTIONS)).update('\0').update(ERROR_ANNOTATION).update('\0').update(text).digest('hex')

const compiledPath = (relativePath: string, dir: string): string => join(dir, relativePath.replace(/\.json$/, '.cjs'))

/**
 * The CommonJS module (Ajv's standalone code) of a schema file under schemas/: the same validator
 * the shared instance compiles, with the hash of the text it was made from. The build writes it.
 */
export function compiledSchemaModule(relativePath: string): string {
  const text = readFileSync(join(SCHEMAS_DIR, relativePath), 'utf8')
  const ajv = createAjv({ source: true })
  const validate = ajv.compile(JSON.parse(text) as Record<string, unknown>)
  const standaloneCode = (require('ajv/dist/standalone/index.js') as typeof import('ajv/dist/standalone/index.js')).default
  return `// Compiled from schemas/${relativePath} by npm run build (scripts/compile-schemas.mjs); do not edit.\n${standaloneCode(ajv, validate)}\nmodule.exports.sourceHash = ${JSON.stringify(sourceHash(text))};\n`
}

/** The validator compiled at build time from exactly `text`, or undefined (none, or from other text). */
function compiledValidator(relativePath: string, text: string, dir: string): ValidateFunction | undefined {
  const file = compiledPath(relativePath, dir)
  if (!existsSync(file)) return undefined
  const validate = require(file) as ValidateFunction & { sourceHash?: unknown }
  return validate.sourceHash === sourceHash(text) ? validate : undefined
}

/**
 * Reads a schema file under schemas/ and its validator: the one compiled at build time when it was
 * compiled from this very text, else compiled now. Throws at start, never per request.
 * `compiledDir` is for tests.
 */
export function loadSchema(relativePath: string, compiledDir = COMPILED_SCHEMAS_DIR): LoadedSchema {
  const text = readFileSync(join(SCHEMAS_DIR, relativePath), 'utf8')
  const schema = JSON.parse(text) as Record<string, unknown>
  return { schema, validate: compiledValidator(relativePath, text, compiledDir) ?? compiledAtStart(text, schema) }
}

/** Compiled by the shared instance, once per text (it refuses a second schema of the same $id). */
const atStart = new Map<string, ValidateFunction>()
function compiledAtStart(text: string, schema: Record<string, unknown>): ValidateFunction {
  const key = sourceHash(text)
  let validate = atStart.get(key)
  if (validate === undefined) atStart.set(key, validate = sharedAjv().compile(schema))
  return validate
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
