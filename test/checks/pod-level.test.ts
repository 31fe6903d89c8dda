// The pod-level rules of ValidatePodSpec an added ephemeral container can break, in Kubernetes' words
// (checked against kube-apiserver 1.37.2 by the fidelity corpus, test/fidelity/corpus/pod-level.ts),
// and where a denial lists them: after every container's own errors, in ValidatePodSpec's order.
import t from 'tap'
import { fileKeyRefVolumes } from '../../src/checks/file-key-ref-volumes.js'
import { hostProcess } from '../../src/checks/host-process.js'
import { hostUsers } from '../../src/checks/host-users.js'
import { podOs } from '../../src/checks/pod-os.js'
import type { JsonObject } from '../../src/kube/types.js'
import { storedPod } from '../support/reviews.js'
import { policyOfSpec, answer } from '../support/decide.js'
import { admissionReview } from '../support/reviews.js'
import { ec, runCheck } from './run-check.js'

const sc = (securityContext: JsonObject, name = 'debugger'): JsonObject => ec({ securityContext }, name)
const IMAGE = 'registry.example.com/shop/cart:2.4.1'
const windows = (more: JsonObject = {}, containerSc?: JsonObject): JsonObject => ({
  os: { name: 'windows' }, securityContext: {},
  initContainers: [{ name: 'migrate', image: IMAGE, ...(containerSc ? { securityContext: containerSc } : {}) }],
  containers: [{ name: 'cart', image: IMAGE, ...(containerSc ? { securityContext: containerSc } : {}) }],
  ...more,
})
const MIXED = 'spec: Invalid value: "": If pod contains any hostProcess containers then all containers must be HostProcess containers'
const NO_HOST_NETWORK = 'spec.hostNetwork: Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers'

t.test('host-process', async (t) => {
  const hp = (hostProcess_: boolean): JsonObject => sc({ windowsOptions: { hostProcess: hostProcess_ } })
  t.same(runCheck(hostProcess, [hp(false)]), [])
  t.same(runCheck(hostProcess, [hp(true)]), [MIXED, NO_HOST_NETWORK])
  const podHp = windows({ hostNetwork: true, securityContext: { windowsOptions: { hostProcess: true } } })
  t.same(runCheck(hostProcess, [ec()], { podSpec: podHp }), [], 'inherited from the pod')
  t.same(runCheck(hostProcess, [hp(true)], { podSpec: podHp }), [])
  t.same(runCheck(hostProcess, [hp(false), hp(false)], { podSpec: podHp }), [
    'spec.ephemeralContainers[0].securityContext.windowsOptions.hostProcess: Invalid value: false: pod hostProcess value must be identical if both are specified, was true',
    'spec.ephemeralContainers[1].securityContext.windowsOptions.hostProcess: Invalid value: false: pod hostProcess value must be identical if both are specified, was true',
    MIXED,
  ])
  t.same(runCheck(hostProcess, [ec()], { podSpec: windows({ hostNetwork: true }, { windowsOptions: { hostProcess: true } }) }), [MIXED])
  t.same(runCheck(hostProcess, [hp(true)], { shape: 'EphemeralContainers' }), [], 'the legacy object lacks the pod spec')
  t.same(runCheck(hostProcess, [sc({ windowsOptions: { hostProcess: 'yes' } })]), [], 'a value that is no boolean')
})

const blockVolumes = { volumes: [...((storedPod()['spec'] as JsonObject)['volumes'] as JsonObject[]), { name: 'pg', persistentVolumeClaim: { claimName: 'pg-0' } }] }
const device = ec({ volumeDevices: [{ name: 'pg', devicePath: '/dev/a' }] })

t.test('host-users', async (t) => {
  t.same(runCheck(hostUsers, [device], { podSpec: { hostUsers: false, ...blockVolumes } }), ['spec.ephemeralContainers[0].volumeDevices: Forbidden: when `hostUsers` is false'])
  t.same(runCheck(hostUsers, [ec({ volumeDevices: [] })], { podSpec: { hostUsers: false } }), [])
  t.same(runCheck(hostUsers, [device], { podSpec: { hostUsers: true, ...blockVolumes } }), [])
  t.same(runCheck(hostUsers, [device], { podSpec: { hostUsers: false, ...blockVolumes }, existing: [ec({ volumeDevices: [{ name: 'pg', devicePath: '/dev/b' }] }, 'old')] }), [], 'a stored pod that already has them stays updatable')
  t.same(runCheck(hostUsers, [device], { podSpec: { hostUsers: false, ...blockVolumes }, oldPodSpec: { hostUsers: false } }).length, 1, 'a stored pod without them does not')
  t.same(runCheck(hostUsers, [device], { shape: 'EphemeralContainers' }), [])
})

