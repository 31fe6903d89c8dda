// targets: rule spec, container, violations.
import t from 'tap'
import type { JsonObject } from '../../../src/kube/types.js'
import type { CheckInput } from '../../../src/decision/types.js'
import { toPodView } from '../../../src/decision/pod-view.js'
import { sharedProcessNamespaceCheck, targetsCheck, type TargetsSpec } from '../../../src/checks/policy/targets.js'
import { judge, type Row } from '../../support/policy-checks.js'

const NAME_IT = 'must name the container to debug (kubectl debug --target)'
const rows: Array<[name: string, spec: TargetsSpec, container: unknown, violations: Row[]]> = [
  ['requireTarget: set', { requireTarget: true }, { targetContainerName: 'app' }, []],
  ['requireTarget: missing', { requireTarget: true }, {}, [['.targetContainerName', 'Required', NAME_IT]]],
  ['requireTarget: empty', { requireTarget: true }, { targetContainerName: '' }, [['.targetContainerName', 'Required', NAME_IT, '']]],
  ['requireTarget: no string', { requireTarget: true }, { targetContainerName: null }, [['.targetContainerName', 'Invalid', 'must be string', null]]],
  ['denyContainers: listed', { denyContainers: ['vault-agent', 'cart'] }, { targetContainerName: 'cart' }, [['.targetContainerName', 'Forbidden', 'container "cart" may not be targeted', 'cart']]],
  ['denyContainers: another', { denyContainers: ['vault-agent'] }, { targetContainerName: 'cart' }, []],
  ['denyContainers: no target', { denyContainers: ['vault-agent'] }, {}, []],
  ['denyContainers: no string', { denyContainers: ['vault-agent'] }, { targetContainerName: 1 }, [['.targetContainerName', 'Invalid', 'must be string', 1]]],
  ['both: denied', { requireTarget: true, denyContainers: ['cart'] }, { targetContainerName: 'cart' }, [['.targetContainerName', 'Forbidden', 'container "cart" may not be targeted', 'cart']]],
  ['not an object: nothing to judge here', { requireTarget: true }, [], []],
]

t.test('targets', async (t) => {
  for (const [name, spec, container, want] of rows) t.same(judge(targetsCheck(spec, 'r')!, container as never), want, name)
})

t.test('a spec that requires nothing compiles to no check', async (t) => {
  t.equal(targetsCheck({}, 'r'), undefined)
  t.equal(targetsCheck({ requireTarget: false, denyContainers: [] }, 'r'), undefined)
  t.equal(targetsCheck({ requireTarget: true, denyContainers: ['a', 'b'] }, 'r')?.description, 'targetContainerName is set; targetContainerName is none of: a, b')
})

// The namespaces a new container joins: a pod built from its spec, the new container last.
const APP = { name: 'app', image: 'shop' }
function inPod(container: JsonObject, spec: JsonObject = {}, legacy = false): CheckInput {
  const ephemeral = [...((spec['ephemeralContainers'] as JsonObject[] | undefined) ?? []), container]
  const pod = toPodView(legacy ? { kind: 'EphemeralContainers', metadata: { name: 'p' }, ephemeralContainers: ephemeral }
    : { kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [APP], ...spec, ephemeralContainers: ephemeral } }, 'object')
  const oldPod = toPodView({ kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [APP] } }, 'oldObject')
  return { pod, oldPod, added: [{ index: ephemeral.length - 1, value: container }], removed: [], changed: [], requester: { namespace: 'shop', username: 'alice', groups: [], dryRun: false } }
}
const general = (target?: string, extra: JsonObject = {}): JsonObject =>
  ({ name: 'dbg', image: 'busybox', ...(target ? { targetContainerName: target } : {}), securityContext: { capabilities: { add: ['SYS_PTRACE'] } }, ...extra })
