// The CustomResourceDefinitions of the two policy kinds, generated from schemas/policy.schema.json
// (scripts/generate-crds.mjs writes them to manifests/base/crds/ and the Helm chart's crds/). One
// source of truth: the JSON Schema that `policy check` and the policy webhook validate with is
// translated into the structural OpenAPI v3 schema a CRD must have
// (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema):
//
// - `$ref` is inlined, its sibling keywords merged into the definition it names;
// - `additionalProperties: false` beside `properties` is left out: the API server refuses unknown
//   fields itself (kubectl's default field validation is Strict; otherwise they are pruned);
// - `const` becomes a one-value `enum`; a field that may only be absent (`false`) a CEL rule;
// - `if`/`then`/`else` of the one shape the schema uses (a `const` in `if`, `required` and `false`
//   properties in the branches) and `propertyNames` become CEL `x-kubernetes-validations`;
// - a field that is a string or an object (`oneOf`) and a custom JSON Schema (`spec.rules[].schema`,
//   object or boolean) keep their value untyped (`x-kubernetes-preserve-unknown-fields`): a structural
//   schema has no union type, and CEL cannot read an untyped field. Only the policy webhook checks them.
//
// Anything else throws: a new keyword in the schema must be translated here before the CRDs can be
// generated again. test/e2e/crds.test.ts checks that the API server and Ajv accept and refuse the
// same documents, and lists the few differences (semantic checks only the policy webhook makes).

import { stringify } from 'yaml'
import { UntranslatableSchemaError } from '../errors.js'

/** A JSON Schema node as schemas/policy.schema.json writes them. */
type Schema = boolean | { readonly [keyword: string]: unknown }
type Node = { readonly [keyword: string]: unknown }

/** One CEL rule of `x-kubernetes-validations`. */
export interface CelRule {
  readonly rule: string
  readonly message: string
  readonly fieldPath?: string
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired'
}

/** The structural OpenAPI v3 schema of one field. */
export interface Structural {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean'
  description?: string
  properties?: Record<string, Structural>
  additionalProperties?: Structural
  items?: Structural
  required?: string[]
  enum?: unknown[]
  pattern?: string
  format?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  minItems?: number
  maxItems?: number
  'x-kubernetes-preserve-unknown-fields'?: true
  'x-kubernetes-validations'?: CelRule[]
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map'
  'x-kubernetes-list-map-keys'?: string[]
}

/** The error for a construct the translator does not know: the schema changed, the translator must follow. */
const untranslatable = (at: string, what: string): UntranslatableSchemaError =>
  new UntranslatableSchemaError(`${at || '(root)'}: ${what} has no structural translation in src/policy/crd-schema.ts`)

const isNode = (s: unknown): s is Node => typeof s === 'object' && s !== null && !Array.isArray(s)

/** Keywords that say nothing a structural schema must hold. */
const ANNOTATIONS = new Set(['title', '$comment', 'x-kubernetes-error'])

/** `"a"` for CEL: a string literal (the values translated are plain names; quotes and backslashes escaped anyway). */
const celString = (v: string): string => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

const celValue = (v: unknown, at: string): string => {
  if (typeof v === 'string') return celString(v)
  if (typeof v === 'boolean' || typeof v === 'number') return String(v)
  throw untranslatable(at, `the value ${JSON.stringify(v)} in a CEL rule`)
}

/** A field name as CEL reads it (`self.name`): the schema's names are identifiers. */
const celField = (name: string, at: string): string => {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw untranslatable(at, `the field name ${JSON.stringify(name)} in a CEL rule`)
  return name
}

function typeOfValues(values: readonly unknown[], at: string): Structural['type'] {
  const types = new Set(values.map((v) => (typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v)))
  const [only] = types
  if (types.size !== 1 || (only !== 'string' && only !== 'boolean' && only !== 'integer' && only !== 'number')) {
    throw untranslatable(at, `an enum of ${[...types].join(' and ')} values`)
  }
  return only
}

export class CrdSchemaTranslator {
  constructor(private readonly root: Node) {}

