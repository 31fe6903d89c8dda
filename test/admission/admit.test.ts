import t from 'tap'
import { isEphemeralContainersUpdate } from '../../src/decision/decide.js'
import { defaultPolicy } from '../../src/policy/default.js'
import { type Policy } from '../../src/decision/types.js'
import type { AdmissionReview } from '../../src/kube/types.js'
import { containerCases } from '../support/cases.js'
import { debugContainer, admissionReview, storedPod } from '../support/reviews.js'
import { verdictParts } from '../support/verdicts.js'
import { answer } from '../support/decide.js'

const decide = (r: AdmissionReview, webhook: 'validate' | 'mutate' = 'validate', policy: Policy = defaultPolicy) =>
  answer(r, webhook, policy)

for (const apiVersion of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const) {
  for (const shape of ['Pod', 'EphemeralContainers'] as const) {
    t.test(`${apiVersion}, ${shape} object`, async (t) => {
      for (const c of containerCases) {
        // The legacy object carries no containers, so checks that need them cannot apply there.
        if (shape === 'EphemeralContainers' && c.needsPodSpec) continue
        const r = admissionReview({ added: c.added, existing: c.existing ?? [], apiVersion, shape })
        const { review: answer, summary } = decide(r)
        const expectAllowed = c.kubernetes.length === 0 && c.policy.length === 0
        t.equal(answer.apiVersion, apiVersion, `${c.name}: same apiVersion`)
        t.equal(answer.kind, 'AdmissionReview')
        t.equal(answer.response?.uid, r.request.uid, `${c.name}: uid echoed`)
        t.equal(answer.response?.allowed, expectAllowed, `${c.name}: ${expectAllowed ? 'allowed' : 'denied'}`)
        t.notOk(answer.response?.patch, `${c.name}: validating answers carry no patch`)
        if (expectAllowed) continue
        const base = shape === 'Pod' ? 'spec.ephemeralContainers' : 'ephemeralContainers'
        const parts = verdictParts(answer)
        t.same(parts.kubernetes, c.kubernetes.map((m) => m.replace('spec.ephemeralContainers', base)), `${c.name}: Kubernetes' words`)
        t.same(parts.policy, c.policy, `${c.name}: policy rules`)
        t.equal(answer.response?.status?.code, c.kubernetes.length > 0 ? 422 : 403, `${c.name}: status code`)
        t.equal(answer.response?.status?.reason, c.kubernetes.length > 0 ? 'Invalid' : 'Forbidden')
        t.same(summary.rules.map((r) => r.rule), [...new Set(summary.rules.map((r) => r.rule))], 'rules listed once')
      }
    })
  }
}

t.test('a denial lists every violation in one stable message', async (t) => {
  const r = admissionReview({ added: [debugContainer({ name: 'one', ports: [{ containerPort: 1, protocol: 'TCP' }], securityContext: { privileged: true } }), debugContainer({ name: 'two', image: 'NOPE' })] })
  const first = decide(r).review.response?.status?.message
  t.equal(first,
    '[spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container, ' +
    'spec.ephemeralContainers[0].securityContext.privileged: Forbidden: privileged debug containers are not allowed (rule no-privileged), ' +
    'spec.ephemeralContainers[1].image: Invalid value: "NOPE": repository name must be lowercase (rule image-reference)]')
  t.equal(decide(r).review.response?.status?.message, first, 'the same request gives the same message')
  const single = decide(admissionReview({ added: [debugContainer({ securityContext: { privileged: true } })] }))
  t.equal(single.review.response?.status?.message,
    'spec.ephemeralContainers[0].securityContext.privileged: Forbidden: privileged debug containers are not allowed (rule no-privileged)',
    'one violation is not bracketed')
  t.same(single.summary, { outcome: 'denied', rules: [{ rule: 'no-privileged', mode: 'enforce' }] })
})

