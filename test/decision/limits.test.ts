// Issue 12, finding 2: the work and the answer of one review are bounded. More new containers than
// the policy judges are denied (403, rule max-new-containers) without judging any; a denial lists at
// most 50 violations and the answer's text stays under 64 KiB; past the deadline, work stops.
import t from 'tap'
import { type DecisionContext } from '../../src/decision/types.js'
import { clip, countValues, jsonBytes, MAX_LISTED_VIOLATIONS, REPLY_TEXT_MAX_BYTES } from '../../src/decision/limits.js'
import { parsePolicy } from '../../src/policy/load.js'
import { defaultPolicy } from '../../src/policy/default.js'
import { type Policy } from '../../src/decision/types.js'
import type { AdmissionReview } from '../../src/kube/types.js'
import { debugContainer, profileContainer, admissionReview, type Container } from '../support/reviews.js'
import { answer } from '../support/decide.js'

const decide = (r: AdmissionReview, webhook: 'validate' | 'mutate' = 'validate', policy: Policy = defaultPolicy, context: DecisionContext = {}) =>
  answer(r, webhook, policy, context)

const privileged = (n: number): Container[] => Array.from({ length: n }, (_, i) => profileContainer('sysadmin', { name: `debugger-${i}` }))

/** Bytes of what the reply says in words: message, causes, warnings, audit annotations. */
const textBytes = (a: AdmissionReview): number =>
  Buffer.byteLength(JSON.stringify([a.response?.status?.message ?? '', a.response?.status?.details?.causes ?? [], a.response?.warnings ?? [], a.response?.auditAnnotations ?? {}]))

const policyText = (rules: string, spec = '') =>
  `apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: test}\nspec:\n${spec}  rules:\n${rules}`

t.test('9,000 new privileged containers: a 403 under max-new-containers, none judged, a small answer', async (t) => {
  const r = admissionReview({ added: privileged(9000) })
  const { review: answer, summary } = decide(r)
  t.equal(answer.response?.uid, r.request.uid)
  t.equal(answer.response?.allowed, false)
  t.same(answer.response?.status, {
    status: 'Failure', code: 403, reason: 'Forbidden',
    message: 'spec.ephemeralContainers: Forbidden: at most 100 new ephemeral containers per request; this request adds 9000, none of them judged (rule max-new-containers)',
    details: { name: 'cart-7d9f8b6c4-q2xkz', kind: 'pods', causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: at most 100 new ephemeral containers per request; this request adds 9000, none of them judged (rule max-new-containers)', field: 'spec.ephemeralContainers' }] },
  })
  t.same(summary, { outcome: 'denied', rules: [{ rule: 'max-new-containers', mode: 'enforce' }] })
  t.ok(Buffer.byteLength(JSON.stringify(answer)) < 1024, 'the answer is under 1 KiB')
  const mutate = decide(r, 'mutate')
  t.same(mutate.review.response, { uid: r.request.uid, allowed: true }, 'the mutating webhook patches nothing and leaves the message to the validating webhook')
})

t.test('no check runs when the request adds more than the limit', async (t) => {
  let runs = 0
  const counting: Policy = { name: 'counting', hash: '000000000000', exemption: () => undefined, limits: { maxNewContainers: 3 }, checks: [{ id: 'count', origin: 'policy', mode: 'enforce', run: () => { runs++; return [] } }] }
  t.equal(decide(admissionReview({ added: privileged(4) }), 'validate', counting).review.response?.status?.code, 403)
  t.equal(decide(admissionReview({ added: privileged(4) }), 'mutate', counting).review.response?.allowed, true)
  t.equal(runs, 0, 'not judged')
  t.equal(decide(admissionReview({ added: privileged(3) }), 'validate', counting).review.response?.allowed, true, 'at the limit, judged')
  t.equal(runs, 1)
})

t.test('new containers with more than 20,000 JSON values: a 403 under max-new-container-values, none judged', async (t) => {
  const caps = (n: number) => debugContainer({ securityContext: { capabilities: { add: Array.from({ length: n }, (_, i) => `CAP_${i}`) } } })
  const { review: answer, summary } = decide(admissionReview({ added: [caps(30_000)] }))
  t.equal(answer.response?.status?.code, 403)
  t.equal(answer.response?.status?.message, 'spec.ephemeralContainers: Forbidden: at most 20000 JSON values in the new ephemeral containers of a request; this request has more, none of them judged (rule max-new-container-values)')
  t.same(summary, { outcome: 'denied', rules: [{ rule: 'max-new-container-values', mode: 'enforce' }] })
  t.same(decide(admissionReview({ added: [caps(30_000)] }), 'mutate').review.response?.warnings, undefined, 'mutate: no patch, no warning; the validating webhook denies')
  const under = decide(admissionReview({ added: [caps(19_000)] }))
  t.same(under.summary.rules.map((r) => r.rule), ['allowed-capabilities'], 'under the limit, judged')
  t.equal(under.review.response?.status?.details?.causes?.length, MAX_LISTED_VIOLATIONS)
  t.match(under.review.response?.status?.message, /, and 18950 more\]$/)
  t.ok(Buffer.byteLength(JSON.stringify(under.review)) < REPLY_TEXT_MAX_BYTES)
  t.equal(countValues([{ a: [1, 2, { b: null }] }, 'x'], 100), 7)
  t.equal(countValues([Array.from({ length: 1000 }, () => 0)], 10), 11, 'stops once past the limit')
})

