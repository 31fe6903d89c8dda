import t from 'tap'
import { formatFinding, doctorExitCode } from '../../src/doctor/findings.js'
import { blindness, blindPolicies, blindWebhooks, coversSubresource, inspectsPods, seesKubectlDebug, type Rule } from '../../src/doctor/rules.js'
import type { JsonObject } from '../../src/kube/types.js'

const rule = (resources: string[], operations = ['CREATE', 'UPDATE'], extra: Partial<Rule> = {}): Rule =>
  ({ apiGroups: [''], apiVersions: ['v1'], operations, resources, ...extra })

t.test('which single rules inspect pods, cover the subresource, see kubectl debug', async (t) => {
  const cases: Array<[string, Rule, boolean, boolean, boolean]> = [
    ['pods', rule(['pods']), true, false, false],
    ['pods/ephemeralcontainers UPDATE', rule(['pods/ephemeralcontainers'], ['UPDATE']), false, true, true],
    ['pods/* UPDATE', rule(['pods/*'], ['UPDATE']), false, true, true],
    ['*/* everything', rule(['*/*'], ['*'], { apiGroups: ['*'], apiVersions: ['*'] }), true, true, true],
    ['*/ephemeralcontainers', rule(['*/ephemeralcontainers'], ['UPDATE']), false, true, true],
    ['* is every resource without subresources', rule(['*'], ['*'], { apiGroups: ['*'], apiVersions: ['*'] }), true, false, false],
    ['pods/ephemeralcontainers CREATE only', rule(['pods/ephemeralcontainers'], ['CREATE']), false, true, false],
    ['pods/exec CONNECT', rule(['pods/exec'], ['CONNECT']), false, false, false],
    ['pods DELETE only', rule(['pods'], ['DELETE']), false, false, false],
    ['deployments in apps', rule(['deployments'], ['*'], { apiGroups: ['apps'] }), false, false, false],
    ['pods in group apps (no such thing)', rule(['pods', 'pods/ephemeralcontainers'], ['*'], { apiGroups: ['apps'] }), false, false, false],
    ['scope Cluster', rule(['pods/ephemeralcontainers'], ['UPDATE'], { scope: 'Cluster' }), false, false, false],
    ['scope Namespaced', rule(['pods/ephemeralcontainers'], ['UPDATE'], { scope: 'Namespaced' }), false, true, true],
    ['scope *', rule(['pods/ephemeralcontainers'], ['UPDATE'], { scope: '*' }), false, true, true],
    ['apiVersions v1beta1 only', rule(['pods/ephemeralcontainers'], ['UPDATE'], { apiVersions: ['v1beta1'] }), false, false, false],
    ['no fields at all', {}, false, false, false],
  ]
  for (const [name, r, inspects, covers, sees] of cases) {
    t.equal(inspectsPods(r), inspects, `${name}: inspects pods`)
    t.equal(coversSubresource(r), covers, `${name}: covers pods/ephemeralcontainers`)
    t.equal(seesKubectlDebug(r), sees, `${name}: sees kubectl debug`)
  }
})

t.test('blindness explains why, or is undefined', async (t) => {
  t.equal(blindness([rule(['deployments'], ['*'], { apiGroups: ['apps'] })]), undefined, 'does not inspect pods')
  t.equal(blindness([rule(['pods']), rule(['pods/ephemeralcontainers'], ['UPDATE'])]), undefined, 'a second rule sees it')
  t.equal(blindness([rule(['pods', 'pods/ephemeralcontainers'])]), undefined)
  t.match(blindness([rule(['pods'])]), { message: 'matches pods but not pods/ephemeralcontainers (a rule for pods never matches a subresource): kubectl debug bypasses it', fix: /add "pods\/ephemeralcontainers"/ })
  t.match(blindness([rule(['*'], ['*'], { apiGroups: ['*'] })]), { message: /^matches \* but not pods\/ephemeralcontainers/ })
  t.match(blindness([rule(['pods'], ['CREATE'])]), { message: /^inspects pods for CREATE only and never pods\/ephemeralcontainers; adding an ephemeral container is an UPDATE/ })
  t.match(blindness([rule(['pods', 'pods/ephemeralcontainers'], ['CREATE'])]), { message: /but not for UPDATE/, fix: 'add UPDATE to the operations of the rule that matches pods/ephemeralcontainers' })
  t.match(blindness([rule(['pods', 'pods/ephemeralcontainers'])], [rule(['pods/ephemeralcontainers'], ['UPDATE'])]), { message: /excludes pods\/ephemeralcontainers/ })
  t.equal(blindness([rule(['pods', 'pods/ephemeralcontainers'])], [rule(['pods/exec'], ['CONNECT'])]), undefined, 'an unrelated exclusion')
})

const vwc = (name: string, webhooks: JsonObject[]): JsonObject => ({ metadata: { name }, webhooks })

