// podSecurity: rule spec, container in its pod, violations; and the registry of Pod Security checks
// (src/checks/policy/pod-security/), per level and version, as k8s.io/pod-security-admission has them.
import t from 'tap'
import type { JsonObject } from '../../../src/kube/types.js'
import type { CheckInput } from '../../../src/decision/types.js'
import { toPodView } from '../../../src/decision/pod-view.js'
import { parsePsaVersion, podSecurityCheck, type PodSecuritySpec } from '../../../src/checks/policy/pod-security.js'
import { assertPsaRegistry, checksAt, PSA_CHECK_IDS, PSA_CHECKS } from '../../../src/checks/policy/pod-security/registry.js'
import { judge, type Row } from '../../support/policy-checks.js'

/** A check input for a pod with this spec (merged over one plain container) and the container new in it. */
function inPod(spec: JsonObject = {}, legacy = false): CheckInput {
  const added = { name: 'dbg', image: 'busybox' }
  const pod = toPodView(legacy ? { kind: 'EphemeralContainers', metadata: { name: 'p' }, ephemeralContainers: [added] }
    : { kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'app' }], ...spec, ephemeralContainers: [added] } }, 'object')
  const oldPod = toPodView({ kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'app' }] } }, 'oldObject')
  return { pod, oldPod, added: [{ index: 0, value: added }], removed: [], changed: [], requester: { namespace: 'shop', username: 'alice', groups: [], dryRun: false } }
}

const sc = (securityContext: JsonObject): JsonObject => ({ name: 'dbg', securityContext })
const B = '(Pod Security baseline:latest, check'
const R = '(Pod Security restricted:latest, check'
/** kubectl debug --profile=restricted's securityContext: passes restricted. */
const RESTRICTED: JsonObject = { runAsNonRoot: true, capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } }

type Case = [name: string, spec: PodSecuritySpec, container: unknown, violations: Row[], pod?: JsonObject]
const baseline: PodSecuritySpec = { level: 'baseline' }
const restricted: PodSecuritySpec = { level: 'restricted' }

