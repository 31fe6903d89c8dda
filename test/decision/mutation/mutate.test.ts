import t from 'tap'
import fastJsonPatch from 'fast-json-patch'
import { defaultPolicy } from '../../../src/policy/default.js'
import { escapePointerToken, pointer } from '../../../src/decision/mutation/json-patch.js'
import type { AdmissionReview, JsonValue } from '../../../src/kube/types.js'
import { containerCases } from '../../support/cases.js'
import { debugContainer, admissionReview } from '../../support/reviews.js'
import { answer, policyOfSpec } from '../../support/decide.js'

const { applyPatch, deepClone } = fastJsonPatch
type Operation = Parameters<typeof applyPatch>[1][number]

const DIGEST = `sha256:${'ab'.repeat(32)}`
const decide = (r: AdmissionReview, webhook: 'validate' | 'mutate') => answer(r, webhook, defaultPolicy).review

function patchOf(r: AdmissionReview): Operation[] {
  const res = decide(r, 'mutate').response
  if (res?.patch === undefined) return []
  return JSON.parse(Buffer.from(res.patch, 'base64').toString('utf8')) as Operation[]
}

/** Applies the mutating answer to request.object, as the API server does, and returns the next review. */
function applied(r: AdmissionReview): AdmissionReview {
  const next = deepClone(r) as AdmissionReview
  next.request!.object = applyPatch(next.request!.object, patchOf(r), true, false).newDocument as JsonValue
  return next
}

t.test('pull policy: Always unless pinned by digest', async (t) => {
  const cases: Array<[string, string | undefined, string | undefined]> = [
    ['busybox:1.36', 'IfNotPresent', 'Always'],
    ['busybox', 'Always', undefined],
    [`busybox@${DIGEST}`, 'Always', 'IfNotPresent'],
    [`busybox:1.36@${DIGEST}`, undefined, 'IfNotPresent'],
    [`busybox@${DIGEST}`, 'IfNotPresent', undefined],
    ['busybox:1.36', 'Never', 'Always'],
  ]
  for (const [image, current, want] of cases) {
    const c = debugContainer({ image })
    if (current === undefined) delete c['imagePullPolicy']
    else c['imagePullPolicy'] = current
    const ops = patchOf(admissionReview({ added: [c] }))
    const path = '/spec/ephemeralContainers/0/imagePullPolicy'
    t.same(ops, want === undefined ? [] : [{ op: current === undefined ? 'add' : 'replace', path, value: want }], `${image} (${current ?? 'unset'})`)
  }
})

t.test('patch and patchType come together, only when there is something to patch', async (t) => {
  const none = decide(admissionReview({ added: [debugContainer({ imagePullPolicy: 'Always' })] }), 'mutate').response
  t.same(Object.keys(none ?? {}).sort(), ['allowed', 'uid'])
  const some = decide(admissionReview({ added: [debugContainer()] }), 'mutate').response
  t.equal(some?.patchType, 'JSONPatch')
  t.type(some?.patch, 'string')
})

t.test('only new containers are patched, at their index in object', async (t) => {
  const existing = [debugContainer({ name: 'debugger-old01', imagePullPolicy: 'IfNotPresent' })]
  const r = admissionReview({ existing, added: [debugContainer({ name: 'debugger-new01' }), debugContainer({ name: 'debugger-new02', imagePullPolicy: 'Always' })] })
  t.same(patchOf(r), [{ op: 'replace', path: '/spec/ephemeralContainers/1/imagePullPolicy', value: 'Always' }])
})

t.test('the legacy object is patched under /ephemeralContainers', async (t) => {
  const r = admissionReview({ added: [debugContainer()], shape: 'EphemeralContainers' })
  t.same(patchOf(r), [{ op: 'replace', path: '/ephemeralContainers/0/imagePullPolicy', value: 'Always' }])
  t.same(patchOf(applied(r)), [], 'fixed point')
})

t.test('containers whose image does not parse are left alone', async (t) => {
  t.same(patchOf(admissionReview({ added: [debugContainer({ image: ' busybox' })] })), [])
  t.same(patchOf(admissionReview({ added: [debugContainer({ image: 42 })] })), [])
  t.same(patchOf(admissionReview({ objectList: ['busybox'] })), [])
})

t.test('every fixture: mutation is a fixed point and never makes a container invalid', async (t) => {
  for (const c of containerCases) {
    for (const shape of ['Pod', 'EphemeralContainers'] as const) {
      if (shape === 'EphemeralContainers' && c.needsPodSpec) continue
      const r = admissionReview({ added: c.added, existing: c.existing ?? [], shape })
      const once = applied(r)
      t.same(patchOf(once), [], `${c.name} (${shape}): a second call gives no patch`)
      const before = decide(r, 'validate').response
      const after = decide(once, 'validate').response
      // A mutation may fix a violation (an unsupported pull policy) but never adds one.
      const causesBefore = (before?.status?.details?.causes ?? []).map((x) => JSON.stringify(x))
      const added = (after?.status?.details?.causes ?? []).filter((x) => !causesBefore.includes(JSON.stringify(x)))
      t.same(added, [], `${c.name} (${shape}): no new violation after mutation`)
      if (before?.allowed) t.equal(after?.allowed, true, `${c.name} (${shape}): still allowed`)
      for (const op of patchOf(r)) t.match(op.path, /^\/(spec\/)?ephemeralContainers\/\d+\//, 'patch stays inside the list')
    }
  }
})

t.test('violations are left to the validating webhook: the mutating one allows without repeating them', async (t) => {
  // kubectl debug prints the warnings of the mutating webhook and the denial of the validating one:
  // each violation once.
  const r = admissionReview({ added: [debugContainer({ securityContext: { privileged: true } })] })
  const res = decide(r, 'mutate').response
  t.equal(res?.allowed, true)
  t.equal(res?.warnings, undefined)
  t.match(decide(r, 'validate').response?.status?.message, /securityContext\.privileged: Forbidden: privileged debug containers are not allowed \(rule no-privileged\)/)
})

t.test('warnings stay within the API server limits', async (t) => {
  // Pod Security fit warnings, one per privileged container with a long name, in a restricted namespace.
  const many = Array.from({ length: 60 }, (_, i) => debugContainer({ name: `debugger-${'x'.repeat(200)}-${i}`, securityContext: { privileged: true } }))
  const fit = policyOfSpec('  mutations: {podSecurity: {fit: true}}\n  rules: []\n')
  const res = answer(admissionReview({ added: many }), 'mutate', fit, { namespaceLabels: () => ({ 'pod-security.kubernetes.io/enforce': 'restricted' }) }).review.response
  const warnings = res?.warnings ?? []
  t.ok(warnings.length > 0 && warnings.length < 60, 'cut off before 4096 characters in total')
  t.ok(warnings.every((w) => w.length <= 256), 'each at most 256 characters')
  t.ok(warnings.reduce((n, w) => n + w.length, 0) <= 4096)
})

t.test('JSON Pointer tokens are escaped (RFC 6901)', async (t) => {
  t.equal(escapePointerToken('a/b~c'), 'a~1b~0c')
  t.equal(pointer('/spec/ephemeralContainers', 3, 'x/y'), '/spec/ephemeralContainers/3/x~1y')
})