  /** The definition `#/$defs/NAME` names. */
  private resolve(ref: unknown, at: string): Schema {
    const m = typeof ref === 'string' ? /^#\/\$defs\/([A-Za-z0-9_]+)$/.exec(ref) : null
    const defs = this.root['$defs']
    const target = m !== null && isNode(defs) ? defs[m[1]!] : undefined
    if (target === undefined) throw untranslatable(at, `$ref ${JSON.stringify(ref)}`)
    return target as Schema
  }

  /**
   * One node without `$ref`: the definition named, with the node's other keywords merged in. In
   * `properties`, a sibling's field schema is merged into the definition's; a sibling's `false`
   * (the field may not be given) keeps the definition's schema, to refuse the field by a CEL rule
   * with a message of its own rather than as an unknown field.
   */
  private flatten(schema: Schema, at: string): Schema {
    if (!isNode(schema) || schema['$ref'] === undefined) return schema
    const { $ref, ...siblings } = schema
    const base = this.flatten(this.resolve($ref, at), at)
    if (!isNode(base)) throw untranslatable(at, 'a $ref to a boolean schema')
    return this.merge(base, siblings, at)
  }

  private merge(base: Node, overlay: Node, at: string): Node {
    const out: Record<string, unknown> = { ...base }
    for (const [key, value] of Object.entries(overlay)) {
      if (key === 'properties' && isNode(value) && isNode(base['properties'])) {
        const props: Record<string, unknown> = { ...base['properties'] }
        const forbidden: string[] = [...((base['x-forbidden'] as string[] | undefined) ?? [])]
        for (const [name, field] of Object.entries(value)) {
          const mine = props[name]
          if (field === false && mine !== undefined) forbidden.push(name)
          else if (mine === undefined || field === true) props[name] = mine ?? field
          else props[name] = this.merge(this.flatten(mine as Schema, `${at}.${name}`) as Node, this.flatten(field as Schema, `${at}.${name}`) as Node, `${at}.${name}`)
        }
        out['properties'] = props
        if (forbidden.length > 0) out['x-forbidden'] = forbidden
      } else if (key === 'type' && base['type'] !== undefined && base['type'] !== value) {
        throw untranslatable(at, `type ${JSON.stringify(value)} over type ${JSON.stringify(base['type'])}`)
      } else {
        out[key] = value
      }
    }
    return out
  }