t.test('spec.limits.maxNewContainers configures the limit; the policy schema bounds it', async (t) => {
  const p = parsePolicy(policyText('    []\n', '  limits: {maxNewContainers: 2}\n'), 'test.yaml').policy
  const three = decide(admissionReview({ added: [debugContainer({ name: 'a' }), debugContainer({ name: 'b' }), debugContainer({ name: 'c' })] }), 'validate', p)
  t.match(three.review.response?.status?.message, /at most 2 new ephemeral containers per request; this request adds 3, none of them judged \(rule max-new-containers\)$/)
  t.equal(decide(admissionReview({ added: [debugContainer({ name: 'a' }), debugContainer({ name: 'b' })] }), 'validate', p).review.response?.allowed, true)
  t.equal(defaultPolicy.limits?.maxNewContainers, 100, 'default 100')
  t.throws(() => parsePolicy(policyText('    []\n', '  limits: {maxNewContainers: 0}\n'), 'test.yaml'), /spec\.limits\.maxNewContainers: must be >= 1/)
  t.throws(() => parsePolicy(policyText('    []\n', '  limits: {maxNewContainers: 1001}\n'), 'test.yaml'), /spec\.limits\.maxNewContainers: must be <= 1000/)
  t.throws(() => parsePolicy(policyText('    []\n', '  limits: {maxViolations: 5}\n'), 'test.yaml'), /spec\.limits\.maxViolations: unknown field/)
})

