import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import { parseImageReference } from './image/reference.js'
import { SCHEMAS_DIR } from './paths.js'

/** Keyword carrying, per failing Ajv keyword, the Kubernetes field.Error a schema violation becomes. */
export const ERROR_ANNOTATION = 'x-kubernetes-error'

/**
 * The one Ajv instance. It never changes data (no coercion, defaults or removal), unlike Fastify's
 * route validator; it collects every error because a denial must list every violation, which is safe
 * because bodies are size- and depth-capped before they reach it. Schemas compile once, at start.
 */
function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({
    strict: true,
    allErrors: true,
    coerceTypes: false,
    useDefaults: false,
    removeAdditional: false,
    allowUnionTypes: true,
  })
  ajv.addKeyword({ keyword: ERROR_ANNOTATION, schemaType: 'object' })
  // The distribution/reference grammar, by a linear scanner: a regular expression for it would backtrack.
  ajv.addKeyword({
    keyword: 'imageReference',
    type: 'string',
    schemaType: 'boolean',
    errors: true,
    validate: function imageReference(this: unknown, enabled: boolean, data: string) {
      if (!enabled) return true
      const parsed = parseImageReference(data)
      if (parsed.ok) return true
      ;(imageReference as unknown as { errors: Partial<ErrorObject>[] }).errors = [
        { keyword: 'imageReference', message: parsed.error, params: {} },
      ]
      return false
    },
  })
  return ajv
}

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

/** The schema node an Ajv schemaPath (e.g. `#/properties/name/pattern`) points into, minus its keyword. */
export function schemaNodeOf(root: Readonly<Record<string, unknown>>, schemaPath: string): unknown {
  const segments = schemaPath.replace(/^#\/?/, '').split('/').slice(0, -1)
  let node: unknown = root
  for (const raw of segments) {
    if (typeof node !== 'object' || node === null) return undefined
    node = (node as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')]
  }
  return node
}