  /** The structural schema of one JSON Schema node; `at` is its field path, for errors. */
  translate(input: Schema, at = ''): Structural {
    const schema = this.flatten(input, at)
    if (schema === true) return { 'x-kubernetes-preserve-unknown-fields': true }
    if (schema === false) throw untranslatable(at, 'a schema that refuses everything')
    const out: Structural = {}
    const cel: CelRule[] = []
    const done = new Set<string>(ANNOTATIONS)
    const take = (...keys: string[]): void => { for (const k of keys) done.add(k) }
    if (typeof schema['description'] === 'string') out.description = schema['description']
    take('description')

    const type = schema['type']
    if (Array.isArray(type)) {
      // A custom JSON Schema (object or boolean): kept as given; Ajv checks it against the meta-schema.
      if ([...type].sort().join() !== 'boolean,object') throw untranslatable(at, `type ${JSON.stringify(type)}`)
      take('type')
      out['x-kubernetes-preserve-unknown-fields'] = true
    } else if (type !== undefined) {
      if (!['object', 'array', 'string', 'integer', 'number', 'boolean'].includes(type as string)) throw untranslatable(at, `type ${JSON.stringify(type)}`)
      out.type = type as Structural['type']
      take('type')
    }

    if ('const' in schema) {
      const value = schema['const']
      const valueType = typeOfValues([value], at)
      if (out.type !== undefined && out.type !== valueType) throw untranslatable(at, `const ${JSON.stringify(value)} of type ${out.type}`)
      out.type = valueType
      out.enum = [value]
      take('const')
    }
    if (Array.isArray(schema['enum'])) {
      const values = schema['enum'] as unknown[]
      out.type ??= typeOfValues(values, at)
      out.enum = [...values]
      take('enum')
    }
    for (const k of ['pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems'] as const) {
      if (schema[k] !== undefined) (out as Record<string, unknown>)[k] = schema[k]
      take(k)
    }

    if (schema['oneOf'] !== undefined) {
      Object.assign(out, this.stringOrObject(schema['oneOf'], at))
      take('oneOf')
    }

    if (isNode(schema['properties'])) {
      out.properties = {}
      for (const [name, field] of Object.entries(schema['properties'])) {
        out.properties[name] = this.translate(field as Schema, `${at}.${name}`)
      }
      take('properties')
      const extra = schema['additionalProperties']
      if (extra !== undefined && extra !== false) throw untranslatable(at, 'additionalProperties beside properties')
      take('additionalProperties')
    } else if (schema['additionalProperties'] !== undefined) {
      const extra = schema['additionalProperties']
      if (extra === false) throw untranslatable(at, 'an object that takes no fields')
      out.additionalProperties = this.translate(extra as Schema, `${at}[*]`)
      take('additionalProperties')
    } else if (out.type === 'object') {
      out['x-kubernetes-preserve-unknown-fields'] = true
    }
    if (Array.isArray(schema['required'])) {
      out.required = [...(schema['required'] as string[])]
      take('required')
    }
    for (const name of (schema['x-forbidden'] as string[] | undefined) ?? []) {
      cel.push({ rule: `!has(self.${celField(name, at)})`, message: "not allowed in a DebugPolicy: its rules apply only in the policy's own namespace", fieldPath: `.${name}`, reason: 'FieldValueForbidden' })
    }
    take('x-forbidden')

    if (schema['items'] !== undefined) {
      out.items = this.translate(schema['items'] as Schema, `${at}[*]`)
      take('items')
    }

    if (isNode(schema['propertyNames'])) {
      cel.push(...this.propertyNames(schema['propertyNames'], at))
      take('propertyNames')
    }

    if (schema['if'] !== undefined) {
      cel.push(this.ifThenElse(schema['if'], schema['then'], schema['else'], at))
      take('if', 'then', 'else')
    }

    const unknown = Object.keys(schema).filter((k) => !done.has(k))
    if (unknown.length > 0) throw untranslatable(at, `the keyword${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`)
    if (cel.length > 0) out['x-kubernetes-validations'] = cel
    return out
  }

  /** `propertyNames` with length bounds: a CEL rule over the map's keys. */
  private propertyNames(names: Node, at: string): CelRule[] {
    const { minLength, maxLength, ...rest } = names
    if (Object.keys(rest).length > 0) throw untranslatable(at, `propertyNames with ${Object.keys(rest).join(', ')}`)
    const rules: CelRule[] = []
    if (typeof minLength === 'number') rules.push({ rule: `self.all(k, size(k) >= ${minLength})`, message: minLength === 1 ? 'no key may be empty' : `every key must have at least ${minLength} characters` })
    if (typeof maxLength === 'number') rules.push({ rule: `self.all(k, size(k) <= ${maxLength})`, message: `every key must have at most ${maxLength} characters` })
    return rules
  }