const PRIVILEGED_APP = { name: 'app', image: 'shop', securityContext: { privileged: true } }
const ADD0 = '.securityContext.capabilities.add[0]'
const ptrace: Array<[name: string, spec: TargetsSpec, container: JsonObject, pod: JsonObject, violations: Row[], legacy?: boolean]> = [
  ['SYS_PTRACE targeting a plain container', { denyPtraceOfPrivileged: true }, general('app'), {}, []],
  ['SYS_PTRACE targeting a privileged container', { denyPtraceOfPrivileged: true }, general('app'), { containers: [PRIVILEGED_APP] },
    [[ADD0, 'Forbidden', '"SYS_PTRACE" reaches container "app", which Pod Security baseline refuses (privileged)']]],
  ['ALL targeting a container whose seccomp the pod leaves Unconfined', { denyPtraceOfPrivileged: true },
    { ...general('app'), securityContext: { capabilities: { add: ['NET_RAW', 'ALL'] }, seccompProfile: { type: 'RuntimeDefault' } } }, { securityContext: { seccompProfile: { type: 'Unconfined' } } },
    [['.securityContext.capabilities.add[1]', 'Forbidden', '"ALL" reaches container "app", which Pod Security baseline refuses (seccompProfile_baseline)']]],
  ['privileged itself counts as ptrace', { denyPtraceOfPrivileged: true }, { name: 'dbg', targetContainerName: 'app', securityContext: { privileged: true } }, { containers: [PRIVILEGED_APP] },
    [['.securityContext.privileged', 'Forbidden', 'privileged reaches container "app", which Pod Security baseline refuses (privileged)']]],
  ['SYS_PTRACE without a target, no shared namespace: reaches only itself', { denyPtraceOfPrivileged: true }, general(), { containers: [PRIVILEGED_APP] }, []],
  ['SYS_PTRACE targeting an init container that adds SYS_ADMIN', { denyPtraceOfPrivileged: true }, general('init'),
    { initContainers: [{ name: 'init', image: 'x', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }] },
    [[ADD0, 'Forbidden', '"SYS_PTRACE" reaches container "init", which Pod Security baseline refuses (capabilities_baseline)']]],
  ['a shared process namespace: every other container, an earlier ephemeral one too', { denyPtraceOfPrivileged: true }, general('app'),
    { shareProcessNamespace: true, containers: [APP, { name: 'agent', image: 'x', securityContext: { procMount: 'Unmasked' } }], ephemeralContainers: [{ name: 'old', image: 'x', securityContext: { privileged: true } }] }, [
      [ADD0, 'Forbidden', '"SYS_PTRACE" reaches container "agent", which Pod Security baseline refuses (procMount)'],
      [ADD0, 'Forbidden', '"SYS_PTRACE" reaches container "old", which Pod Security baseline refuses (privileged)'],
    ]],
  ['no ptrace: nothing to say', { denyPtraceOfPrivileged: true, denyPtraceWhenHostPID: true }, { name: 'dbg', targetContainerName: 'app', securityContext: { capabilities: { add: ['NET_ADMIN'] } } },
    { hostPID: true, containers: [PRIVILEGED_APP] }, []],
  ['SYS_PTRACE in a hostPID pod', { denyPtraceWhenHostPID: true }, general(), { hostPID: true }, [[ADD0, 'Forbidden', '"SYS_PTRACE" reaches the node\'s processes (spec.hostPID: true)']]],
  ['SYS_PTRACE in a pod without hostPID', { denyPtraceWhenHostPID: true }, general(), { hostPID: false }, []],
  ['hostPID alone does not judge a privileged target', { denyPtraceWhenHostPID: true }, general('app'), { containers: [PRIVILEGED_APP] }, []],
  ['both, with a target denied too', { denyContainers: ['app'], denyPtraceOfPrivileged: true, denyPtraceWhenHostPID: true }, general('app'), { hostPID: true, containers: [PRIVILEGED_APP] }, [
    ['.targetContainerName', 'Forbidden', 'container "app" may not be targeted', 'app'],
    [ADD0, 'Forbidden', '"SYS_PTRACE" reaches container "app", which Pod Security baseline refuses (privileged)'],
    [ADD0, 'Forbidden', '"SYS_PTRACE" reaches the node\'s processes (spec.hostPID: true)'],
  ]],
  ['the legacy object carries no spec: nothing found, nothing refused', { denyPtraceOfPrivileged: true, denyPtraceWhenHostPID: true }, general('app'), {}, [], true],
]

t.test('targets: ptrace next to a privileged container or in a hostPID pod', async (t) => {
  for (const [name, spec, container, pod, want, legacy] of ptrace) t.same(judge(targetsCheck(spec, 'r')!, container, inPod(container, pod, legacy)), want, name)
  t.equal(targetsCheck({ denyPtraceOfPrivileged: true, denyPtraceWhenHostPID: true }, 'r')?.description, 'no SYS_PTRACE next to a privileged container; no SYS_PTRACE in a hostPID pod')
})

t.test('targets.denyWhenSharedProcessNamespace: no new container in a pod sharing one process namespace', async (t) => {
  t.equal(sharedProcessNamespaceCheck({ denyContainers: ['app'] }, 'r'), undefined, 'not asked for: no check')
  t.equal(sharedProcessNamespaceCheck({ denyWhenSharedProcessNamespace: false }, 'r'), undefined)
  const check = sharedProcessNamespaceCheck({ denyWhenSharedProcessNamespace: true, denyContainers: ['vault-agent', 'init', 'absent'] }, 'r')!
  const c = { name: 'dbg', image: 'busybox' }
  const SHARED = 'the pod\'s containers share one process namespace (spec.shareProcessNamespace: true), so a debug container reaches every container\'s processes, whatever it targets'
  t.same(check.run(inPod(c, { shareProcessNamespace: true, containers: [APP] })).map((v) => [v.field, v.type, v.detail, v.containerIndex]),
    [['spec.ephemeralContainers', 'Forbidden', SHARED, -1]], 'refused once, at the list')
  t.same(check.run(inPod(c, { shareProcessNamespace: true, containers: [APP, { name: 'vault-agent' }], initContainers: [{ name: 'init' }] })).map((v) => v.detail),
    [`${SHARED}; "vault-agent", "init" included`], 'the denied containers present are named')
  t.same(check.run(inPod(c, { shareProcessNamespace: false })), [], 'not shared')
  t.same(check.run(inPod(c)), [], 'unset')
  t.same(check.run(inPod(c, {}, true)), [], 'the legacy object carries no spec')
  t.equal(check.description, 'the pod does not share one process namespace among its containers')
})
