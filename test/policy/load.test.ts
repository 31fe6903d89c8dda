import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { admit } from '../../src/admission/admit.js'
import { decodeReview } from '../../src/admission/decode.js'
import { ALL_POLICY_KINDS, DEFAULT_POLICY_FILE, loadPolicyFile, parsePolicy } from '../../src/policy/load.js'
import { PolicyError } from '../../src/errors.js'
import { debugContainer, profileContainer, admissionReview, type ReviewOptions } from '../support/reviews.js'

const HEAD = 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: test}\n'

function problems(text: string): readonly string[] {
  try {
    parsePolicy(text, 'p.yaml')
  } catch (e) {
    if (e instanceof PolicyError) return e.problems
    throw e
  }
  return []
}

t.test('every problem is reported with its field path', async (t) => {
  const cases: Array<[string, string, string[]]> = [
    ['YAML syntax', `${HEAD}spec: {rules: [}`, ['line 4, column ']],
    ['duplicate keys', `${HEAD}metadata: {name: again}\nspec: {}`, ['line 4, column 1: Map keys must be unique']],
    ['not a policy', 'just text', ['(document): must be object']],
    ['wrong apiVersion and kind', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nspec: {}', ['apiVersion: must be "ephemeral-guard.dev/v1alpha1"', 'kind: must be "EphemeralContainerPolicy"']],
    ['missing spec', `${HEAD}`, ["(document): must have required property 'spec'"]],
    ['bad policy name', 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: Bad_Name}\nspec: {}', ['metadata.name: must match pattern']],
    ['unknown field', `${HEAD}spec: {rules: [{name: r, imagez: {}}]}`, ['spec.rules[0].imagez: unknown field']],
    ['bad mode', `${HEAD}spec: {mode: block}`, ['spec.mode: must be one of "enforce", "warn", "audit"']],
    ['rule without name', `${HEAD}spec: {rules: [{images: {}}]}`, ["spec.rules[0]: must have required property 'name'"]],
    ['wrong types', `${HEAD}spec: {rules: [{name: r, images: {allow: nginx}, maxEphemeralContainers: -1}]}`, ['spec.rules[0].images.allow: must be array', 'spec.rules[0].maxEphemeralContainers: must be >= 0']],
    ['duplicate rule names', `${HEAD}spec: {rules: [{name: r}, {name: r}]}`, ['spec.rules[1].name: duplicate rule name "r"']],
    ['bad image pattern', `${HEAD}spec: {rules: [{name: r, images: {allow: ["registry.example.com/debug-*"], deny: ["a//b"]}}]}`, ['spec.rules[0].images.allow[0]: image pattern "registry.example.com/debug-*" may use * and ** only as whole path segments', 'spec.rules[0].images.deny[0]: image pattern "a//b" has an empty path segment']],
    ['selector values', `${HEAD}spec: {rules: [{name: r, match: {podSelector: {matchExpressions: [{key: a, operator: In}]}}}]}`, ['spec.rules[0].match.podSelector.matchExpressions[0].values: must be non-empty when operator is In']],
    ['custom schema that does not compile', `${HEAD}spec: {rules: [{name: r, schema: {type: strange}}]}`, ['spec.rules[0].schema: schema is invalid']],
    ['schema and semantic problems in one run', `${HEAD}spec: {mode: block, rules: [{name: r, imagez: {}}, {name: s, images: {allow: ["a//b"]}}, {name: s}]}`,
      ['spec.mode: must be one of', 'spec.rules[0].imagez: unknown field', 'spec.rules[1].images.allow[0]: image pattern "a//b" has an empty path segment', 'spec.rules[2].name: duplicate rule name "s"']],
    ['a spec that is not an object', `${HEAD}spec: 3`, ['spec: must be object']],
    ['a rule that is not an object, mutations that are not one', `${HEAD}spec: {rules: [3, {name: r}, {name: r}], mutations: 3}`, ['spec.rules[0]: must be object', 'spec.mutations: must be object', 'spec.rules[2].name: duplicate rule name "r"']],
    ['a malformed spec: schema problems only', `${HEAD}spec: {rules: {name: r}}`, ['spec.rules: must be array']],
    ['malformed mutations are not read', `${HEAD}spec: {mutations: {registryMirrors: {"bad host": x}, securityContext: {privileged: true}}}`, ['spec.mutations.securityContext.privileged: must be false']],
    ['capability names as Kubernetes spells them', `${HEAD}spec: {rules: [{name: r, securityContext: {allowedCapabilities: [sys_ptrace, CAP_NET_ADMIN, SYS_PTRACE, NET_ADMNI, FROBNICATE, 3]}}], mutations: {securityContext: {capabilities: {drop: [ALL, cap_sys_admin]}}}}`, [
      'spec.rules[0].securityContext.allowedCapabilities[5]: must be string',
      'spec.rules[0].securityContext.allowedCapabilities[0]: capability "sys_ptrace" never matches: Kubernetes names capabilities without the CAP_ prefix, in upper case; use "SYS_PTRACE"',
      'spec.rules[0].securityContext.allowedCapabilities[1]: capability "CAP_NET_ADMIN" never matches: Kubernetes names capabilities without the CAP_ prefix, in upper case; use "NET_ADMIN"',
      'spec.rules[0].securityContext.allowedCapabilities[3]: "NET_ADMNI" is not a Linux capability; did you mean "NET_ADMIN"?',
      'spec.rules[0].securityContext.allowedCapabilities[4]: "FROBNICATE" is not a Linux capability (see capabilities(7), without CAP_)',
      'spec.mutations.securityContext.capabilities.drop[1]: capability "cap_sys_admin" never matches: Kubernetes names capabilities without the CAP_ prefix, in upper case; use "SYS_ADMIN"',
    ]],
    ['custom schema with an unknown keyword', `${HEAD}spec: {rules: [{name: r, schema: {mustBe: 1}}]}`, ['spec.rules[0].schema: strict mode: unknown keyword: "mustBe"']],
    // Checked against the meta-schema by a shared instance: the whole message, as the policy's own instance words it.
    ['custom schema of a wrong type', `${HEAD}spec: {rules: [{name: r, schema: {type: strange}}, {name: s, schema: {properties: {a: {minLength: -1}}}}]}`, [
      'spec.rules[0].schema: schema is invalid: data/type must be equal to one of the allowed values, data/type must be array, data/type must match a schema in anyOf',
      'spec.rules[1].schema: schema is invalid: data/properties/a/minLength must be >= 0',
    ]],
    ['custom schema naming the 2020-12 meta-schema', `${HEAD}spec: {rules: [{name: r, schema: {$schema: "https://json-schema.org/draft/2020-12/schema", type: strange}}]}`, ['spec.rules[0].schema: schema is invalid: data/type must be equal to one of the allowed values']],
    ['custom schema naming another meta-schema', `${HEAD}spec: {rules: [{name: r, schema: {$schema: "http://json-schema.org/draft-07/schema#", type: object}}]}`, ['spec.rules[0].schema: no schema with key or ref "http://json-schema.org/draft-07/schema#"']],
  ]
  for (const [name, text, expected] of cases) {
    const got = problems(text)
    // The YAML parser may report one syntax error several ways; everything else is exact.
    if (name === 'YAML syntax') t.ok(got.length >= 1, name)
    else t.equal(got.length, expected.length, `${name}: ${JSON.stringify(got)}`)
    expected.forEach((e, i) => t.ok(got[i]?.startsWith(e), `${name}: ${got[i]} starts with ${e}`))
  }
})

t.test('JSON works as well as YAML; the hash follows the content', async (t) => {
  const json = JSON.stringify({ apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'EphemeralContainerPolicy', metadata: { name: 'j' }, spec: { rules: [{ name: 'r', images: {} }] } })
  const a = parsePolicy(json, 'p.json').policy
  t.equal(a.name, 'j')
  t.match(a.hash, /^[0-9a-f]{12}$/)
  t.equal(parsePolicy(json, 'again.json').policy.hash, a.hash)
  t.not(parsePolicy(`${json}\n`, 'p.json').policy.hash, a.hash)
})

t.test('an unreadable file is a policy error', async (t) => {
  t.throws(() => loadPolicyFile('/nonexistent/policy.yaml'), PolicyError)
})

const examples = new URL('../../policies/examples/', import.meta.url)
const decideWith = (file: URL | string, o: ReviewOptions) => admit(decodeReview(JSON.parse(JSON.stringify(admissionReview(o)))), 'validate', loadPolicyFile(typeof file === 'string' ? file : file.pathname).policy).review.response

t.test('the shipped policies load', async (t) => {
  const files = readdirSync(examples).filter((f) => f.endsWith('.yaml'))
  t.ok(files.length >= 3)
  for (const f of files) t.doesNotThrow(() => loadPolicyFile(new URL(f, examples).pathname, ALL_POLICY_KINDS), f)
  t.equal(loadPolicyFile(DEFAULT_POLICY_FILE).policy.name, 'default')
  t.match(readFileSync(DEFAULT_POLICY_FILE, 'utf8'), /kind: EphemeralContainerPolicy/)
})

t.test('example: production', async (t) => {
  const file = new URL('production.yaml', examples)
  const prod = (o: ReviewOptions): ReviewOptions => o
  const inProd = (r: ReturnType<typeof admissionReview>) => { r.request.namespace = 'prod-eu'; return r }
  const decideProd = (o: ReviewOptions) => admit(decodeReview(inProd(admissionReview(o))), 'validate', loadPolicyFile(file.pathname).policy).review.response
  t.equal(decideProd(prod({ added: [profileContainer('general', { image: 'registry.example.com/debug/netshoot:v1' })], groups: ['sre'] }))?.allowed, true, 'SRE with a vetted image')
  t.match(decideProd({ added: [profileContainer('general', { image: 'registry.example.com/debug/netshoot:v1' })], groups: ['dev'] })?.status?.message, /rule sre-only/, 'developers may not')
  t.match(decideProd({ added: [profileContainer('general', { image: 'nicolaka/netshoot:v1' })], groups: ['sre'] })?.status?.message, /is not allowed; allowed images.*rule trusted-images/)
  t.match(decideProd({ added: [profileContainer('general', { image: 'busybox' })], groups: ['sre'] })?.status?.message, /tag "latest" is not allowed/)
  t.match(decideProd({ added: [profileContainer('general', { image: 'busybox:1.36', env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] })], groups: ['sre'] })?.status?.message, /rule no-secrets/)
  // This pod has no istio-proxy: Kubernetes' own rule speaks for that field, not the policy's.
  t.match(decideProd({ added: [profileContainer('general', { image: 'busybox:1.36', targetContainerName: 'istio-proxy' })], groups: ['sre'] })?.status?.message, /^spec\.ephemeralContainers\[0\]\.targetContainerName: Not found: "istio-proxy"$/)
  t.match(decideProd({ added: [profileContainer('general', { image: 'busybox:1.36', targetContainerName: undefined as unknown as string })], groups: ['sre'] })?.status?.message, /targetContainerName: Required value: must name the container to debug.*rule no-secrets/)
  t.equal(decideWith(file, { added: [profileContainer('sysadmin')], groups: ['dev'] })?.allowed, true, 'outside prod-* only the bounded rule applies')
})