  /**
   * `if: {properties: {F: {const: V}}, required?}`, with `then` and `else` made of `required` and
   * `properties: {G: true|false}`: one CEL rule, `cond ? then : else`. As JSON Schema reads it, an
   * `if` without F required holds when F is absent.
   */
  private ifThenElse(ifSchema: unknown, thenSchema: unknown, elseSchema: unknown, at: string): CelRule {
    const props = isNode(ifSchema) ? ifSchema['properties'] : undefined
    const entries = isNode(props) ? Object.entries(props) : []
    const extra = isNode(ifSchema) ? Object.keys(ifSchema).filter((k) => k !== 'properties' && k !== 'required' && k !== 'type') : ['if']
    const [field, cond] = entries[0] ?? []
    if (entries.length !== 1 || extra.length > 0 || !isNode(cond) || Object.keys(cond).length !== 1 || !('const' in cond)) {
      throw untranslatable(at, 'an if other than one field\'s const')
    }
    const name = celField(field as string, at)
    const required = isNode(ifSchema) && Array.isArray(ifSchema['required']) && ifSchema['required'].includes(field)
    const test = `self.${name} == ${celValue(cond['const'], at)}`
    const condition = required ? `has(self.${name}) && ${test}` : `(!has(self.${name}) || ${test})`
    const branch = (s: unknown, which: string): { rule: string; says: string[] } => {
      if (s === undefined) return { rule: 'true', says: [] }
      if (!isNode(s)) throw untranslatable(at, `a ${which} that is not an object`)
      const parts: string[] = []
      const says: string[] = []
      for (const [k, v] of Object.entries(s)) {
        if (k === 'required' && Array.isArray(v)) {
          for (const r of v as string[]) { parts.push(`has(self.${celField(r, at)})`); says.push(`${r} is required`) }
        } else if (k === 'properties' && isNode(v)) {
          for (const [p, allowed] of Object.entries(v)) {
            if (allowed === false) { parts.push(`!has(self.${celField(p, at)})`); says.push(`${p} must not be set`) } else if (allowed !== true) throw untranslatable(at, `a ${which} with a schema for ${p}`)
          }
        } else {
          throw untranslatable(at, `${k} in a ${which}`)
        }
      }
      return { rule: parts.length === 0 ? 'true' : parts.join(' && '), says }
    }
    const yes = branch(thenSchema, 'then')
    const no = branch(elseSchema, 'else')
    const value = JSON.stringify(cond['const'])
    const message = [yes.says.length > 0 ? `when ${field} is ${value}, ${yes.says.join(' and ')}` : '', no.says.length > 0 ? `otherwise ${no.says.join(' and ')}` : ''].filter((s) => s !== '').join('; ')
    return { rule: `${condition} ? (${yes.rule}) : (${no.rule})`, message }
  }

  /**
   * `oneOf: [{const: S}, {type: object, ...}]`: a string that must be S, or an object. A structural
   * schema has no field of two types (but int-or-string), and CEL cannot read an untyped field, not
   * even from its parent: the value is kept as given, and only the policy webhook (Ajv) checks it.
   */
  private stringOrObject(oneOf: unknown, at: string): Structural {
    const options = Array.isArray(oneOf) ? oneOf.map((o) => this.flatten(o as Schema, at)) : []
    const literal = options.some((o) => isNode(o) && typeof o['const'] === 'string')
    const object = options.some((o) => isNode(o) && o['type'] === 'object')
    if (options.length !== 2 || !literal || !object) throw untranslatable(at, 'a oneOf other than a string const or an object')
    return { 'x-kubernetes-preserve-unknown-fields': true }
  }
}

/** The group of both policy kinds. */
export const POLICY_GROUP = 'ephemeral-guard.dev'

/** A kind's names and where its schema and its CRD file are; `K`: the kinds of one schema file. */
export interface CrdNames<K extends string = 'EphemeralContainerPolicy' | 'DebugPolicy'> {
  readonly kind: K
  readonly plural: string
  readonly singular: string
  readonly shortNames: readonly string[]
  readonly scope: 'Cluster' | 'Namespaced'
  /** The kind's definition in its schema file (schemas/policy.schema.json, schemas/grant.schema.json). */
  readonly definition: string
  /** File name under manifests/base/crds/ and the chart's crds/. */
  readonly file: string
}

export const POLICY_CRDS: readonly CrdNames[] = [
  { kind: 'EphemeralContainerPolicy', plural: 'ephemeralcontainerpolicies', singular: 'ephemeralcontainerpolicy', shortNames: ['ecp'], scope: 'Cluster', definition: 'ephemeralContainerPolicy', file: 'ephemeralcontainerpolicies.yaml' },
  { kind: 'DebugPolicy', plural: 'debugpolicies', singular: 'debugpolicy', shortNames: ['dbgpol'], scope: 'Namespaced', definition: 'debugPolicy', file: 'debugpolicies.yaml' },
]