t.test('existing ephemeral containers are never re-judged', async (t) => {
  // Added before the webhook existed, privileged: must not block a new, compliant one.
  const old = debugContainer({ name: 'debugger-old01', securityContext: { privileged: true } })
  const r = admissionReview({ existing: [old], added: [debugContainer({ name: 'debugger-new01' })] })
  t.equal(decide(r).review.response?.allowed, true)
})

t.test('existing ephemeral containers may be neither removed nor changed', async (t) => {
  const a = debugContainer({ name: 'debugger-aaaaa' })
  const b = debugContainer({ name: 'debugger-bbbbb' })
  const removed = decide(admissionReview({ existing: [a, b], objectList: [b] })).review.response
  t.equal(removed?.allowed, false)
  t.equal(removed?.status?.message, 'spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger-aaaaa" may not be removed\n', "Kubernetes' detail ends in a newline")
  const changed = decide(admissionReview({ existing: [a, b], objectList: [{ ...a, image: 'alpine:3.20' }, { ...b, tty: false }] })).review.response
  const causes = changed?.status?.details?.causes ?? []
  t.same(causes.map((c) => (c.message ?? '').split('\n')[0]), [
    'Forbidden: existing ephemeral containers "debugger-aaaaa" may not be changed',
    'Forbidden: existing ephemeral containers "debugger-bbbbb" may not be changed',
  ], 'one cause per changed container, in the old list\'s order')
  t.match(causes[0]?.message, '\n@@ -1,6 +1,6 @@\n {\n  "Name": "debugger-aaaaa",\n- "Image": "busybox:1.36",\n+ "Image": "alpine:3.20",\n', "with Kubernetes' diff of the internal struct")
  t.match(causes[1]?.message, '- "TTY": true,\n+ "TTY": false,\n')
  t.equal(changed?.status?.code, 422)
  const reordered = decide(admissionReview({ existing: [a, b], objectList: [b, a] })).review.response
  t.equal(reordered?.allowed, true, 'reordering is not a change: containers match by name')
})

t.test('static pods cannot take ephemeral containers', async (t) => {
  const r = admissionReview({ added: [debugContainer()], annotations: { 'kubernetes.io/config.mirror': 'a1b2c3' } })
  const res = decide(r).review.response
  t.equal(res?.allowed, false)
  t.equal(res?.status?.message, '[]: Forbidden: static pods do not support ephemeral containers', 'at field path [], as the API server prints field.NewPath("")')
})

t.test('entries without a usable name are new and refused', async (t) => {
  const res = decide(admissionReview({ added: [{ image: 'busybox' }] })).review.response
  t.equal(res?.allowed, false)
  t.match(res?.status?.message, /spec\.ephemeralContainers\[0\]\.name: Required value/)
  const notObject = decide(admissionReview({ objectList: ['busybox'] })).review.response
  t.equal(notObject?.allowed, false)
  t.equal(notObject?.status?.code, 400, 'no API server sends it: it refuses such a body before admission')
  t.match(notObject?.status?.message, 'spec.ephemeralContainers[0] must be an object, not a string: the API server cannot decode it and refuses the request before admission (400 BadRequest')
})

t.test('requests other than UPDATE pods/ephemeralcontainers are allowed untouched', async (t) => {
  const cases: Array<[string, (r: ReturnType<typeof admissionReview>) => void]> = [
    ['CREATE pods', (r) => { r.request.operation = 'CREATE'; delete r.request.subResource }],
    ['UPDATE pods', (r) => { delete r.request.subResource }],
    ['UPDATE pods/status', (r) => { r.request.subResource = 'status' }],
    ['UPDATE apps deployments', (r) => { r.request.resource = { group: 'apps', version: 'v1', resource: 'deployments' } }],
  ]
  for (const [name, edit] of cases) {
    const r = admissionReview({ added: [debugContainer({ securityContext: { privileged: true } })] })
    edit(r)
    t.notOk(isEphemeralContainersUpdate(r.request), name)
    for (const webhook of ['validate', 'mutate'] as const) {
      const d = decide(r, webhook)
      t.same(d.review.response, { uid: r.request.uid, allowed: true }, `${name} (${webhook}): plain allow`)
      t.equal(d.summary.outcome, 'skipped')
      t.match(d.summary.note, /not an UPDATE of pods\/ephemeralcontainers/)
    }
  }
})

