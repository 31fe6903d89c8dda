import type { JsonObject } from '../../../src/kube/types.js'
import { storedPod } from '../../support/reviews.js'
import type { FidelityCase } from './types.js'

/**
 * Category 'pod-level' of the fidelity corpus: rules of ValidatePodSpec over all containers that an
 * added ephemeral container can newly break (spec.os, Windows hostProcess, hostUsers: false with
 * volumeDevices), and where Kubernetes reports them: after every container's own errors.
 */
const dbg = (fields: JsonObject, name = 'debugger'): JsonObject => ({ name, image: 'busybox:1.36', ...fields })
const sc = (securityContext: JsonObject, name = 'debugger'): JsonObject => dbg({ securityContext }, name)

const IMAGE = 'registry.example.com/shop/cart:2.4.1'
/** A Windows pod: no Linux-only settings anywhere, so that it can be created. */
const windows = (more: JsonObject = {}, containerSc?: JsonObject): JsonObject => ({
  os: { name: 'windows' },
  securityContext: more['securityContext'] ?? {},
  initContainers: [{ name: 'migrate', image: IMAGE, ...(containerSc ? { securityContext: containerSc } : {}) }],
  containers: [{ name: 'cart', image: IMAGE, ...(containerSc ? { securityContext: containerSc } : {}) }],
  ...more,
})
const linux: JsonObject = { os: { name: 'linux' } }
const hostProcessPod = windows({ hostNetwork: true, securityContext: { windowsOptions: { hostProcess: true } } })
const blockVolumes: JsonObject[] = [
  ...((storedPod()['spec'] as JsonObject)['volumes'] as JsonObject[]),
  { name: 'pg-block', persistentVolumeClaim: { claimName: 'pg-data-0' } },
]

const c = (slug: string, about: string, podSpec: JsonObject | undefined, added: JsonObject[], more: Partial<FidelityCase> = {}): FidelityCase =>
  ({ id: `pod-level/${slug}`, category: 'pod-level', about, added, ...(podSpec ? { podSpec } : {}), ...more })