/** metav1.Condition, as `kubectl explain` gives it (k8s.io/apimachinery/pkg/apis/meta/v1 types.go). */
const CONDITION: Structural = {
  type: 'object',
  description: 'One aspect of the policy\'s state: Ready, or Invalid with every problem and its path in the message.',
  required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  properties: {
    type: { type: 'string', maxLength: 316, pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$' },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
    observedGeneration: { type: 'integer', minimum: 0 },
    lastTransitionTime: { type: 'string', format: 'date-time' },
    reason: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' },
    message: { type: 'string', maxLength: 32768 },
  },
}

const STATUS: Structural = {
  type: 'object',
  description: 'Written by the controller (the Lease holder) only. See docs/design/policies-and-grants.md, section 6.',
  properties: {
    observedGeneration: { type: 'integer', description: 'The metadata.generation this status describes.' },
    hash: { type: 'string', description: 'Content hash of the spec in force.' },
    rules: { type: 'integer', description: 'Rules of the spec in force.' },
    conditions: { type: 'array', items: CONDITION, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] },
    lastGood: {
      type: 'object',
      description: 'The last version found valid, served while the current one is Invalid.',
      properties: {
        generation: { type: 'integer' },
        hash: { type: 'string' },
        spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
}

/** The CustomResourceDefinition of one policy kind, its schema translated from the root schema's definition. */
export function policyCrd(root: Record<string, unknown>, names: CrdNames): Record<string, unknown> {
  return customResourceDefinition(root, names, POLICY_COLUMNS, STATUS)
}

const POLICY_COLUMNS: readonly PrinterColumn[] = [
  { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
  { name: 'Rules', type: 'integer', jsonPath: '.status.rules' },
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
]

export interface PrinterColumn { readonly name: string; readonly type: 'string' | 'integer' | 'date'; readonly jsonPath: string }

/** The kind's CRD: the translated definition's spec, `status` (with its subresource) when given, columns. */
function customResourceDefinition(root: Record<string, unknown>, names: Omit<CrdNames, 'kind' | 'file'> & { readonly kind: string }, columns: readonly PrinterColumn[], status: Structural | undefined, specRules: readonly CelRule[] = []): Record<string, unknown> {
  const translator = new CrdSchemaTranslator(root)
  const definition = translator.translate({ $ref: `#/$defs/${names.definition}` })
  const { properties = {}, description } = definition
  const metadata = properties['metadata']?.properties?.['name']
  if (properties['spec'] === undefined || metadata === undefined) throw untranslatable(names.definition, 'a kind without spec or metadata.name')
  const spec: Structural = specRules.length === 0 ? properties['spec'] : { ...properties['spec'], 'x-kubernetes-validations': [...(properties['spec']['x-kubernetes-validations'] ?? []), ...specRules] }
  const openAPIV3Schema: Structural = {
    type: 'object',
    ...(description === undefined ? {} : { description }),
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      // A CRD may restrict metadata.name and nothing else of metadata.
      metadata: { type: 'object', properties: { name: { type: 'string', ...pick(metadata, 'maxLength', 'pattern') } } },
      spec,
      ...(status === undefined ? {} : { status }),
    },
  }
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${POLICY_GROUP}`, labels: { 'app.kubernetes.io/name': 'ephemeral-guard' } },
    spec: {
      group: POLICY_GROUP,
      scope: names.scope,
      names: { kind: names.kind, listKind: `${names.kind}List`, plural: names.plural, singular: names.singular, shortNames: [...names.shortNames], categories: ['ephemeral-guard'] },
      versions: [{
        name: 'v1alpha1',
        served: true,
        storage: true,
        ...(status === undefined ? {} : { subresources: { status: {} } }),
        additionalPrinterColumns: columns.map((c) => ({ ...c })),
        schema: { openAPIV3Schema },
      }],
    },
  }
}

function pick(s: Structural, ...keys: Array<keyof Structural>): Partial<Structural> {
  const out: Record<string, unknown> = {}
  for (const k of keys) if (s[k] !== undefined) out[k] = s[k]
  return out
}

/** The command that writes the generated files; named by the header and by the staleness test. */
export const GENERATE_COMMAND = 'npm run generate:crds'

/** The YAML text of each policy CRD, as committed under manifests/base/crds/ and charts/ephemeral-guard/crds/. */
export function policyCrdFiles(root: Record<string, unknown>): Array<{ readonly file: string; readonly text: string }> {
  return POLICY_CRDS.map((names) => ({
    file: names.file,
    text: `# Generated from schemas/policy.schema.json by \`${GENERATE_COMMAND}\` (scripts/generate-crds.mjs); do not edit.\n${stringify(policyCrd(root, names), { lineWidth: 0 })}`,
  }))
}