t.test('example: development', async (t) => {
  const file = new URL('development.yaml', examples)
  const net = decideWith(file, { added: [profileContainer('netadmin', { image: 'nicolaka/netshoot' })] })
  t.equal(net?.allowed, true)
  t.equal(net?.warnings, undefined, 'shop is not a dev namespace: network-tools does not apply')
  const r = admissionReview({ added: [profileContainer('general', { image: 'nicolaka/netshoot', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } })] })
  r.request.namespace = 'dev-team1'
  const dev = admit(decodeReview(r), 'validate', loadPolicyFile(file.pathname).policy).review.response
  t.equal(dev?.allowed, true, 'warn mode allows')
  t.same(dev?.warnings, ['spec.ephemeralContainers[0].securityContext.capabilities.add[0]: Forbidden: capability "SYS_ADMIN" is not allowed; allowed: SYS_PTRACE, NET_ADMIN, NET_RAW (rule network-tools)'])
  t.ok(net?.auditAnnotations?.['image-hygiene'], 'latest recorded in the audit log')
  t.equal(decideWith(file, { added: [profileContainer('sysadmin')] })?.allowed, false, 'privileged is enforced even here')
})

t.test('example: break-glass', async (t) => {
  const file = new URL('break-glass.yaml', examples)
  const responder = { groups: ['incident-responders'], username: 'dana@example.com' }
  t.equal(decideWith(file, { added: [profileContainer('sysadmin')] })?.allowed, false, 'others: restricted')
  t.match(decideWith(file, { added: [profileContainer('sysadmin')], ...responder })?.status?.message, /must set DEBUG_TICKET matching/, 'responders need a ticket')
  const ok = decideWith(file, { added: [profileContainer('sysadmin', { env: [{ name: 'DEBUG_TICKET', value: 'INC-4711' }] })], ...responder })
  t.equal(ok?.allowed, true, 'with a ticket, anything')
  t.match(ok?.auditAnnotations?.['record-break-glass'], /break-glass debug container added/)
  t.equal(decideWith(file, { added: [debugContainer()] })?.allowed, true)
})