export const cases: readonly FidelityCase[] = [
  // spec.os.name: linux.
  c('linux-plain', 'a plain container in a linux pod', linux, [dbg({})]),
  c('linux-linux-fields', 'Linux-only fields in a linux pod', linux, [sc({ runAsUser: 0, capabilities: { add: ['SYS_PTRACE'] }, seccompProfile: { type: 'RuntimeDefault' }, procMount: 'Default' })]),
  c('linux-windows-options', 'windowsOptions in a linux pod', linux, [sc({ windowsOptions: { runAsUserName: 'ContainerUser' } })]),
  c('linux-empty-windows-options', 'empty windowsOptions in a linux pod', linux, [sc({ windowsOptions: {} })]),
  c('linux-host-process-false', 'hostProcess false in a linux pod', linux, [sc({ windowsOptions: { hostProcess: false } })]),
  c('linux-host-process-true', 'hostProcess true in a linux pod: hostProcess errors, then the linux one', linux, [sc({ windowsOptions: { hostProcess: true } })]),
  c('linux-after-container-errors', 'the linux error comes after the container errors', linux, [sc({ runAsUser: -1, windowsOptions: { runAsUserName: '' } })]),
  c('linux-two-containers', "errors of both containers, then each one's OS error", linux, [sc({ windowsOptions: {} }), sc({ runAsUser: -1, windowsOptions: {} }, 'debugger-2')]),
  // spec.os.name: windows.
  c('windows-plain', 'a plain container in a windows pod', windows(), [dbg({})]),
  c('windows-kubectl-general', "kubectl debug's general profile (SYS_PTRACE) in a windows pod", windows(), [sc({ capabilities: { add: ['SYS_PTRACE'] } })]),
  c('windows-empty-capabilities', 'empty capabilities are still set', windows(), [sc({ capabilities: {} })]),
  c('windows-every-linux-field', 'every Linux-only field, in Kubernetes order', windows(), [sc({
    runAsGroup: 1000, runAsUser: 1000, procMount: 'Default', allowPrivilegeEscalation: true, privileged: false, readOnlyRootFilesystem: false,
    capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' }, seLinuxOptions: { level: 's0' }, appArmorProfile: { type: 'RuntimeDefault' },
  })]),
  c('windows-run-as-non-root', 'runAsNonRoot and windowsOptions are allowed', windows(), [sc({ runAsNonRoot: true, windowsOptions: { runAsUserName: 'ContainerUser', gmsaCredentialSpecName: 'webapp-gmsa' } })]),
  c('windows-after-container-errors', 'container errors first, then the windows ones', windows(), [sc({ runAsUser: -1, seccompProfile: { type: 'Strict' } })]),
  c('windows-kubectl-restricted', "kubectl debug's restricted profile in a windows pod", windows(), [sc({ runAsNonRoot: true, capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } })]),
  c('windows-two-containers', 'two added containers in a windows pod', windows(), [sc({ privileged: false }), sc({ procMount: 'Default' }, 'debugger-2')]),
  // Windows hostProcess.
  c('host-process-alone', 'one hostProcess container among ordinary ones, hostNetwork false', windows(), [sc({ windowsOptions: { hostProcess: true } })]),
  c('host-process-no-os', 'a hostProcess container in a pod without spec.os', undefined, [sc({ windowsOptions: { hostProcess: true } })]),
  c('host-process-pod-inherit', 'a container inheriting hostProcess from the pod', hostProcessPod, [dbg({})]),
  c('host-process-pod-explicit', 'a container repeating the pod hostProcess', hostProcessPod, [sc({ windowsOptions: { hostProcess: true } })]),
  c('host-process-pod-mismatch', 'a container with hostProcess false in a hostProcess pod', hostProcessPod, [sc({ windowsOptions: { hostProcess: false } })]),
  c('host-process-pod-mismatch-two', 'two mismatching containers', hostProcessPod, [sc({ windowsOptions: { hostProcess: false } }), sc({ windowsOptions: { hostProcess: false } }, 'debugger-2')]),
  c('host-process-all-containers', 'every container hostProcess, hostNetwork true, no pod setting', windows({ hostNetwork: true }, { windowsOptions: { hostProcess: true } }), [sc({ windowsOptions: { hostProcess: true } })]),
  c('host-process-all-but-added', 'every other container hostProcess, the added one not', windows({ hostNetwork: true }, { windowsOptions: { hostProcess: true } }), [dbg({})]),
  c('host-process-pod-false', 'a hostProcess container in a pod that says hostProcess false', windows({ hostNetwork: true, securityContext: { windowsOptions: { hostProcess: false } } }), [sc({ windowsOptions: { hostProcess: true } })]),
  // hostUsers: false.
  c('userns-volume-devices', 'volumeDevices in a pod with hostUsers: false', { hostUsers: false, volumes: blockVolumes }, [dbg({ volumeDevices: [{ name: 'pg-block', devicePath: '/dev/xvda' }] })]),
  c('userns-empty-volume-devices', 'an empty volumeDevices list in a pod with hostUsers: false', { hostUsers: false, volumes: blockVolumes }, [dbg({ volumeDevices: [] })]),
  c('userns-volume-mounts', 'volumeMounts in a pod with hostUsers: false', { hostUsers: false }, [dbg({ volumeMounts: [{ name: 'data', mountPath: '/data' }] })]),
  c('userns-device-errors-first', 'device errors of the container, then the hostUsers one', { hostUsers: false, volumes: blockVolumes }, [dbg({ volumeDevices: [{ name: 'data', devicePath: '/dev/xvda' }] })]),
  c('hostusers-true-volume-devices', 'volumeDevices with hostUsers: true', { hostUsers: true, volumes: blockVolumes }, [dbg({ volumeDevices: [{ name: 'pg-block', devicePath: '/dev/xvda' }] })]),
  c('windows-existing-then-added', 'a stored container with windowsOptions is fine, the added one breaks the OS rule', windows(), [sc({ runAsUser: 5 }, 'debugger-2')], { existing: [sc({ windowsOptions: { runAsUserName: 'ContainerUser' } })] }),
  c('linux-existing-valid', 'the OS rule is judged over stored and added containers alike', linux, [sc({ windowsOptions: {} }, 'debugger-2')], { existing: [sc({ runAsUser: 0 })] }),
  // Order of ValidatePodSpec's pod-level parts.
  c('host-process-and-linux', 'hostProcess errors, then the OS error', linux, [sc({ windowsOptions: { hostProcess: true, runAsUserName: 'ContainerUser' } })]),
  c('userns-and-filekeyref', 'hostUsers, then fileKeyRef volume errors', { hostUsers: false, volumes: blockVolumes }, [dbg({ volumeDevices: [{ name: 'pg-block', devicePath: '/dev/xvda' }], env: [{ name: 'T', valueFrom: { fileKeyRef: { volumeName: 'pg-block', path: 'a.env', key: 'T' } } }] })]),
  c('linux-and-filekeyref', 'the OS error, then fileKeyRef volume errors', linux, [dbg({ securityContext: { windowsOptions: {} }, env: [{ name: 'T', valueFrom: { fileKeyRef: { volumeName: 'nope', path: 'a.env', key: 'T' } } }] })]),
]