/** The two grant kinds (schemas/grant.schema.json), both namespaced. */
export type GrantCrdNames = CrdNames<'DebugGrant' | 'DebugGrantApproval'>

export const GRANT_CRDS: readonly GrantCrdNames[] = [
  { kind: 'DebugGrant', plural: 'debuggrants', singular: 'debuggrant', shortNames: ['dbggrant'], scope: 'Namespaced', definition: 'debugGrant', file: 'debuggrants.yaml' },
  { kind: 'DebugGrantApproval', plural: 'debuggrantapprovals', singular: 'debuggrantapproval', shortNames: ['dbgapproval'], scope: 'Namespaced', definition: 'debugGrantApproval', file: 'debuggrantapprovals.yaml' },
]

/** A grant's status: a display of the state computed from the grant and its approvals (src/grants/state.ts). */
const GRANT_STATUS: Structural = {
  type: 'object',
  description: 'Displays the state computed from the grant and its approvals; written by the controller, never trusted by the webhooks.',
  properties: {
    observedGeneration: { type: 'integer', description: 'The metadata.generation this status describes.' },
    state: { type: 'string', enum: ['Pending', 'Active', 'Expired', 'Revoked'] },
    approvals: { type: 'integer', description: 'Approvals of the current generation that count.' },
    approvedBy: { type: 'array', items: { type: 'string' }, description: 'Who approved the current generation.' },
    activeFrom: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    message: { type: 'string', maxLength: 32768 },
  },
}

/**
 * Second lines of defence behind the grant webhook (failurePolicy Fail): the API server itself keeps
 * the requester, keeps a revocation, and keeps an approval as it was created.
 */
const GRANT_SPEC_RULES: readonly CelRule[] = [
  { rule: '!has(oldSelf.requestedBy) || (has(self.requestedBy) && self.requestedBy == oldSelf.requestedBy)', message: 'requestedBy is immutable', fieldPath: '.requestedBy', reason: 'FieldValueForbidden' },
  { rule: '!has(oldSelf.revoked) || !oldSelf.revoked || (has(self.revoked) && self.revoked)', message: 'a revoked grant cannot be un-revoked', fieldPath: '.revoked', reason: 'FieldValueForbidden' },
]
const APPROVAL_SPEC_RULES: readonly CelRule[] = [
  { rule: 'self == oldSelf', message: 'an approval is immutable: create a new one', reason: 'FieldValueForbidden' },
]

const GRANT_COLUMNS: readonly PrinterColumn[] = [
  { name: 'Requester', type: 'string', jsonPath: '.spec.requestedBy' },
  { name: 'State', type: 'string', jsonPath: '.status.state' },
  { name: 'Expires', type: 'string', jsonPath: '.status.expiresAt' },
  { name: 'Approvals', type: 'integer', jsonPath: '.status.approvals' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
]
const APPROVAL_COLUMNS: readonly PrinterColumn[] = [
  { name: 'Grant', type: 'string', jsonPath: '.spec.grant' },
  { name: 'Generation', type: 'integer', jsonPath: '.spec.generation' },
  { name: 'Approver', type: 'string', jsonPath: '.spec.approver' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
]

/** The CustomResourceDefinition of one grant kind, translated from schemas/grant.schema.json. */
export function grantCrd(root: Record<string, unknown>, names: GrantCrdNames): Record<string, unknown> {
  return names.kind === 'DebugGrant'
    ? customResourceDefinition(root, names, GRANT_COLUMNS, GRANT_STATUS, GRANT_SPEC_RULES)
    : customResourceDefinition(root, names, APPROVAL_COLUMNS, undefined, APPROVAL_SPEC_RULES)
}

/** The YAML text of each grant CRD, as committed under manifests/base/crds/ and charts/ephemeral-guard/crds/. */
export function grantCrdFiles(root: Record<string, unknown>): Array<{ readonly file: string; readonly text: string }> {
  return GRANT_CRDS.map((names) => ({
    file: names.file,
    text: `# Generated from schemas/grant.schema.json by \`${GENERATE_COMMAND}\` (scripts/generate-crds.mjs); do not edit.\n${stringify(grantCrd(root, names), { lineWidth: 0 })}`,
  }))
}
