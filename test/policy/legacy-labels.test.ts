// Issue 12, finding 6: the legacy EphemeralContainers object (Kubernetes 1.16–1.21) carries no
// labels, so a rule that selects pods by label cannot know whether it applies. It fails closed: the
// rule is applied as if its podSelector matched, and a denial says why.
import t from 'tap'
import type { Policy } from '../../src/decision/types.js'
import { debugContainer, profileContainer, admissionReview, type Container } from '../support/reviews.js'
import { answer, policyOfRules } from '../support/decide.js'

const policy = (rules: string): Policy => policyOfRules(rules)

const decide = (p: Policy, c: Container, shape: 'Pod' | 'EphemeralContainers') =>
  answer(admissionReview({ added: [c], shape, apiVersion: 'admission.k8s.io/v1beta1' }), 'validate', p).review.response

const NOTE = 'ephemeralContainers: Forbidden: the pod\'s labels are unknown (the legacy EphemeralContainers object carries none), so match.podSelector is taken to match (rule prod-only)'

t.test('a podSelector rule on the legacy object fails closed', async (t) => {
  for (const selector of ['{matchLabels: {app: payments}}', '{matchExpressions: [{key: tier, operator: In, values: [prod]}]}']) {
    const p = policy(`  - name: prod-only\n    match: {podSelector: ${selector}}\n    securityContext: {allowPrivileged: false}\n`)
    const legacy = decide(p, profileContainer('sysadmin'), 'EphemeralContainers')
    t.equal(legacy?.allowed, false, `${selector}: denied on the legacy object`)
    t.equal(legacy?.status?.code, 403)
    t.equal(legacy?.status?.message,
      `[${NOTE}, ephemeralContainers[0].securityContext.privileged: Forbidden: privileged debug containers are not allowed (rule prod-only)]`)
    t.equal(decide(p, profileContainer('sysadmin'), 'Pod')?.allowed, true, `${selector}: a Pod whose labels do not match is not judged by the rule`)
    t.equal(decide(p, debugContainer(), 'EphemeralContainers')?.allowed, true, `${selector}: a container the rule would pass is allowed either way`)
  }
})

t.test('in warn mode the same becomes warnings', async (t) => {
  const p = policy('  - name: prod-only\n    mode: warn\n    match: {podSelector: {matchLabels: {app: payments}}}\n    securityContext: {allowPrivileged: false}\n')
  const res = decide(p, profileContainer('sysadmin'), 'EphemeralContainers')
  t.equal(res?.allowed, true)
  t.equal(res?.warnings?.[0], NOTE)
})
