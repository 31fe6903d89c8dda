// Issue 12, the property behind finding 1: adding a rule in warn or audit mode never changes what the
// enforce-mode rules decide. For random policies, containers and request shapes, the answer with the
// extra rule has the same `allowed` and the same status (code, message, causes) as without it: an
// enforce-mode denial is never turned into an allow, nor reworded.
import t from 'tap'
import fc from 'fast-check'
import { admit } from '../../src/admission/admit.js'
import { decodeReview } from '../../src/admission/decode.js'
import { parsePolicy } from '../../src/policy/load.js'
import type { Policy } from '../../src/decision/types.js'
import type { JsonObject, JsonValue } from '../../src/kube/types.js'
import { debugContainer, admissionReview } from '../support/reviews.js'

const json = (v: JsonObject): fc.Arbitrary<JsonObject> => fc.constant(v)

/** Rule bodies covering every policy field that judges a container, some on the same fields. */
const ruleBody: fc.Arbitrary<JsonObject> = fc.oneof(
  json({ securityContext: { allowPrivileged: false } }),
  json({ securityContext: { allowPrivilegeEscalation: false } }),
  fc.subarray(['SYS_PTRACE', 'NET_ADMIN', 'NET_RAW']).map((caps) => ({ securityContext: { allowedCapabilities: caps } })),
  json({ securityContext: { requireRunAsNonRoot: true } }),
  json({ securityContext: { requireDropAll: true } }),
  json({ env: { require: [{ name: 'DEBUG_TICKET', pattern: '^INC-[0-9]+$' }] } }),
  json({ env: { require: [{ name: 'DEBUG_TICKET' }] } }),
  json({ env: { forbidSecretRefs: true } }),
  fc.subarray(['data', 'kube-api-access-x7k2p']).map((allow) => ({ volumeMounts: { allow } })),
  json({ images: { allow: ['docker.io/library/*'] } }),
  json({ images: { forbidTags: ['latest'] } }),
  json({ targets: { requireTarget: true } }),
  json({ targets: { denyContainers: ['cart'] } }),
  json({ subjects: { groups: ['sre'] } }),
  fc.integer({ min: 0, max: 2 }).map((n) => ({ maxEphemeralContainers: n })),
  json({ schema: { properties: { container: { required: ['securityContext'], properties: { securityContext: { type: 'object', required: ['seccompProfile'] } } } } } }),
  json({ schema: { properties: { container: { properties: { env: { not: { contains: { required: ['name'], properties: { name: { const: 'LD_PRELOAD' } } } } } } } } } }),
)

const match: fc.Arbitrary<JsonObject | undefined> = fc.option(fc.oneof(
  json({ podSelector: { matchLabels: { app: 'cart' } } }),
  json({ podSelector: { matchLabels: { app: 'payments' } } }),
  json({ namespaces: ['shop'] }),
  json({ groups: ['dev'] }),
), { nil: undefined })

const rule = (mode: fc.Arbitrary<string>): fc.Arbitrary<JsonObject> =>
  fc.record({ body: ruleBody, mode, match }).map(({ body, mode, match }) => ({ ...body, mode, ...(match ? { match } : {}) }))

const envEntry: fc.Arbitrary<JsonObject> = fc.record({
  name: fc.constantFrom('DEBUG_TICKET', 'LD_PRELOAD', 'A'),
  source: fc.oneof(
    fc.constantFrom('INC-42', 'none', '').map((value): JsonObject => ({ value })),
    fc.constant<JsonObject>({ valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }),
    fc.constant<JsonObject>({ valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }),
  ),
}).map(({ name, source }) => ({ name, ...source }))

const securityContext: fc.Arbitrary<JsonValue | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant('privileged'), // refused by the API server while decoding; review and direct callers reach it
  fc.record({
    privileged: fc.boolean(),
    allowPrivilegeEscalation: fc.boolean(),
    runAsNonRoot: fc.boolean(),
    capabilities: fc.record({ add: fc.subarray(['SYS_PTRACE', 'NET_ADMIN', 'SYS_ADMIN']), drop: fc.subarray(['ALL', 'NET_RAW']) }, { requiredKeys: [] }),
    seccompProfile: fc.constant({ type: 'RuntimeDefault' }),
  }, { requiredKeys: [] }),
)

