import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js'
import type { JsonValue } from '../kube/types.js'
import { ERROR_ANNOTATION, loadSchema, pointerSegments, schemaNodeOf } from '../schemas.js'
import type { AddedContainer, Check, CheckInput, FieldErrorType, Mode, Origin, Violation } from '../decision/types.js'

interface ErrorAnnotation { type: FieldErrorType; detail?: string; rule?: string }

const FIELD_ERROR_TYPES: ReadonlySet<string> = new Set(['Required', 'Forbidden', 'Invalid', 'NotSupported', 'Duplicate', 'NotFound'])

/** `spec.ephemeralContainers[1]` + [volumeMounts, 0, subPath] → `spec.ephemeralContainers[1].volumeMounts[0].subPath`. */
export function fieldPath(base: string, segments: readonly string[]): string {
  let out = base
  for (const s of segments) out += /^(0|[1-9][0-9]*)$/.test(s) ? `[${s}]` : `.${s}`
  return out
}

function valueAt(root: JsonValue, segments: readonly string[]): JsonValue | undefined {
  let node: JsonValue | undefined = root
  for (const s of segments) {
    if (typeof node !== 'object' || node === null) return undefined
    node = Array.isArray(node) ? node[Number(s)] : Object.hasOwn(node, s) ? node[s] : undefined
  }
  return node
}

/** The annotation for a failing keyword; `required:<property>` is looked up before `required`. */
function annotationFor(schema: Readonly<Record<string, unknown>>, error: ErrorObject, extra: string | undefined): ErrorAnnotation | undefined {
  const node = schemaNodeOf(schema, error.schemaPath)
  if (typeof node !== 'object' || node === null) return undefined
  const byKeyword = (node as Record<string, unknown>)[ERROR_ANNOTATION] as Record<string, ErrorAnnotation> | undefined
  return (extra === undefined ? undefined : byKeyword?.[`${error.keyword}:${extra}`]) ?? byKeyword?.[error.keyword]
}

/** Checks that every annotation names a known field.Error type, so a typo fails at start. */
function assertAnnotations(node: unknown, where: string): void {
  if (typeof node !== 'object' || node === null) return
  for (const [key, child] of Object.entries(node)) {
    if (key === ERROR_ANNOTATION) {
      for (const [keyword, a] of Object.entries(child as Record<string, ErrorAnnotation>)) {
        if (!FIELD_ERROR_TYPES.has(a.type)) throw new Error(`${where}: ${ERROR_ANNOTATION}.${keyword}.type ${JSON.stringify(a.type)} is not a field error type`)
      }
    } else {
      assertAnnotations(child, `${where}/${key}`)
    }
  }
}

// Applicators whose subschema failures are expected while searching: only their own error counts.
const SEARCHING_KEYWORDS: ReadonlySet<string> = new Set(['contains', 'anyOf', 'oneOf'])

/** Drops errors from inside contains/anyOf/oneOf when that keyword reported its own error. */
function withoutBranchErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const parents = errors.filter((e) => SEARCHING_KEYWORDS.has(e.keyword)).map((e) => `${e.schemaPath}/`)
  return parents.length === 0 ? [...errors] : errors.filter((e) => !parents.some((p) => e.schemaPath.startsWith(p)))
}

export interface SchemaCheckOptions {
  readonly id: string
  readonly origin: Origin
  readonly mode: Mode
  readonly schema: Readonly<Record<string, unknown>>
  readonly validate: ValidateFunction
  /** The document validated for each added container; the container itself by default. */
  readonly documentOf?: (added: AddedContainer, input: CheckInput) => JsonValue
  /** Instance path prefix that addresses the container within that document ('' by default). */
  readonly containerPointer?: string
}

/**
 * A check that applies one JSON Schema to each added ephemeral container and turns every Ajv error
 * into a Kubernetes field.Error through the schema's x-kubernetes-error annotations. An error with no
 * annotation still denies, as `Invalid value` with Ajv's message: nothing that fails a schema passes.
 */
export function schemaCheck(o: SchemaCheckOptions): Check {
  assertAnnotations(o.schema, o.id)
  const prefix = o.containerPointer ?? ''
  return {
    id: o.id,
    origin: o.origin,
    mode: o.mode,
    run: (input) => {
      const out: Violation[] = []
      // Errors of one schema location share their annotation: looked up once per request (per
      // request only, as `extra` comes from the data).
      const annotations = new Map<string, ErrorAnnotation | undefined>()
      const annotation = (error: ErrorObject, extra: string | undefined): ErrorAnnotation | undefined => {
        const key = extra === undefined ? error.schemaPath : `${error.schemaPath}\u0000${extra}`
        if (!annotations.has(key)) annotations.set(key, annotationFor(o.schema, error, extra))
        return annotations.get(key)
      }
      for (const added of input.added) {
        const doc = o.documentOf ? o.documentOf(added, input) : added.value
        if (o.validate(doc)) continue
        const base = `${input.pod.listField}[${added.index}]`
        for (const error of withoutBranchErrors(o.validate.errors ?? [])) {
          const inContainer = error.instancePath === prefix || error.instancePath.startsWith(`${prefix}/`)
          const segments = inContainer ? pointerSegments(error.instancePath.slice(prefix.length)) : []
          const extra = error.keyword === 'required' ? (error.params as { missingProperty: string }).missingProperty
            : error.keyword === 'additionalProperties' ? (error.params as { additionalProperty: string }).additionalProperty
            : undefined
          if (extra !== undefined && inContainer) segments.push(extra)
          const a = annotation(error, extra)
          const offending = inContainer ? valueAt(added.value, segments) : undefined
          const where = inContainer ? '' : `${error.instancePath || '/'} `
          const detail = (a ? a.detail ?? '' : `${where}${error.message ?? 'is not valid'}`)
            .replace('{message}', error.message ?? '')
            .replace('{value}', JSON.stringify(offending ?? null))
          out.push({
            origin: o.origin,
            rule: a?.rule ?? o.id,
            field: fieldPath(base, segments),
            type: a?.type ?? (inContainer ? 'Invalid' : 'Forbidden'),
            ...(offending === undefined || !inContainer ? {} : { value: offending }),
            detail,
            containerIndex: added.index,
          })
        }
      }
      return out
    },
  }
}

/** A check from a schema file under schemas/, compiled by the shared Ajv instance. */
export function fileSchemaCheck(id: string, origin: Origin, schemaFile: string): Check {
  const { schema, validate } = loadSchema(schemaFile)
  return schemaCheck({ id, origin, mode: 'enforce', schema, validate })
}