const rows: Case[] = [
  // baseline: what passes
  ['baseline: no securityContext', baseline, { name: 'dbg' }, []],
  ['baseline: kubectl --profile=restricted', baseline, sc(RESTRICTED), []],
  ['baseline: default capabilities and confined profiles', baseline, sc({
    privileged: false, capabilities: { add: ['CHOWN', 'NET_BIND_SERVICE', 'SYS_CHROOT'] }, seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' },
    appArmorProfile: { type: 'RuntimeDefault' }, seLinuxOptions: { type: 'container_t', level: 's0:c1' }, procMount: 'Default', windowsOptions: { hostProcess: false },
  }), []],
  // baseline: each privileged-equivalent, named by PSA's check id
  ['privileged', baseline, sc({ privileged: true }), [['.securityContext.privileged', 'Forbidden', `must not be true ${B} privileged)`]]],
  ['capabilities_baseline: SYS_PTRACE, NET_RAW and ALL', baseline, sc({ capabilities: { add: ['SYS_PTRACE', 'KILL', 'NET_RAW', 'ALL'] } }), [
    ['.securityContext.capabilities.add[0]', 'Forbidden', `non-default capability "SYS_PTRACE" is not allowed ${B} capabilities_baseline)`],
    ['.securityContext.capabilities.add[2]', 'Forbidden', `non-default capability "NET_RAW" is not allowed ${B} capabilities_baseline)`],
    ['.securityContext.capabilities.add[3]', 'Forbidden', `non-default capability "ALL" is not allowed ${B} capabilities_baseline)`],
  ]],
  ['capabilities_baseline: a named exception', { level: 'baseline', exceptions: { capabilities: ['SYS_PTRACE'] } }, sc({ capabilities: { add: ['SYS_PTRACE', 'SYS_ADMIN', 7] } }), [
    ['.securityContext.capabilities.add[1]', 'Forbidden', `non-default capability "SYS_ADMIN" is not allowed ${B} capabilities_baseline)`],
    ['.securityContext.capabilities.add[2]', 'Forbidden', `non-default capability 7 is not allowed ${B} capabilities_baseline)`],
  ]],
  ['capabilities_baseline: add no list is not judged here (Kubernetes refuses it)', baseline, sc({ capabilities: { add: 'SYS_ADMIN' } }), []],
  ['windowsHostProcess', baseline, sc({ windowsOptions: { hostProcess: true } }), [['.securityContext.windowsOptions.hostProcess', 'Forbidden', `must not be true ${B} windowsHostProcess)`]]],
  ['windowsHostProcess: inherited from the pod', baseline, { name: 'dbg' },
    [['.securityContext.windowsOptions.hostProcess', 'Forbidden', `must not be true; inherited from spec.securityContext.windowsOptions.hostProcess ${B} windowsHostProcess)`]],
    { securityContext: { windowsOptions: { hostProcess: true } } }],
  ['windowsHostProcess: the container says false', baseline, sc({ windowsOptions: { hostProcess: false } }), [], { securityContext: { windowsOptions: { hostProcess: true } } }],
  ['seLinuxOptions: spc_t, user and role', baseline, sc({ seLinuxOptions: { type: 'spc_t', user: 'system_u', role: 'system_r' } }), [
    ['.securityContext.seLinuxOptions.type', 'Forbidden', `must not be "spc_t"; allowed: container_t, container_init_t, container_kvm_t, container_engine_t or empty ${B} seLinuxOptions)`, 'spc_t'],
    ['.securityContext.seLinuxOptions.user', 'Forbidden', `must not be set ${B} seLinuxOptions)`, 'system_u'],
    ['.securityContext.seLinuxOptions.role', 'Forbidden', `must not be set ${B} seLinuxOptions)`, 'system_r'],
  ]],
  ['seLinuxOptions: empty strings pass', baseline, sc({ seLinuxOptions: { type: '', user: '', role: '' } }), []],
  ['seLinuxOptions: inherited from the pod, unless the container sets its own', baseline, { name: 'dbg' },
    [['.securityContext.seLinuxOptions.type', 'Forbidden', `must not be "spc_t"; allowed: container_t, container_init_t, container_kvm_t, container_engine_t or empty; inherited from spec.securityContext.seLinuxOptions.type ${B} seLinuxOptions)`, 'spc_t']],
    { securityContext: { seLinuxOptions: { type: 'spc_t' } } }],
  ['seLinuxOptions: the container\'s own options replace the pod\'s', baseline, sc({ seLinuxOptions: { type: 'container_t' } }), [], { securityContext: { seLinuxOptions: { type: 'spc_t' } } }],
  ['seLinuxOptions: container_engine_t from v1.31', { level: 'baseline', version: 'v1.31' }, sc({ seLinuxOptions: { type: 'container_engine_t' } }), []],
  ['seLinuxOptions: container_engine_t not at v1.30', { level: 'baseline', version: 'v1.30' }, sc({ seLinuxOptions: { type: 'container_engine_t' } }),
    [['.securityContext.seLinuxOptions.type', 'Forbidden', 'must not be "container_engine_t"; allowed: container_t, container_init_t, container_kvm_t or empty (Pod Security baseline:v1.30, check seLinuxOptions)', 'container_engine_t']]],
  ['procMount: Unmasked', baseline, sc({ procMount: 'Unmasked' }), [['.securityContext.procMount', 'Forbidden', `must be "Default" or unset, not "Unmasked" ${B} procMount)`, 'Unmasked']]],
  ['procMount: Unmasked in a user namespace, v1.35+', baseline, sc({ procMount: 'Unmasked' }), [], { hostUsers: false }],
  ['procMount: Unmasked in a user namespace at v1.34', { level: 'baseline', version: 'v1.34' }, sc({ procMount: 'Unmasked' }),
    [['.securityContext.procMount', 'Forbidden', 'must be "Default" or unset, not "Unmasked" (Pod Security baseline:v1.34, check procMount)', 'Unmasked']], { hostUsers: false }],
  ['seccompProfile_baseline: Unconfined', baseline, sc({ seccompProfile: { type: 'Unconfined' } }),
    [['.securityContext.seccompProfile.type', 'Forbidden', `must be "RuntimeDefault" or "Localhost", not "Unconfined" ${B} seccompProfile_baseline)`, 'Unconfined']]],
  ['seccompProfile_baseline: Unconfined inherited from the pod', baseline, { name: 'dbg' },
    [['.securityContext.seccompProfile.type', 'Forbidden', `must be "RuntimeDefault" or "Localhost", not "Unconfined"; inherited from spec.securityContext.seccompProfile.type ${B} seccompProfile_baseline)`, 'Unconfined']],
    { securityContext: { seccompProfile: { type: 'Unconfined' } } }],
  ['seccompProfile_baseline: the container\'s RuntimeDefault over the pod\'s Unconfined', baseline, sc({ seccompProfile: { type: 'RuntimeDefault' } }), [], { securityContext: { seccompProfile: { type: 'Unconfined' } } }],
  ['seccompProfile_baseline: before v1.19 only annotations count, which a new container cannot add', { level: 'baseline', version: 'v1.18' }, sc({ seccompProfile: { type: 'Unconfined' } }), []],
  ['appArmorProfile: Unconfined', baseline, sc({ appArmorProfile: { type: 'Unconfined' } }),
    [['.securityContext.appArmorProfile.type', 'Forbidden', `must be "RuntimeDefault" or "Localhost", not "Unconfined" ${B} appArmorProfile)`, 'Unconfined']]],
  ['appArmorProfile: Unconfined inherited from the pod', baseline, { name: 'dbg' },
    [['.securityContext.appArmorProfile.type', 'Forbidden', `must be "RuntimeDefault" or "Localhost", not "Unconfined"; inherited from spec.securityContext.appArmorProfile.type ${B} appArmorProfile)`, 'Unconfined']],
    { securityContext: { appArmorProfile: { type: 'Unconfined' } } }],
  ['baseline: every privileged-equivalent at once, in PSA\'s check order', baseline, sc({
    privileged: true, capabilities: { add: ['ALL'] }, seccompProfile: { type: 'Unconfined' }, appArmorProfile: { type: 'Unconfined' },
    procMount: 'Unmasked', seLinuxOptions: { type: 'spc_t' }, windowsOptions: { hostProcess: true },
  }), [
    ['.securityContext.appArmorProfile.type', 'Forbidden', `must be "RuntimeDefault" or "Localhost", not "Unconfined" ${B} appArmorProfile)`, 'Unconfined'],
    ['.securityContext.capabilities.add[0]', 'Forbidden', `non-default capability "ALL" is not allowed ${B} capabilities_baseline)`],
    ['.securityContext.privileged', 'Forbidden', `must not be true ${B} privileged)`],
    ['.securityContext.procMount', 'Forbidden', `must be "Default" or unset, not "Unmasked" ${B} procMount)`, 'Unmasked'],
    ['.securityContext.seLinuxOptions.type', 'Forbidden', `must not be "spc_t"; allowed: container_t, container_init_t, container_kvm_t, container_engine_t or empty ${B} seLinuxOptions)`, 'spc_t'],
    ['.securityContext.seccompProfile.type', 'Forbidden', `must be "RuntimeDefault" or "Localhost", not "Unconfined" ${B} seccompProfile_baseline)`, 'Unconfined'],
    ['.securityContext.windowsOptions.hostProcess', 'Forbidden', `must not be true ${B} windowsHostProcess)`],
  ]],
  ['baseline: excepted checks are not run', { level: 'baseline', exceptions: { checks: ['privileged', 'capabilities_baseline'] } }, sc({ privileged: true, capabilities: { add: ['ALL'] }, procMount: 'Unmasked' }),
    [['.securityContext.procMount', 'Forbidden', `must be "Default" or unset, not "Unmasked" ${B} procMount)`, 'Unmasked']]],
  ['a container that is no object is not judged here', baseline, 'x', []],
  ['a securityContext that is no object counts as unset (Kubernetes refuses it)', restricted, { name: 'dbg', securityContext: 'x' }, [
    ['.securityContext.allowPrivilegeEscalation', 'Required', `must be false ${R} allowPrivilegeEscalation)`],
    ['.securityContext.capabilities.drop', 'Required', `must include "ALL" ${R} capabilities_restricted)`],
    ['.securityContext.runAsNonRoot', 'Required', `must be true, here or in the pod's securityContext ${R} runAsNonRoot)`],
    ['.securityContext.seccompProfile.type', 'Required', `must be "RuntimeDefault" or "Localhost", here or in the pod's securityContext ${R} seccompProfile_restricted)`],
  ]],

  // restricted
  ['restricted: kubectl --profile=restricted passes', restricted, sc(RESTRICTED), []],
  ['restricted: runAsNonRoot and seccompProfile from the pod', restricted, sc({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }), [],
    { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } }],
  ['restricted: nothing set, Required first', restricted, { name: 'dbg' }, [
    ['.securityContext.allowPrivilegeEscalation', 'Required', `must be false ${R} allowPrivilegeEscalation)`],
    ['.securityContext.capabilities.drop', 'Required', `must include "ALL" ${R} capabilities_restricted)`],
    ['.securityContext.runAsNonRoot', 'Required', `must be true, here or in the pod's securityContext ${R} runAsNonRoot)`],
    ['.securityContext.seccompProfile.type', 'Required', `must be "RuntimeDefault" or "Localhost", here or in the pod's securityContext ${R} seccompProfile_restricted)`],
  ]],
  ['restricted: kubectl --profile=general', restricted, sc({ capabilities: { add: ['SYS_PTRACE'] } }), [
    ['.securityContext.allowPrivilegeEscalation', 'Required', `must be false ${R} allowPrivilegeEscalation)`],
    ['.securityContext.capabilities.drop', 'Required', `must include "ALL" ${R} capabilities_restricted)`],
    ['.securityContext.runAsNonRoot', 'Required', `must be true, here or in the pod's securityContext ${R} runAsNonRoot)`],
    ['.securityContext.seccompProfile.type', 'Required', `must be "RuntimeDefault" or "Localhost", here or in the pod's securityContext ${R} seccompProfile_restricted)`],
    ['.securityContext.capabilities.add[0]', 'Forbidden', `capability "SYS_PTRACE" is not allowed; only NET_BIND_SERVICE may be added ${R} capabilities_restricted)`],
  ]],
  ['restricted: what is set wrong', restricted, sc({ ...RESTRICTED, allowPrivilegeEscalation: true, runAsNonRoot: false, runAsUser: 0, capabilities: { drop: ['NET_RAW'], add: ['SYS_PTRACE'] }, seccompProfile: { type: 'Unconfined' }, procMount: 'Unmasked' }), [
    ['.securityContext.allowPrivilegeEscalation', 'Invalid', `must be false ${R} allowPrivilegeEscalation)`, true],
    ['.securityContext.capabilities.drop', 'Invalid', `must include "ALL" ${R} capabilities_restricted)`, ['NET_RAW']],
    ['.securityContext.capabilities.add[0]', 'Forbidden', `capability "SYS_PTRACE" is not allowed; only NET_BIND_SERVICE may be added ${R} capabilities_restricted)`],
    ['.securityContext.procMount', 'Forbidden', `must be "Default" or unset, not "Unmasked" ${R} procMount_restricted)`, 'Unmasked'],
    ['.securityContext.runAsNonRoot', 'Invalid', `must be true ${R} runAsNonRoot)`, false],
    ['.securityContext.runAsUser', 'Forbidden', `must not be 0 ${R} runAsUser)`],
    ['.securityContext.seccompProfile.type', 'Forbidden', `must be "RuntimeDefault" or "Localhost", not "Unconfined" ${R} seccompProfile_restricted)`, 'Unconfined'],
  ]],
  ['restricted: what the pod sets wrong is inherited', restricted, sc({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }), [
    ['.securityContext.runAsNonRoot', 'Forbidden', `must be true; inherited from spec.securityContext.runAsNonRoot ${R} runAsNonRoot)`, false],
    ['.securityContext.runAsUser', 'Forbidden', `must not be 0; inherited from spec.securityContext.runAsUser ${R} runAsUser)`],
    ['.securityContext.seccompProfile.type', 'Forbidden', `must be "RuntimeDefault" or "Localhost", not "Unconfined"; inherited from spec.securityContext.seccompProfile.type ${R} seccompProfile_restricted)`, 'Unconfined'],
  ], { securityContext: { runAsNonRoot: false, runAsUser: 0, seccompProfile: { type: 'Unconfined' } } }],
  ['restricted: named exceptions for debugging as root with SYS_PTRACE', { level: 'restricted', exceptions: { checks: ['runAsNonRoot', 'runAsUser'], capabilities: ['SYS_PTRACE'] } },
    sc({ ...RESTRICTED, runAsNonRoot: false, runAsUser: 0, capabilities: { drop: ['ALL'], add: ['SYS_PTRACE'] } }), []],
  ['restricted: a user namespace (hostUsers: false) relaxes runAsNonRoot and runAsUser, not procMount', restricted, sc({ ...RESTRICTED, runAsNonRoot: false, runAsUser: 0, procMount: 'Unmasked' }),
    [['.securityContext.procMount', 'Forbidden', `must be "Default" or unset, not "Unmasked" ${R} procMount_restricted)`, 'Unmasked']], { hostUsers: false }],
  ['restricted v1.34: no relaxation, procMount judged by the baseline check', { level: 'restricted', version: 'v1.34' }, sc({ ...RESTRICTED, runAsNonRoot: false, procMount: 'Unmasked' }), [
    ['.securityContext.procMount', 'Forbidden', 'must be "Default" or unset, not "Unmasked" (Pod Security restricted:v1.34, check procMount)', 'Unmasked'],
    ['.securityContext.runAsNonRoot', 'Invalid', 'must be true (Pod Security restricted:v1.34, check runAsNonRoot)', false],
  ], { hostUsers: false }],
  ['restricted: a Windows pod needs only runAsNonRoot (v1.25+)', restricted, { name: 'dbg' },
    [['.securityContext.runAsNonRoot', 'Required', `must be true, here or in the pod's securityContext ${R} runAsNonRoot)`]], { os: { name: 'windows' } }],
  ['restricted v1.24: a Windows pod is judged as any', { level: 'restricted', version: 'v1.24' }, sc({ runAsNonRoot: true }), [
    ['.securityContext.allowPrivilegeEscalation', 'Required', 'must be false (Pod Security restricted:v1.24, check allowPrivilegeEscalation)'],
    ['.securityContext.capabilities.drop', 'Required', 'must include "ALL" (Pod Security restricted:v1.24, check capabilities_restricted)'],
    ['.securityContext.seccompProfile.type', 'Required', 'must be "RuntimeDefault" or "Localhost", here or in the pod\'s securityContext (Pod Security restricted:v1.24, check seccompProfile_restricted)'],
  ], { os: { name: 'windows' } }],
  ['restricted v1.21: no capabilities_restricted yet, capabilities_baseline instead; runAsUser 0 passes', { level: 'restricted', version: 'v1.21' }, sc({ ...RESTRICTED, capabilities: { add: ['NET_RAW'] }, runAsUser: 0 }),
    [['.securityContext.capabilities.add[0]', 'Forbidden', 'non-default capability "NET_RAW" is not allowed (Pod Security restricted:v1.21, check capabilities_baseline)']]],
  ['restricted v1.7: no allowPrivilegeEscalation check yet', { level: 'restricted', version: 'v1.7' }, sc({ runAsNonRoot: true, allowPrivilegeEscalation: true }), []],
  ['restricted v1.99 is the newest', { level: 'restricted', version: 'v1.99' }, sc(RESTRICTED), []],
]