t.test('pod-os', async (t) => {
  const linux = { os: { name: 'linux' } }
  const F = 'spec.ephemeralContainers[0].securityContext'
  t.same(runCheck(podOs, [sc({ runAsUser: 0, capabilities: { add: ['SYS_PTRACE'] } })], { podSpec: linux }), [])
  t.same(runCheck(podOs, [sc({ windowsOptions: {} }), ec({}, 'plain')], { podSpec: linux }), [`${F}.windowsOptions: Forbidden: windows options cannot be set for a linux pod`])
  t.same(runCheck(podOs, [sc({ runAsNonRoot: true, windowsOptions: { runAsUserName: 'ContainerUser' } })], { podSpec: windows() }), [])
  t.same(runCheck(podOs, [sc({
    runAsGroup: 1, runAsUser: 1, procMount: 'Default', allowPrivilegeEscalation: true, privileged: false, readOnlyRootFilesystem: false,
    capabilities: {}, seccompProfile: { type: 'RuntimeDefault' }, seLinuxOptions: {}, appArmorProfile: { type: 'RuntimeDefault' },
  })], { podSpec: windows() }), ['appArmorProfile', 'seLinuxOptions', 'seccompProfile', 'capabilities', 'readOnlyRootFilesystem', 'privileged', 'allowPrivilegeEscalation', 'procMount', 'runAsUser', 'runAsGroup']
    .map((f) => `${F}.${f}: Forbidden: cannot be set for a windows pod`))
  t.same(runCheck(podOs, [sc({ windowsOptions: {} })], { podSpec: { os: { name: 'plan9' } } }), [], 'an unknown os name')
  t.same(runCheck(podOs, [sc({ windowsOptions: {} })]), [], 'no spec.os')
  t.same(runCheck(podOs, [sc({ privileged: true })], { shape: 'EphemeralContainers' }), [])
})

t.test('file-key-ref-volumes', async (t) => {
  const ref = (volumeName: string | number): JsonObject => ({ name: 'T', valueFrom: { fileKeyRef: { volumeName, path: 'a.env', key: 'T' } } })
  const V = 'spec.ephemeralContainers[0].env'
  t.same(runCheck(fileKeyRefVolumes, [ec({ env: [ref('data'), { name: 'X', value: '1' }, 'x'] })]), [])
  t.same(runCheck(fileKeyRefVolumes, [ec({ env: [ref('nope'), ref(''), ref('kube-api-access-x7k2p'), ref(5)] })]), [
    `${V}[0].valueFrom.fileKeyRef.volumeName: Not found: "nope"`,
    `${V}[1].valueFrom.fileKeyRef.volumeName: Not found: ""`,
    `${V}[2].valueFrom.fileKeyRef.volumeName: Invalid value: "kube-api-access-x7k2p": referenced volume must be of type emptyDir`,
  ])
  t.same(runCheck(fileKeyRefVolumes, [ec({ env: [ref('v')] })], { podSpec: { volumes: [{ name: 'v', emptyDir: null }, 'x', { name: 3 }] } }).length, 1, 'emptyDir: null is no emptyDir')
  t.same(runCheck(fileKeyRefVolumes, [ec({ env: [ref('nope')] })], { shape: 'EphemeralContainers' }), [])
})

t.test('in a denial, pod-level errors follow every container error, in ValidatePodSpec order', async (t) => {
  const r = admissionReview({ added: [
    ec({ securityContext: { windowsOptions: { hostProcess: true } }, env: [{ name: 'T', valueFrom: { fileKeyRef: { volumeName: 'nope', path: 'a', key: 'T' } } }] }),
    ec({ securityContext: { runAsUser: -1 } }, 'second'),
  ] })
  const spec = r.request.object as JsonObject
  ;(spec['spec'] as JsonObject)['os'] = { name: 'linux' }
  const message = answer(r, 'validate', policyOfSpec('  rules: []\n')).review.response?.status?.message
  t.equal(message, '[spec.ephemeralContainers[1].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive, ' +
    `${MIXED}, ${NO_HOST_NETWORK}, ` +
    'spec.ephemeralContainers[0].securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod, ' +
    'spec.ephemeralContainers[0].env[0].valueFrom.fileKeyRef.volumeName: Not found: "nope"]')
})