t.test('blind webhooks: one finding per webhook, naming configuration and webhook', async (t) => {
  const configs = [
    vwc('kyverno', [
      { name: 'blind.kyverno.svc', rules: [rule(['pods'])] as unknown as JsonObject[] },
      { name: 'sees.kyverno.svc', rules: [rule(['pods', 'pods/ephemeralcontainers'])] as unknown as JsonObject[] },
      { name: 'norules.kyverno.svc' },
    ]),
    { metadata: {}, webhooks: [{ name: 'anon', rules: [rule(['pods'], ['CREATE']), 'junk'] }] } as unknown as JsonObject,
    { metadata: { name: 'weird' }, webhooks: ['x', null, [1]] } as unknown as JsonObject,
    { metadata: { name: 'none' } },
  ]
  const found = blindWebhooks('ValidatingWebhookConfiguration', configs)
  t.same(found.map((f) => [f.level, f.subject]), [
    ['error', 'validatingwebhookconfiguration/kyverno (webhook blind.kyverno.svc)'],
    ['error', 'validatingwebhookconfiguration/(unnamed) (webhook anon)'],
  ])
  t.equal(formatFinding(found[0]!), 'ERROR   validatingwebhookconfiguration/kyverno (webhook blind.kyverno.svc): matches pods but not pods/ephemeralcontainers (a rule for pods never matches a subresource): kubectl debug bypasses it. Fix: add "pods/ephemeralcontainers" (with operation UPDATE) to the resources of the rule that matches pods, in the same apiGroups [""]')
  t.match(blindWebhooks('MutatingWebhookConfiguration', configs)[0], { subject: /^mutatingwebhookconfiguration\/kyverno/ })
})

const vap = (name: string, resourceRules: Rule[], excludeResourceRules?: Rule[]): JsonObject =>
  ({ metadata: { name }, spec: { matchConstraints: { resourceRules, ...(excludeResourceRules ? { excludeResourceRules } : {}) } } } as unknown as JsonObject)
const binding = (name: string, policyName: string, matchResources?: { resourceRules?: Rule[]; excludeResourceRules?: Rule[] }): JsonObject =>
  ({ metadata: { name }, spec: { policyName, ...(matchResources ? { matchResources } : {}) } } as unknown as JsonObject)

t.test('blind ValidatingAdmissionPolicies and bindings', async (t) => {
  const policies = [
    vap('pods-only', [rule(['pods'])]),
    vap('pods-only-unbound', [rule(['pods'])]),
    vap('sees', [rule(['pods', 'pods/ephemeralcontainers'])]),
    vap('excludes', [rule(['pods', 'pods/ephemeralcontainers'])], [rule(['pods/ephemeralcontainers'], ['UPDATE'])]),
    vap('deployments', [rule(['deployments'], ['*'], { apiGroups: ['apps'] })]),
    { metadata: { name: 'no-spec' } },
  ]
  const bindings = [
    binding('pods-only-binding', 'pods-only'),
    binding('sees-all', 'sees'),
    binding('sees-narrowed', 'sees', { resourceRules: [rule(['pods'])] }),
    binding('sees-narrowed-ok', 'sees', { resourceRules: [rule(['pods/*'], ['UPDATE'])] }),
    binding('sees-excluded', 'sees', { excludeResourceRules: [rule(['pods/ephemeralcontainers'], ['*'])] }),
    binding('deploy-binding', 'deployments', { resourceRules: [rule(['pods'])] }),
  ]
  const found = blindPolicies(policies, bindings)
  t.same(found.map((f) => [f.level, f.subject]), [
    ['error', 'validatingadmissionpolicy/pods-only'],
    ['warning', 'validatingadmissionpolicy/pods-only-unbound'],
    ['error', 'validatingadmissionpolicybinding/sees-narrowed (policy sees)'],
    ['error', 'validatingadmissionpolicybinding/sees-excluded (policy sees)'],
    ['warning', 'validatingadmissionpolicy/excludes'],
  ])
  t.match(found[4]!.message, /excludes pods\/ephemeralcontainers .*\(not bound yet\)$/, 'unbound: a warning, it enforces nothing yet')
  t.match(found[0]!.message, /\(bound by pods-only-binding\)$/)
  t.match(found[0]!.fix, /to the resources of spec\.matchConstraints\.resourceRules/)
  t.match(found[1]!.message, /\(not bound yet\)$/)
  t.match(found[2], { message: /matchResources\.resourceRules leave out UPDATE of pods\/ephemeralcontainers/, fix: /add pods\/ephemeralcontainers \(UPDATE\) to the binding's matchResources\.resourceRules/ })
  t.match(found[3], { message: /matchResources\.excludeResourceRules exclude UPDATE/, fix: /remove pods\/ephemeralcontainers from the binding's/ })
  t.equal(doctorExitCode(found), 1)
  t.equal(doctorExitCode([{ level: 'ok', subject: 's', message: 'm' }]), 0)
  t.equal(formatFinding({ level: 'ok', subject: 's', message: 'm' }), 'ok      s: m')
  t.equal(formatFinding({ level: 'warning', subject: 's', message: 'm', fix: 'f' }), 'WARNING s: m. Fix: f')
})
