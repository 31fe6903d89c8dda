// The policy-level decisions of issue 18: a rule's podSecurity field (checked as `policy check` checks
// it), requireNoPrivilegeEscalation, the targets namespace settings, and the built-in default policy's
// verdict for every kubectl debug --profile and for the privileged-equivalents it refuses.
import t from 'tap'
import type { JsonObject } from '../../src/kube/types.js'
import { defaultPolicy } from '../../src/policy/default.js'
import { loadPolicyFile, parsePolicy } from '../../src/policy/load.js'
import { PolicyError } from '../../src/errors.js'
import { admissionReview, debugContainer, profileContainer, type Container, type Profile } from '../support/reviews.js'
import { answer, policyOfRules } from '../support/decide.js'
import type { Policy } from '../../src/decision/types.js'

const HEAD = 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: t}\nspec:\n  rules:\n'
const problems = (rules: string): string[] => {
  try {
    parsePolicy(`${HEAD}${rules}`, 'p.yaml')
    return []
  } catch (e) {
    if (e instanceof PolicyError) return [...e.problems]
    throw e
  }
}

t.test('policy check accepts the podSecurity field and the new settings', async (t) => {
  for (const rules of [
    '  - name: a\n    podSecurity: {level: baseline}\n',
    '  - name: a\n    podSecurity: {level: restricted, version: v1.37, exceptions: {capabilities: [SYS_PTRACE, NET_ADMIN], checks: [runAsNonRoot, runAsUser]}}\n',
    '  - name: a\n    podSecurity: {level: baseline, version: latest, exceptions: {}}\n',
    '  - name: a\n    podSecurity: {level: baseline, version: v1.0}\n',
    '  - name: a\n    securityContext: {requireNoPrivilegeEscalation: true, allowPrivilegeEscalation: false}\n',
    '  - name: a\n    targets: {denyContainers: [vault-agent], denyWhenSharedProcessNamespace: true, denyPtraceOfPrivileged: true, denyPtraceWhenHostPID: false}\n',
  ]) t.same(problems(rules), [], rules)
})

t.test('policy check refuses a wrong podSecurity, naming each problem', async (t) => {
  t.same(problems('  - name: a\n    podSecurity: {version: latest}\n'), ["spec.rules[0].podSecurity: must have required property 'level'"])
  t.same(problems('  - name: a\n    podSecurity: {level: privileged}\n'), ['spec.rules[0].podSecurity.level: must be one of "baseline", "restricted"'])
  for (const v of ['1.30', 'v1.030', 'v2.0', 'v1.', 'Latest']) {
    t.same(problems(`  - name: a\n    podSecurity: {level: baseline, version: "${v}"}\n`), ['spec.rules[0].podSecurity.version: must match pattern "^(latest|v1\\.(0|[1-9][0-9]{0,8}))$"'], v)
  }
  t.same(problems('  - name: a\n    podSecurity: {level: baseline, exceptions: {capabilities: [sys_ptrace]}}\n'),
    ['spec.rules[0].podSecurity.exceptions.capabilities[0]: must match pattern "^[A-Z][A-Z0-9_]*$"'])
  t.same(problems('  - name: a\n    podSecurity: {level: baseline, exceptions: {capabilities: [SYS_PTRACE, ALL]}}\n'),
    ['spec.rules[0].podSecurity.exceptions.capabilities[1]: "ALL" is every capability, as privileged; name the capabilities to allow'])
  t.match(problems('  - name: a\n    podSecurity: {level: baseline, exceptions: {checks: [hostNamespaces]}}\n'),
    [/^spec\.rules\[0\]\.podSecurity\.exceptions\.checks\[0\]: must be one of "allowPrivilegeEscalation", "appArmorProfile", /])
  t.same(problems('  - name: a\n    podSecurity: {level: baseline, exempt: [x]}\n'), ['spec.rules[0].podSecurity.exempt: unknown field'])
  t.same(problems('  - name: a\n    securityContext: {requireNoPrivilegeEscalation: yes}\n'), ['spec.rules[0].securityContext.requireNoPrivilegeEscalation: must be boolean'])
  t.same(problems('  - name: a\n    targets: {denyPtraceWhenHostPID: 1}\n'), ['spec.rules[0].targets.denyPtraceWhenHostPID: must be boolean'])
})

