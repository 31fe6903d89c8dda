// Issue 12, finding 1: enforcement is decided per rule, from every violation of an enforce-mode
// check; a warn- or audit-mode rule (or Kubernetes' own restriction) that reports on the same field
// never cancels it. De-duplication is for display only.
import t from 'tap'
import { orderViolations } from '../../src/decision/violations.js'
import type { ModedViolation } from '../../src/decision/types.js'
import { defaultPolicy } from '../../src/policy/default.js'
import { type Policy } from '../../src/decision/types.js'
import { debugContainer, admissionReview, type ReviewOptions } from '../support/reviews.js'
import { verdictParts } from '../support/verdicts.js'
import { answer, policyOfRules } from '../support/decide.js'

const policy = (rules: string): Policy => policyOfRules(rules)

const decide = (p: Policy, o: ReviewOptions, webhook: 'validate' | 'mutate' = 'validate') =>
  answer(admissionReview(o), webhook, p)

t.test('a warn-mode env.require rule does not cancel an enforced rule forbidding LD_PRELOAD', async (t) => {
  const p = policy([
    '  - name: ticket',
    '    mode: warn',
    '    env: {require: [{name: DEBUG_TICKET}]}',
    '  - name: no-ld-preload',
    '    schema:',
    '      properties:',
    '        container:',
    '          properties:',
    '            env: {not: {contains: {required: [name], properties: {name: {const: LD_PRELOAD}}}}}',
    '',
  ].join('\n'))
  const res = decide(p, { added: [debugContainer({ env: [{ name: 'LD_PRELOAD', value: '/tmp/x.so' }] })] }).review.response
  t.equal(res?.allowed, false, 'the enforced rule denies')
  t.equal(res?.status?.code, 403)
  t.same(verdictParts({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', ...(res ? { response: res } : {}) }).policy, ['no-ld-preload'])
  t.match(res?.status?.message, /^spec\.ephemeralContainers\[0\]\.env: Invalid value: .*\(rule no-ld-preload\)$/)
  t.same(res?.warnings, ['spec.ephemeralContainers[0].env: Required value: must set DEBUG_TICKET (rule ticket)'], 'the warning is still given')
})

t.test('an audit-mode requireRunAsNonRoot does not cancel an enforced "seccompProfile required" rule', async (t) => {
  const p = policy([
    '  - name: nonroot',
    '    mode: audit',
    '    securityContext: {requireRunAsNonRoot: true}',
    '  - name: seccomp',
    '    schema:',
    '      properties:',
    '        container: {required: [securityContext], properties: {securityContext: {type: object, required: [seccompProfile]}}}',
    '',
  ].join('\n'))
  const d = decide(p, { added: [debugContainer()] })
  const res = d.review.response
  t.equal(res?.allowed, false, 'the enforced rule denies')
  t.match(res?.status?.message, /\(rule seccomp\)$/)
  t.notMatch(res?.status?.message, /rule nonroot/, 'the audit rule is not part of the denial')
  t.match(res?.auditAnnotations?.['nonroot'], /securityContext: Required value: must set runAsNonRoot: true \(rule nonroot\)/, 'the audit rule is still recorded')
  t.same(d.summary, { outcome: 'denied', rules: [{ rule: 'nonroot', mode: 'audit' }, { rule: 'seccomp', mode: 'enforce' }] })
})

t.test('a Kubernetes violation and a policy violation on one field do not cancel each other', async (t) => {
  // An image with a leading space: Kubernetes' image-whitespace and the policy's image-reference both
  // judge spec.ephemeralContainers[0].image.
  const d = decide(defaultPolicy, { added: [debugContainer({ image: ' busybox:1.36' })] })
  const res = d.review.response
  t.equal(res?.allowed, false)
  t.equal(res?.status?.code, 422, "Kubernetes' restriction decides the code")
  t.equal(res?.status?.message, 'spec.ephemeralContainers[0].image: Invalid value: " busybox:1.36": must not have leading or trailing whitespace', "only Kubernetes' words are shown")
  t.same(d.summary.rules.map((r) => r.rule), ['image-whitespace', 'image-reference'], 'both rules are found')
  const mutate = decide(defaultPolicy, { added: [debugContainer({ image: ' busybox:1.36' })] }, 'mutate').review.response
  t.same(mutate?.warnings, undefined, 'the mutating webhook does not repeat the coming denial')
})

t.test('display: a violation is hidden only behind one of a mode at least as strong', async (t) => {
  const v = (o: Partial<ModedViolation>): ModedViolation =>
    ({ origin: 'policy', rule: 'r', field: 'f', type: 'Invalid', containerIndex: 0, mode: 'enforce', ...o })
  const k8sInvalid = v({ origin: 'kubernetes', rule: 'container-name' })
  const k8sRequired = v({ origin: 'kubernetes', rule: 'container-name', type: 'Required' })
  const staticPod = v({ origin: 'kubernetes', rule: 'static-pod', field: '[]', type: 'Forbidden', containerIndex: -1 })
  const cases: Array<[string, ModedViolation[], ModedViolation[]]> = [
    ['an enforced policy violation is not hidden by an audit Required', [v({ rule: 'a', type: 'Required', mode: 'audit' }), v({ rule: 'b' })], [v({ rule: 'a', type: 'Required', mode: 'audit' }), v({ rule: 'b' })]],
    ['a warn violation is hidden by an enforced Required of its own rule', [v({ type: 'Required' }), v({ mode: 'warn' })], [v({ type: 'Required' })]],
    ['a policy violation is hidden by Kubernetes on the same field', [k8sInvalid, v({})], [k8sInvalid]],
    ['Kubernetes is never hidden by a policy Required (the policy one is)', [v({ type: 'Required' }), k8sInvalid], [k8sInvalid]],
    ["Kubernetes' violations are shown as Kubernetes lists them: a Required hides nothing", [k8sInvalid, k8sRequired], [k8sInvalid, k8sRequired]],
    ['a Kubernetes message listed twice is shown once (field.ErrorList.ToAggregate)', [k8sRequired, k8sRequired], [k8sRequired]],
    ["a static pod's one error replaces Kubernetes' others", [k8sInvalid, staticPod], [staticPod]],
    ["a static pod's error hides no policy violation of another field", [staticPod, v({})], [staticPod, v({})]],
    ['another rule\'s Required hides nothing', [v({ rule: 'a', type: 'Required' }), v({ rule: 'b' })], [v({ rule: 'a', type: 'Required' }), v({ rule: 'b' })]],
    ['other fields are untouched', [v({ type: 'Required' }), v({ field: 'g' })], [v({ type: 'Required' }), v({ field: 'g' })]],
  ]
  for (const [name, input, expected] of cases) t.same(orderViolations(input), expected, name)
})