t.test('an object that cannot be evaluated fails closed, uid kept', async (t) => {
  const edits: Array<[string, (r: ReturnType<typeof admissionReview>) => void, RegExp]> = [
    ['null object', (r) => { r.request.object = null }, /request\.object must be a Pod or EphemeralContainers object/],
    ['missing oldObject', (r) => { delete r.request.oldObject }, /request\.oldObject must be/],
    ['wrong kind', (r) => { (r.request.object as { kind: string }).kind = 'Deployment' }, /kind must be Pod or EphemeralContainers, got "Deployment"/],
    ['no spec', (r) => { delete (r.request.object as { spec?: unknown }).spec }, /request\.object\.spec must be an object/],
    ['list not a list', (r) => { ((r.request.object as { spec: Record<string, unknown> }).spec)['ephemeralContainers'] = {} }, /ephemeralContainers must be a list/],
    ['legacy list not a list', (r) => { r.request.object = { kind: 'EphemeralContainers', metadata: {}, ephemeralContainers: 'x' } }, /ephemeralContainers must be a list/],
    ['metadata not an object', (r) => { (r.request.object as { metadata: unknown }).metadata = [] }, /metadata must be an object/],
    ['labels not an object', (r) => { (r.request.object as { metadata: { labels: unknown } }).metadata.labels = 'x' }, /labels must be an object/],
    ['annotation not a string', (r) => { (r.request.oldObject as { metadata: { annotations: unknown } }).metadata.annotations = { a: 1 } }, /annotations\.a must be a string/],
  ]
  for (const [name, edit, message] of edits) {
    for (const webhook of ['validate', 'mutate'] as const) {
      const r = admissionReview({ added: [debugContainer()] })
      edit(r)
      const d = decide(r, webhook)
      t.equal(d.review.response?.uid, r.request.uid, `${name}: uid`)
      t.equal(d.review.response?.allowed, false, `${name} (${webhook}): refused`)
      t.equal(d.review.response?.status?.code, 400)
      t.match(d.review.response?.status?.message, message, name)
      t.equal(d.summary.outcome, 'errored')
    }
  }
})

t.test('a check that throws fails closed with an internal error', async (t) => {
  const broken: Policy = { name: 'broken', hash: '000000000000', exemption: () => undefined, checks: [{ id: 'boom', origin: 'policy', mode: 'enforce', run: () => { throw new TypeError('bug') } }] }
  const r = admissionReview({ added: [debugContainer()] })
  const d = decide(r, 'validate', broken)
  t.same(d.review.response, {
    uid: r.request.uid,
    allowed: false,
    status: { status: 'Failure', code: 500, reason: 'InternalError', message: 'ephemeral-guard: internal error while deciding; the request is refused' },
  })
  t.equal(d.summary.outcome, 'errored')
})

t.test('dry-run requests get the same decision', async (t) => {
  const bad = [debugContainer({ securityContext: { privileged: true } })]
  const wet = decide(admissionReview({ added: bad })).review.response
  const dry = decide(admissionReview({ added: bad, dryRun: true })).review.response
  t.same({ ...dry, uid: '' }, { ...wet, uid: '' })
})

t.test('the pod name in the status details comes from the request', async (t) => {
  const r = admissionReview({ added: [debugContainer({ securityContext: { privileged: true } })] })
  t.equal(decide(r).review.response?.status?.details?.name, 'cart-7d9f8b6c4-q2xkz')
  delete r.request.name
  t.equal(decide(r).review.response?.status?.details?.name, 'cart-7d9f8b6c4-q2xkz', 'falls back to the object')
})

t.test('a pod with no ephemeral containers yet and no change is allowed', async (t) => {
  const r = admissionReview()
  r.request.object = storedPod()
  t.equal(decide(r).review.response?.allowed, true)
})