/** The answer of the validating webhook under `policy` for `added`, in a pod changed by `pod`. */
function decide(policy: Policy, added: Container[], pod: (spec: JsonObject) => void = () => {}) {
  const review = admissionReview({ added })
  pod((review.request.object as JsonObject)['spec'] as JsonObject)
  return answer(review, 'validate', policy).review.response!
}
const messages = (r: ReturnType<typeof decide>): string[] => (r.status?.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`)

// The table the README's Policy section states, for a plain pod (no hostPID, unprivileged target).
const PROFILE_VERDICTS: Array<[Profile, string[]]> = [
  ['legacy', []],
  ['general', []],
  ['baseline', []],
  ['restricted', []],
  ['netadmin', [
    'spec.ephemeralContainers[0].securityContext.capabilities.add[0]: Forbidden: capability "NET_ADMIN" is not allowed; allowed: SYS_PTRACE (rule allowed-capabilities)',
    'spec.ephemeralContainers[0].securityContext.capabilities.add[1]: Forbidden: capability "NET_RAW" is not allowed; allowed: SYS_PTRACE (rule allowed-capabilities)',
  ]],
  ['sysadmin', ['spec.ephemeralContainers[0].securityContext.privileged: Forbidden: privileged debug containers are not allowed (rule no-privileged)']],
]

t.test('the default policy per kubectl debug --profile', async (t) => {
  for (const [profile, want] of PROFILE_VERDICTS) {
    const r = decide(defaultPolicy, [profileContainer(profile)])
    t.equal(r.allowed, want.length === 0, `${profile}: ${want.length === 0 ? 'allowed' : 'denied'}`)
    t.same(messages(r), want, `${profile}: each violation once, by the rule that is strictest about it`)
  }
})

const EQUIVALENT = '(rule no-privileged-equivalents)'
const at = (rest: string): string => `spec.ephemeralContainers[0].securityContext.${rest}`
const PRIVILEGED_EQUIVALENTS: Array<[name: string, sc: JsonObject, want: string[]]> = [
  ['seccomp Unconfined', { seccompProfile: { type: 'Unconfined' } },
    [`${at('seccompProfile.type')}: Forbidden: must be "RuntimeDefault" or "Localhost", not "Unconfined" (Pod Security baseline:latest, check seccompProfile_baseline) ${EQUIVALENT}`]],
  ['AppArmor Unconfined', { appArmorProfile: { type: 'Unconfined' } },
    [`${at('appArmorProfile.type')}: Forbidden: must be "RuntimeDefault" or "Localhost", not "Unconfined" (Pod Security baseline:latest, check appArmorProfile) ${EQUIVALENT}`]],
  // Kubernetes itself refuses Unmasked without hostUsers: false (a 422); its words on the field
  // replace the policy's. With hostUsers: false, baseline allows it from v1.35 (below).
  ['procMount Unmasked', { procMount: 'Unmasked' },
    [`${at('procMount')}: Invalid value: "Unmasked": \`hostUsers\` must be false to use \`Unmasked\``]],
  ['SELinux spc_t', { seLinuxOptions: { type: 'spc_t' } },
    [`${at('seLinuxOptions.type')}: Forbidden: must not be "spc_t"; allowed: container_t, container_init_t, container_kvm_t, container_engine_t or empty (Pod Security baseline:latest, check seLinuxOptions) ${EQUIVALENT}`]],
  // Kubernetes' pod-level rules refuse one hostProcess container among others (a 422, listed first).
  ['Windows hostProcess', { windowsOptions: { hostProcess: true } }, [
    'spec: Invalid value: "": If pod contains any hostProcess containers then all containers must be HostProcess containers',
    'spec.hostNetwork: Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers',
    `${at('windowsOptions.hostProcess')}: Forbidden: must not be true (Pod Security baseline:latest, check windowsHostProcess) ${EQUIVALENT}`,
  ]],
  ['capabilities.add [ALL]', { capabilities: { add: ['ALL'] } },
    [`${at('capabilities.add[0]')}: Forbidden: capability "ALL" is not allowed; allowed: SYS_PTRACE (rule allowed-capabilities)`]],
]

t.test('the default policy refuses every privileged-equivalent, naming the Pod Security check', async (t) => {
  for (const [name, securityContext, want] of PRIVILEGED_EQUIVALENTS) {
    const r = decide(defaultPolicy, [debugContainer({ securityContext })])
    t.equal(r.allowed, false, `${name}: denied`)
    t.same(messages(r), want, name)
  }
  const inherited = decide(defaultPolicy, [debugContainer()], (spec) => { spec['securityContext'] = { seccompProfile: { type: 'Unconfined' } } })
  t.same(messages(inherited), [`${at('seccompProfile.type')}: Forbidden: must be "RuntimeDefault" or "Localhost", not "Unconfined"; inherited from spec.securityContext.seccompProfile.type (Pod Security baseline:latest, check seccompProfile_baseline) ${EQUIVALENT}`],
    'a container that inherits Unconfined from the pod')
})

t.test('the default policy refuses SYS_PTRACE where it reaches the node', async (t) => {
  const general = profileContainer('general')
  const PTRACE = 'spec.ephemeralContainers[0].securityContext.capabilities.add[0]: Forbidden: "SYS_PTRACE"'
  t.same(messages(decide(defaultPolicy, [general], (spec) => { spec['hostPID'] = true })), [`${PTRACE} reaches the node's processes (spec.hostPID: true) (rule no-ptrace-to-node)`], 'a hostPID pod')
  t.same(messages(decide(defaultPolicy, [general], (spec) => {
    const [cart] = spec['containers'] as JsonObject[]
    cart!['securityContext'] = { privileged: true }
  })), [`${PTRACE} reaches container "cart", which Pod Security baseline refuses (privileged) (rule no-ptrace-to-node)`], 'the target is privileged')
  t.equal(decide(defaultPolicy, [profileContainer('baseline')], (spec) => { spec['hostPID'] = true }).allowed, true, '--profile=baseline adds nothing to trace with: allowed in a hostPID pod')
  const { targetContainerName: _none, ...untargeted } = general
  t.equal(decide(defaultPolicy, [untargeted], (spec) => {
    const [cart] = spec['containers'] as JsonObject[]
    cart!['securityContext'] = { privileged: true }
  }).allowed, true, 'without --target, and no shared process namespace, it sees only its own processes: allowed')
})