const container = (i: number): fc.Arbitrary<JsonObject> => fc.record({
  image: fc.constantFrom('busybox:1.36', 'busybox', 'busybox:latest', 'registry.example.com/debug/tools:1', 'NOPE'),
  securityContext,
  env: fc.option(fc.array(envEntry, { maxLength: 4 }), { nil: undefined }),
  volumeMounts: fc.option(fc.subarray(['data', 'kube-api-access-x7k2p', 'scratch']).map((names) => names.map((name) => ({ name, mountPath: `/m/${name}` }))), { nil: undefined }),
  volumeDevices: fc.option(fc.subarray(['data', 'scratch']).map((names) => names.map((name) => ({ name, devicePath: `/dev/${name}` }))), { nil: undefined }),
  targetContainerName: fc.option(fc.constantFrom('cart', 'migrate', 'nope', ''), { nil: undefined }),
}).map((fields) => {
  const c: JsonObject = debugContainer({ name: `debugger-${i}` })
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) delete c[k]
    else c[k] = v as JsonValue
  }
  return c
})

const scenario = fc.record({
  base: fc.array(rule(fc.constantFrom('enforce', 'warn', 'audit')), { maxLength: 4 }),
  extra: rule(fc.constantFrom('warn', 'audit')),
  at: fc.nat(),
  containers: fc.integer({ min: 1, max: 2 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => container(i)))),
  shape: fc.constantFrom('Pod' as const, 'EphemeralContainers' as const),
  groups: fc.constantFrom<string[]>(['sre'], ['dev'], []),
})

const compile = (rules: JsonObject[]): Policy => parsePolicy(JSON.stringify({
  apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'EphemeralContainerPolicy', metadata: { name: 'p' },
  spec: { rules: rules.map((r, i) => ({ name: `rule-${i}`, ...r })) },
}), 'property.json').policy

t.test('adding a warn- or audit-mode rule never changes an enforce-mode decision', async (t) => {
  let denials = 0
  fc.assert(fc.property(scenario, ({ base, extra, at, containers, shape, groups }) => {
    const r = JSON.stringify(admissionReview({ added: containers, shape, groups }))
    const withExtra = [...base]
    withExtra.splice(at % (base.length + 1), 0, extra)
    const before = admit(decodeReview(JSON.parse(r)), 'validate', compile(base)).review.response
    const after = admit(decodeReview(JSON.parse(r)), 'validate', compile(withExtra)).review.response
    if (before?.allowed === false) denials++
    // Rule names are positional: renumber the base rules' names in the second policy's message.
    const renamed = (s: unknown) => JSON.stringify(s ?? null).replace(/rule-(\d+)/g, (_, n: string) => { const k = at % (base.length + 1); const i = Number(n); return i === k ? 'extra' : `rule-${i > k ? i - 1 : i}` })
    return after?.allowed === before?.allowed && renamed(after?.status) === JSON.stringify(before?.status ?? null)
  }), {
    numRuns: 150,
    examples: [[{
      // The first case: a warn-mode ticket rule and an enforced rule forbidding LD_PRELOAD.
      base: [{ mode: 'enforce', ...{ schema: { properties: { container: { properties: { env: { not: { contains: { required: ['name'], properties: { name: { const: 'LD_PRELOAD' } } } } } } } } } } }],
      extra: { mode: 'warn', env: { require: [{ name: 'DEBUG_TICKET' }] } },
      at: 0, shape: 'Pod', groups: ['sre'],
      containers: [debugContainer({ name: 'debugger-0', env: [{ name: 'LD_PRELOAD', value: '/tmp/x.so' }] })],
    }]],
  })
  t.ok(denials > 10, `the runs include enforce-mode denials (${denials})`)
})
