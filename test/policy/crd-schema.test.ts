// The policy CRDs: translated from schemas/policy.schema.json, structural, committed as generated (in
// the kustomize base and, identical, in the Helm chart). test/e2e/crds.test.ts checks them against
// the real API server: the same documents accepted and refused as by Ajv.
import t from 'tap'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { CrdSchemaTranslator, GENERATE_COMMAND, GRANT_CRDS, grantCrd, grantCrdFiles, POLICY_CRDS, policyCrd, policyCrdFiles, type Structural } from '../../src/policy/crd-schema.js'
import { UntranslatableSchemaError } from '../../src/errors.js'
import { PACKAGE_ROOT, SCHEMAS_DIR } from '../../src/paths.js'
import { MAX_POLICY_RULES } from '../../src/policy/load.js'

const root = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'policy.schema.json'), 'utf8')) as Record<string, unknown>
const grantRoot = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'grant.schema.json'), 'utf8')) as Record<string, unknown>
const ALL_CRDS = [...POLICY_CRDS, ...GRANT_CRDS]
const BASE = join(PACKAGE_ROOT, 'manifests/base/crds')
const CHART = join(PACKAGE_ROOT, 'charts/ephemeral-guard/crds')

t.test('the committed CRDs are the ones schemas/policy.schema.json gives now', async (t) => {
  for (const { file, text } of [...policyCrdFiles(root), ...grantCrdFiles(grantRoot)]) {
    t.equal(readFileSync(join(BASE, file), 'utf8'), text, `manifests/base/crds/${file} is stale: run ${GENERATE_COMMAND}`)
    t.equal(readFileSync(join(CHART, file), 'utf8'), text, `charts/ephemeral-guard/crds/${file} is stale: run ${GENERATE_COMMAND}`)
  }
  t.same(readdirSync(CHART).sort(), ALL_CRDS.map((c) => c.file).sort(), 'the chart holds the four CRDs and nothing else')
  const kustomization = parse(readFileSync(join(BASE, 'kustomization.yaml'), 'utf8')) as { resources: string[] }
  t.same(kustomization.resources, ALL_CRDS.map((c) => c.file), 'the base lists all four')
  t.same(readdirSync(BASE).sort(), [...ALL_CRDS.map((c) => c.file), 'kustomization.yaml'].sort())
  t.match(policyCrdFiles(root)[0]!.text, /^# Generated from schemas\/policy\.schema\.json by `npm run generate:crds`/)
})

/** Every node of a schema with its path. */
function nodes(s: Structural, at = ''): Array<[string, Structural]> {
  return [
    [at, s],
    ...Object.entries(s.properties ?? {}).flatMap(([k, v]) => nodes(v, `${at}.${k}`)),
    ...(s.items ? nodes(s.items, `${at}[*]`) : []),
    ...(s.additionalProperties ? nodes(s.additionalProperties, `${at}{*}`) : []),
  ]
}

const ALLOWED = new Set(['type', 'description', 'properties', 'additionalProperties', 'items', 'required', 'enum', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems', 'format',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-validations', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys'])

t.test('each CRD: names, scope, versions, status, columns; a structural schema', async (t) => {
  for (const names of POLICY_CRDS) {
    const crd = policyCrd(root, names) as { metadata: { name: string }; spec: Record<string, unknown> & { versions: Array<Record<string, unknown> & { schema: { openAPIV3Schema: Structural } }> } }
    t.equal(crd.metadata.name, `${names.plural}.ephemeral-guard.dev`)
    t.equal(crd.spec['scope'], names.kind === 'DebugPolicy' ? 'Namespaced' : 'Cluster')
    t.match(crd.spec['names'], { kind: names.kind, categories: ['ephemeral-guard'], shortNames: names.shortNames })
    const [version] = crd.spec.versions
    t.match(version, { name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } })
    t.same((version!['additionalPrinterColumns'] as Array<{ name: string; jsonPath: string }>).map((c) => [c.name, c.jsonPath]), [
      ['Mode', '.spec.mode'], ['Rules', '.status.rules'], ['Ready', '.status.conditions[?(@.type=="Ready")].status'], ['Age', '.metadata.creationTimestamp'],
    ])
    const schema = version!.schema.openAPIV3Schema
    const status = schema.properties!['status']!
    t.same(Object.keys(status.properties!), ['observedGeneration', 'hash', 'rules', 'conditions', 'lastGood'])
    t.match(status.properties!['conditions'], { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
    t.same(status.properties!['lastGood']!.properties!['spec'], { type: 'object', 'x-kubernetes-preserve-unknown-fields': true })
    for (const [at, node] of nodes(schema)) {
      t.same(Object.keys(node).filter((k) => !ALLOWED.has(k)), [], `${names.kind}${at}: structural keywords only`)
      t.ok(node.type !== undefined || node['x-kubernetes-preserve-unknown-fields'] === true, `${names.kind}${at}: typed`)
      t.notOk(node.properties !== undefined && node.additionalProperties !== undefined, `${names.kind}${at}: not properties and additionalProperties`)
    }
    t.match(schema.properties!['metadata'], { properties: { name: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' } } })
  }
  const debug = policyCrd(root, POLICY_CRDS[1]!) as { spec: { versions: Array<{ schema: { openAPIV3Schema: Structural } }> } }
  const spec = debug.spec.versions[0]!.schema.openAPIV3Schema.properties!['spec']!
  t.same(Object.keys(spec.properties!), ['mode', 'rules'], 'a DebugPolicy has mode and rules only')
  t.equal(spec.properties!['rules']!.maxItems, MAX_POLICY_RULES, 'the schema bounds rules as policy check does')
  t.same(spec.properties!['rules']!.items!.properties!['match']!['x-kubernetes-validations']!.map((r) => r.rule), ['!has(self.namespaces)', '!has(self.excludeNamespaces)'])
})

const translate = (schema: unknown, defs: Record<string, unknown> = {}): Structural => new CrdSchemaTranslator({ $defs: defs }).translate(schema as boolean)

t.test('the translation of each construct', async (t) => {
  t.same(translate({ const: 'x' }), { type: 'string', enum: ['x'] }, 'const: a one-value enum')
  t.same(translate({ const: true }), { type: 'boolean', enum: [true] })
  t.same(translate({ type: 'integer', const: 3 }), { type: 'integer', enum: [3] })
  t.same(translate({ enum: [1.5, 2.5] }), { type: 'number', enum: [1.5, 2.5] })
  t.same(translate({ type: 'string', enum: ['a'], title: 'T', description: 'D', minLength: 1, pattern: '^a$' }), { description: 'D', type: 'string', enum: ['a'], minLength: 1, pattern: '^a$' })
  t.same(translate({ type: 'object', additionalProperties: false, properties: { a: { $ref: '#/$defs/a' } } }, { a: { type: 'string' } }),
    { type: 'object', properties: { a: { type: 'string' } } }, '$ref inlined, additionalProperties: false left out')
  t.same(translate({ type: 'object', additionalProperties: { type: 'string' } }), { type: 'object', additionalProperties: { type: 'string' } }, 'a map')
  t.same(translate({ type: 'object' }), { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, 'an object of any fields')
  t.same(translate(true), { 'x-kubernetes-preserve-unknown-fields': true })
  t.same(translate({ type: ['object', 'boolean'] }), { 'x-kubernetes-preserve-unknown-fields': true }, 'a custom JSON Schema')
  t.same(translate({ oneOf: [{ const: 'keep' }, { type: 'object', properties: { a: { type: 'string' } } }] }), { 'x-kubernetes-preserve-unknown-fields': true }, 'string or object: untyped')
  t.same(translate({ type: 'array', items: { type: 'string' }, required: [], minItems: 1, maxItems: 2 }), { type: 'array', minItems: 1, maxItems: 2, required: [], items: { type: 'string' } })
  t.same(translate({ type: 'object', propertyNames: { minLength: 2, maxLength: 9 }, additionalProperties: { type: 'string' } })['x-kubernetes-validations'], [
    { rule: 'self.all(k, size(k) >= 2)', message: 'every key must have at least 2 characters' },
    { rule: 'self.all(k, size(k) <= 9)', message: 'every key must have at most 9 characters' },
  ])
  const ifs = (s: Record<string, unknown>): unknown => translate({ type: 'object', properties: { type: { type: 'string' }, p: { type: 'string' } }, ...s })['x-kubernetes-validations']
  t.same(ifs({ if: { properties: { type: { const: 'L' } } }, then: { properties: { p: true }, required: ['p'] }, else: { properties: { p: false } } }), [
    { rule: "(!has(self.type) || self.type == 'L') ? (has(self.p)) : (!has(self.p))", message: 'when type is "L", p is required; otherwise p must not be set' },
  ], 'if/then/else: one CEL rule; without required, an absent field passes the if')
  t.same(ifs({ if: { type: 'object', required: ['type'], properties: { type: { const: "it's" } } }, then: { required: ['p'] } }), [
    { rule: "has(self.type) && self.type == 'it\\'s' ? (has(self.p)) : (true)", message: 'when type is "it\'s", p is required' },
  ], 'if with required, no else; quotes escaped')
  t.same(ifs({ if: { properties: { type: { const: 2 } } }, else: { required: ['p'] } }), [
    { rule: '(!has(self.type) || self.type == 2) ? (true) : (has(self.p))', message: 'otherwise p is required' },
  ])
  t.same(translate({ type: 'object', $ref: '#/$defs/m', properties: { a: false, b: { description: 'B' }, c: true, d: { type: 'integer' } } }, {
    m: { type: 'object', properties: { a: { type: 'string' }, b: { $ref: '#/$defs/s' }, c: { type: 'string' } } }, s: { type: 'string' },
  }), {
    type: 'object',
    properties: { a: { type: 'string' }, b: { type: 'string', description: 'B' }, c: { type: 'string' }, d: { type: 'integer' } },
    'x-kubernetes-validations': [{ rule: '!has(self.a)', message: "not allowed in a DebugPolicy: its rules apply only in the policy's own namespace", fieldPath: '.a', reason: 'FieldValueForbidden' }],
  }, '$ref with siblings: properties merged; false keeps the field and forbids it by CEL')
  t.same(translate({ $ref: '#/$defs/a', description: 'mine' }, { a: { $ref: '#/$defs/b', description: 'theirs' }, b: { type: 'string' } }), { description: 'mine', type: 'string' }, 'a $ref to a $ref')
})

t.test('a construct without a translation throws, naming where it is', async (t) => {
  const cases: Array<[string, unknown, Record<string, unknown>, RegExp]> = [
    ['an unknown $ref', { $ref: '#/$defs/nope' }, {}, /^\(root\): \$ref "#\/\$defs\/nope" has no structural translation/],
    ['a $ref elsewhere', { $ref: 'other.json#/x' }, {}, /\$ref "other\.json#\/x"/],
    ['a $ref to a boolean', { $ref: '#/$defs/t', description: 'x' }, { t: true }, /a \$ref to a boolean schema/],
    ['a type over another', { $ref: '#/$defs/s', type: 'integer' }, { s: { type: 'string' } }, /type "integer" over type "string"/],
    ['false for a field the definition has not', { $ref: '#/$defs/m', properties: { z: false } }, { m: { type: 'object', properties: { a: { type: 'string' } } } }, /^\.z: a schema that refuses everything/],
    ['a false schema', false, {}, /a schema that refuses everything/],
    ['a type union', { type: ['string', 'integer'] }, {}, /type \["string","integer"\]/],
    ['an unknown type', { type: 'null' }, {}, /type "null"/],
    ['a const of another type', { type: 'string', const: 3 }, {}, /const 3 of type string/],
    ['an enum of mixed types', { enum: ['a', 1] }, {}, /an enum of string and integer values/],
    ['an enum of objects', { enum: [{}] }, {}, /an enum of object values/],
    ['additionalProperties beside properties', { type: 'object', properties: {}, additionalProperties: { type: 'string' } }, {}, /additionalProperties beside properties/],
    ['an object without fields', { type: 'object', additionalProperties: false }, {}, /an object that takes no fields/],
    ['an unknown keyword', { type: 'string', format: 'uri', uniqueItems: true }, {}, /the keywords format, uniqueItems/],
    ['one unknown keyword', { not: {} }, {}, /the keyword not has/],
    ['propertyNames with a pattern', { type: 'object', additionalProperties: { type: 'string' }, propertyNames: { pattern: 'a' } }, {}, /propertyNames with pattern/],
    ['if on two fields', { type: 'object', properties: {}, if: { properties: { a: { const: 1 }, b: { const: 2 } } } }, {}, /an if other than one field's const/],
    ['if with anyOf', { type: 'object', properties: {}, if: { anyOf: [] } }, {}, /an if other than/],
    ['if that is true', { type: 'object', properties: {}, if: true }, {}, /an if other than/],
    ['if on a pattern', { type: 'object', properties: {}, if: { properties: { a: { pattern: 'x' } } } }, {}, /an if other than/],
    ['if on an odd field name', { type: 'object', properties: {}, if: { properties: { 'a-b': { const: 1 } } } }, {}, /the field name "a-b" in a CEL rule/],
    ['if on an object const', { type: 'object', properties: {}, if: { properties: { a: { const: {} } } } }, {}, /the value \{\} in a CEL rule/],
    ['then that is not an object', { type: 'object', properties: {}, if: { properties: { a: { const: 1 } } }, then: true }, {}, /a then that is not an object/],
    ['then with a field schema', { type: 'object', properties: {}, if: { properties: { a: { const: 1 } } }, then: { properties: { b: { type: 'string' } } } }, {}, /a then with a schema for b/],
    ['else with another keyword', { type: 'object', properties: {}, if: { properties: { a: { const: 1 } } }, else: { minProperties: 1 } }, {}, /minProperties in a else/],
    ['a oneOf of two objects', { oneOf: [{ type: 'object' }, { type: 'object' }] }, {}, /a oneOf other than a string const or an object/],
    ['a oneOf of three', { oneOf: [{ const: 'a' }, { type: 'object' }, { const: 'b' }] }, {}, /a oneOf other than/],
    ['a oneOf that is no list', { oneOf: {} }, {}, /a oneOf other than/],
  ]
  for (const [name, schema, defs, message] of cases) {
    t.throws(() => translate(schema, defs), { name: 'UntranslatableSchemaError', message }, name)
  }
  t.match(new UntranslatableSchemaError('x'), { code: 'WH_ERR_UNTRANSLATABLE_SCHEMA' })
  t.throws(() => policyCrd({ $defs: { k: { type: 'object', properties: {} } } }, { ...POLICY_CRDS[0]!, definition: 'k' }), /k: a kind without spec or metadata\.name/)
})

t.test('the grant CRDs: namespaced, columns, status on DebugGrant only, structural, the API server keeps identities', async (t) => {
  for (const names of GRANT_CRDS) {
    const crd = grantCrd(grantRoot, names) as { metadata: { name: string }; spec: Record<string, unknown> & { versions: Array<Record<string, unknown> & { schema: { openAPIV3Schema: Structural } }> } }
    t.equal(crd.metadata.name, `${names.plural}.ephemeral-guard.dev`)
    t.equal(crd.spec['scope'], 'Namespaced')
    const [version] = crd.spec.versions
    const schema = version!.schema.openAPIV3Schema
    for (const [at, node] of nodes(schema)) {
      t.same(Object.keys(node).filter((k) => !ALLOWED.has(k)), [], `${names.kind}${at}: structural keywords only`)
      t.ok(node.type !== undefined || node['x-kubernetes-preserve-unknown-fields'] === true, `${names.kind}${at}: typed`)
    }
    const columns = (version!['additionalPrinterColumns'] as Array<{ name: string; jsonPath: string }>).map((c) => [c.name, c.jsonPath])
    if (names.kind === 'DebugGrant') {
      t.same(columns, [['Requester', '.spec.requestedBy'], ['State', '.status.state'], ['Expires', '.status.expiresAt'], ['Approvals', '.status.approvals'], ['Age', '.metadata.creationTimestamp']])
      t.same(version!['subresources'], { status: {} })
      t.same(schema.properties!['status']!.properties!['state']!.enum, ['Pending', 'Active', 'Expired', 'Revoked'])
      const spec = schema.properties!['spec']!
      t.same(Object.keys(spec.properties!), ['subjects', 'pods', 'profile', 'reason', 'duration', 'revoked', 'requestedBy'])
      t.same(spec['x-kubernetes-validations']!.map((r) => r.message), ['requestedBy is immutable', 'a revoked grant cannot be un-revoked'])
    } else {
      t.same(columns, [['Grant', '.spec.grant'], ['Generation', '.spec.generation'], ['Approver', '.spec.approver'], ['Age', '.metadata.creationTimestamp']])
      t.equal(version!['subresources'], undefined, 'an approval has no status')
      t.equal(schema.properties!['status'], undefined)
      t.same(schema.properties!['spec']!['x-kubernetes-validations']!.map((r) => r.rule), ['self == oldSelf'])
    }
  }
})