t.test('requireNoPrivilegeEscalation: must be explicitly false', async (t) => {
  const policy = policyOfRules('  - name: no-escalation\n    securityContext: {requireNoPrivilegeEscalation: true}\n')
  t.equal(decide(policy, [profileContainer('restricted')]).allowed, true, '--profile=restricted sets it')
  t.same(messages(decide(policy, [profileContainer('general')])), ['spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation: Required value: must be false (rule no-escalation)'], '--profile=general leaves it unset')
  t.same(messages(decide(policy, [profileContainer('legacy')])), ['spec.ephemeralContainers[0].securityContext: Required value: must set allowPrivilegeEscalation: false (rule no-escalation)'], 'no securityContext at all')
  t.equal(decide(defaultPolicy, [profileContainer('general')]).allowed, true, 'the default only refuses an explicit true')
})

t.test('example: pod-security.yaml', async (t) => {
  const policy = loadPolicyFile(new URL('../../policies/examples/pod-security.yaml', import.meta.url).pathname).policy
  const verdict = (profile: Profile, namespace = 'shop') => {
    const review = admissionReview({ added: [profileContainer(profile)] })
    review.request.namespace = namespace
    return answer(review, 'validate', policy).review.response!
  }
  for (const p of ['legacy', 'general', 'baseline', 'restricted'] as const) t.equal(verdict(p).allowed, true, `${p}: baseline with SYS_PTRACE excepted`)
  t.match(verdict('netadmin').status?.message, /non-default capability "NET_ADMIN" is not allowed \(Pod Security baseline:latest, check capabilities_baseline\) \(rule baseline-for-debuggers\)/)
  t.match(verdict('sysadmin').status?.message, /securityContext.privileged: Forbidden: must not be true \(Pod Security baseline:latest, check privileged\) \(rule baseline-for-debuggers\)/)
  t.equal(verdict('restricted', 'prod-eu').allowed, true, 'prod: --profile=restricted passes restricted:v1.37 and sets allowPrivilegeEscalation: false')
  t.match(verdict('general', 'prod-eu').status?.message, /check runAsNonRoot\) \(rule restricted-in-prod\)/, 'prod: --profile=general does not')
})

t.test('compiled in a rule: missing fields first, then securityContext, podSecurity, targets; the shared namespace check with the pod checks', async (t) => {
  const policy = policyOfRules([
    '  - name: r',
    '    targets: {denyContainers: [cart], denyPtraceWhenHostPID: true, denyWhenSharedProcessNamespace: true}',
    '    podSecurity: {level: restricted, exceptions: {checks: [runAsNonRoot, allowPrivilegeEscalation, capabilities_restricted]}}',
    '    securityContext: {requireNoPrivilegeEscalation: true, allowedCapabilities: []}',
    '',
  ].join('\n'))
  // The stored pod sets seccompProfile RuntimeDefault, which the container inherits: no seccomp finding.
  const r = decide(policy, [profileContainer('general', { securityContext: { capabilities: { add: ['SYS_PTRACE'] }, procMount: 'Unmasked' } })], (spec) => {
    spec['hostPID'] = true
    spec['shareProcessNamespace'] = true
    spec['hostUsers'] = false // so that Kubernetes itself admits procMount: Unmasked; restricted does not
  })
  t.same(messages(r), [
    'spec.ephemeralContainers: Forbidden: the pod\'s containers share one process namespace (spec.shareProcessNamespace: true), so a debug container reaches every container\'s processes, whatever it targets; "cart" included (rule r)',
    `${at('allowPrivilegeEscalation')}: Required value: must be false (rule r)`,
    `${at('capabilities.add[0]')}: Forbidden: capability "SYS_PTRACE" is not allowed; allowed: none (rule r)`,
    `${at('procMount')}: Forbidden: must be "Default" or unset, not "Unmasked" (Pod Security restricted:latest, check procMount_restricted) (rule r)`,
    'spec.ephemeralContainers[0].targetContainerName: Forbidden: container "cart" may not be targeted (rule r)',
    `${at('capabilities.add[0]')}: Forbidden: "SYS_PTRACE" reaches the node's processes (spec.hostPID: true) (rule r)`,
  ])
  const [view] = parsePolicy(`${HEAD}  - name: r\n    podSecurity: {level: baseline, version: v1.30}\n    targets: {denyWhenSharedProcessNamespace: true}\n`, 'p.yaml').rules
  t.same(view?.checks.map((c) => c.name), ['podSecurity', 'targets.denyWhenSharedProcessNamespace'], 'policy schema lists the field checks, then the pod checks')
})