t.test('podSecurity', async (t) => {
  for (const [name, spec, container, want, pod] of rows) t.same(judge(podSecurityCheck(spec, 'r'), container as never, inPod(pod)), want, name)
})

t.test('the legacy object has no pod spec: only the container\'s own fields count', async (t) => {
  const legacy = inPod({}, true)
  t.same(judge(podSecurityCheck(restricted, 'r'), sc(RESTRICTED), legacy), [], 'the restricted profile sets everything itself')
  t.same(judge(podSecurityCheck(restricted, 'r'), sc({ ...RESTRICTED, runAsNonRoot: undefined as never }), legacy),
    [['.securityContext.runAsNonRoot', 'Required', `must be true, here or in the pod's securityContext ${R} runAsNonRoot)`]], 'nothing is inherited')
})

t.test('violations carry the rule and the container\'s field', async (t) => {
  const [v] = podSecurityCheck(baseline, 'psa').run(sc({ privileged: true }), { index: 2, field: 'spec.ephemeralContainers[2]' }, inPod())
  t.same(v, { origin: 'policy', rule: 'psa', field: 'spec.ephemeralContainers[2].securityContext.privileged', type: 'Forbidden', detail: `must not be true ${B} privileged)`, containerIndex: 2 })
})

t.test('descriptions name the level, the checks run and the exceptions', async (t) => {
  t.equal(podSecurityCheck({ level: 'baseline', version: 'v1.30', exceptions: { capabilities: ['SYS_PTRACE'], checks: ['privileged'] } }, 'r').description,
    'passes Pod Security baseline:v1.30 (appArmorProfile, capabilities_baseline, procMount, seLinuxOptions, seccompProfile_baseline, windowsHostProcess); exceptions: capabilities SYS_PTRACE; checks privileged')
  t.equal(podSecurityCheck({ level: 'restricted', version: 'v1.0', exceptions: { checks: PSA_CHECK_IDS as string[] } }, 'r').description,
    `passes Pod Security restricted:v1.0 (no check); exceptions: checks ${PSA_CHECK_IDS.join(', ')}`)
})

