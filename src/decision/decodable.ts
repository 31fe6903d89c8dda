// What an API server can send: every ephemeral container of the object must be what the API server
// decodes as a core/v1 EphemeralContainer (schemas/kubernetes/ephemeral-container.schema.json). One it
// cannot decode (a field of the wrong JSON type, an unparsable quantity, an unknown field) is refused by
// the API server with 400 BadRequest before admission, or, for an unknown field without
// fieldValidation=Strict, dropped before admission: no webhook is ever sent it. Such an object reaches
// ephemeral-guard only through `review` or a client that is no API server; the answer says what the API
// server does instead of inventing a Kubernetes message it never prints.
import type { ErrorObject } from 'ajv/dist/2020.js'
import type { JsonValue } from '../kube/types.js'
import { UnevaluableObjectError } from '../errors.js'
import { loadSchema, pointerSegments } from '../schemas.js'

const container = loadSchema('kubernetes/ephemeral-container.schema.json')

const where = (listField: string, index: number, e: ErrorObject, extra?: string): string => {
  let out = `${listField}[${index}]`
  for (const s of [...pointerSegments(e.instancePath), ...(extra === undefined ? [] : [extra])]) out += /^(0|[1-9][0-9]*)$/.test(s) ? `[${s}]` : `.${s}`
  return out
}

const ARTICLE: Readonly<Record<string, string>> = { object: 'an object', array: 'a list', string: 'a string', boolean: 'a boolean', integer: 'an integer', number: 'a number' }
const jsonType = (v: unknown): string => (Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v)

/** `must be a string, not a number`: the types the field decodes from (null aside) and what was sent. */
function typeMessage(e: ErrorObject, entry: JsonValue): string {
  let data: unknown = entry
  for (const seg of pointerSegments(e.instancePath)) data = (data as Record<string, unknown>)[seg]
  const wanted = ([] as string[]).concat((e.params as { type: string | string[] }).type).filter((x) => x !== 'null')
  return `must be ${wanted.map((x) => ARTICLE[x] ?? x).join(' or ')}, not ${ARTICLE[jsonType(data)] ?? jsonType(data)}`
}

/** Why the API server could not decode the entry, or undefined when it can. */
function problem(entry: JsonValue, index: number, listField: string): string | undefined {
  if (container.validate(entry)) return undefined
  const errors = container.validate.errors ?? []
  const e = errors.find((x) => x.keyword === 'additionalProperties') ?? errors.find((x) => x.keyword !== 'anyOf') ?? errors[0]!
  if (e.keyword === 'additionalProperties') {
    const field = where(listField, index, e, (e.params as { additionalProperty: string }).additionalProperty)
    return `unknown field ${JSON.stringify(field)}: the API server drops it before admission, or refuses the request (400 BadRequest, "strict decoding error") under fieldValidation=Strict`
  }
  if (e.schemaPath.startsWith('#/$defs/quantity')) {
    return `${where(listField, index, e)} is no quantity: the API server refuses the request before admission (400 BadRequest, "quantities must match the regular expression …")`
  }
  return `${where(listField, index, e)} ${e.keyword === 'type' ? typeMessage(e, entry) : e.message ?? 'is not valid'}: the API server cannot decode it and refuses the request before admission (400 BadRequest, "cannot be handled as a Pod")`
}

/** Throws UnevaluableObjectError (400 BadRequest) naming the first entry the API server could not decode. */
export function assertDecodable(list: readonly JsonValue[], listField: string): void {
  list.forEach((entry, index) => {
    const p = problem(entry, index, listField)
    if (p !== undefined) throw new UnevaluableObjectError(`not an object an API server sends to webhooks: ${p}`)
  })
}