t.test('a denial lists at most 50 violations, then counts the rest', async (t) => {
  const { review: answer } = decide(admissionReview({ added: privileged(60) }))
  const message = answer.response?.status?.message ?? ''
  t.equal(answer.response?.status?.details?.causes?.length, MAX_LISTED_VIOLATIONS)
  t.ok(message.endsWith(', and 10 more]'), 'the rest counted')
  t.equal(message.split('(rule no-privileged)').length - 1, 50)
  t.match(message, /^\[spec\.ephemeralContainers\[0\]\.securityContext\.privileged: Forbidden/)
})

t.test('however long the values, the reply text stays under 64 KiB', async (t) => {
  // Warn, audit and enforce rules, 100 containers (the limit), each with long, escape-heavy values.
  const p = parsePolicy(policyText([
    '  - name: images', '    images: {allow: []}',
    '  - name: tell', '    mode: warn', '    images: {forbidTags: [latest]}',
    '  - name: record', '    mode: audit', '    volumeMounts: {allow: []}',
    '  - name: record-more', '    mode: audit', '    securityContext: {allowedCapabilities: []}',
    '',
  ].join('\n')), 'test.yaml').policy
  const evil = '\u0001"\\\ud800'.repeat(2000)
  const added = Array.from({ length: 100 }, (_, i) => debugContainer({
    name: `debugger-${i}`,
    image: `registry.example.com/${'x'.repeat(20_000)}:latest`,
    volumeMounts: [{ name: evil, mountPath: '/x' }],
    securityContext: { capabilities: { add: Array.from({ length: 50 }, (_, j) => `CAP_${j}_${evil.slice(0, 400)}`) } },
    workingDir: evil.slice(0, 3000),
  }))
  const { review: answer } = decide(admissionReview({ added }), 'validate', p)
  t.equal(answer.response?.allowed, false)
  t.ok(textBytes(answer) <= REPLY_TEXT_MAX_BYTES, `reply text ${textBytes(answer)} bytes`)
  t.ok((answer.response?.warnings?.length ?? 0) > 0, 'warnings given')
  t.ok(Object.keys(answer.response?.auditAnnotations ?? {}).length > 0, 'audit annotations given')
  t.match(answer.response?.status?.message, /, and \d+ more\]$/)
})

t.test('clip and jsonBytes count JSON-encoded UTF-8 bytes', async (t) => {
  for (const s of ['', 'plain', 'é', '€', '😀', '"\\\n\t', '\u0001', '\ud800', '\udc00x', 'a😀b']) {
    t.equal(jsonBytes(s), Buffer.byteLength(JSON.stringify(s)), JSON.stringify(s))
  }
  t.equal(clip('short', 100), 'short')
  for (const s of ['x'.repeat(300), '😀'.repeat(100), '\u0001'.repeat(100), '"'.repeat(100)]) {
    const c = clip(s, 64)
    t.ok(jsonBytes(c) <= 64, `${JSON.stringify(s.slice(0, 4))}…: ${jsonBytes(c)} bytes`)
    t.ok(c.endsWith('…') && s.startsWith(c.slice(0, -1)), 'a prefix and an ellipsis')
  }
  t.equal(clip('😀😀', 9), '😀…', 'never splits a surrogate pair')
})

t.test('past the deadline, work stops and the request is refused', async (t) => {
  const r = admissionReview({ added: [debugContainer()] })
  let runs = 0
  let clock = 1_000
  const counting: Policy = {
    name: 'counting', hash: '000000000000', exemption: () => undefined,
    checks: ['a', 'b', 'c', 'd'].map((id) => ({ id, origin: 'policy' as const, mode: 'enforce' as const, run: () => { runs++; clock += 100; return [] } })),
  }
  const context: DecisionContext = { now: () => new Date(clock), deadline: 1_150 }
  for (const webhook of ['validate', 'mutate'] as const) {
    runs = 0
    clock = 1_000
    const { review: answer, summary } = decide(r, webhook, counting, context)
    t.same(answer.response, {
      uid: r.request.uid, allowed: false,
      status: { status: 'Failure', code: 504, reason: 'Timeout', message: "ephemeral-guard: the request's deadline passed 50 ms ago while deciding; work stopped and the request is refused" },
    }, webhook)
    t.equal(runs, 2, `${webhook}: the checks after the deadline did not run`)
    t.equal(summary.outcome, 'errored')
  }
  t.equal(decide(r, 'validate', counting, { now: () => new Date(0), deadline: 1 }).review.response?.allowed, true, 'before the deadline: decided')
  t.equal(decide(r, 'validate', defaultPolicy, { deadline: Date.now() - 1 }).review.response?.status?.code, 504, 'the real clock by default')
})