t.test('the registry: levels, versions and overrides as PSA builds them', async (t) => {
  const ids = (level: 'baseline' | 'restricted', v: number | 'latest') => checksAt(level, v).map((c) => c.id)
  const BASELINE = ['appArmorProfile', 'capabilities_baseline', 'privileged', 'procMount', 'seLinuxOptions', 'seccompProfile_baseline', 'windowsHostProcess']
  t.same(ids('baseline', 'latest'), BASELINE, 'baseline ids in Go byte order (seLinuxOptions before seccompProfile_baseline)')
  t.same(ids('baseline', 0), BASELINE, 'every baseline check applies from v1.0')
  t.same(ids('restricted', 'latest'), ['appArmorProfile', 'privileged', 'seLinuxOptions', 'windowsHostProcess',
    'allowPrivilegeEscalation', 'capabilities_restricted', 'procMount_restricted', 'runAsNonRoot', 'runAsUser', 'seccompProfile_restricted'], 'restricted replaces three baseline checks at latest')
  t.same(ids('restricted', 18), [...BASELINE, 'allowPrivilegeEscalation', 'runAsNonRoot'], 'v1.18: none replaced yet')
  t.same(ids('restricted', 7), [...BASELINE, 'runAsNonRoot'], 'v1.7: before allowPrivilegeEscalation')
  t.same(parsePsaVersion(undefined), 'latest')
  t.same(parsePsaVersion('latest'), 'latest')
  t.same(parsePsaVersion('v1.37'), 37)
})

t.test('the registry validates itself as PSA\'s does', async (t) => {
  t.doesNotThrow(() => assertPsaRegistry(PSA_CHECKS))
  const [a] = PSA_CHECKS
  t.throws(() => assertPsaRegistry([a!, a!]), /registered twice/)
  t.throws(() => assertPsaRegistry([{ ...a!, versions: [] }]), /has no version/)
  t.throws(() => assertPsaRegistry([{ ...a!, versions: [{ since: 5, run: () => [] }, { since: 5, run: () => [] }] }]), /strictly increasing/)
  t.throws(() => assertPsaRegistry([{ id: 'x', level: 'baseline', versions: [{ since: 0, run: () => [], overrides: ['privileged'] }] }, a!]), /only a restricted check may override/)
  t.throws(() => assertPsaRegistry([{ id: 'x', level: 'restricted', versions: [{ since: 0, run: () => [], overrides: ['nope'] }] }]), /only a baseline check \(nope\)/)
})
