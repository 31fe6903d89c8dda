import type { JsonObject } from '../../../src/kube/types.js'
import type { FidelityCase } from './types.js'

/** Category 'security-context' of the fidelity corpus: ValidateSecurityContext for an added container. */
const sc = (securityContext: JsonObject, name = 'debugger'): JsonObject => ({ name, image: 'busybox:1.36', securityContext })
const win = (windowsOptions: JsonObject): JsonObject => sc({ windowsOptions })

const c = (slug: string, about: string, added: JsonObject[], more: Partial<FidelityCase> = {}): FidelityCase =>
  ({ id: `security-context/${slug}`, category: 'security-context', about, added, ...more })

export const cases: readonly FidelityCase[] = [
  c('empty', 'an empty securityContext', [sc({})]),
  c('kubectl-general', "kubectl debug's general profile", [sc({ capabilities: { add: ['SYS_PTRACE'] } })]),
  c('kubectl-restricted', "kubectl debug's restricted profile", [sc({ runAsNonRoot: true, capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } })]),
  c('privileged', 'privileged (the harness allows privileged containers)', [sc({ privileged: true })]),
  // runAsUser / runAsGroup.
  c('run-as-user-zero', 'runAsUser 0', [sc({ runAsUser: 0 })]),
  c('run-as-user-max', 'runAsUser 2147483647', [sc({ runAsUser: 2147483647 })]),
  c('run-as-user-negative', 'runAsUser -1', [sc({ runAsUser: -1 })]),
  c('run-as-user-too-big', 'runAsUser 2147483648', [sc({ runAsUser: 2147483648 })]),
  c('run-as-group-zero', 'runAsGroup 0', [sc({ runAsGroup: 0 })]),
  c('run-as-group-negative', 'runAsGroup -5', [sc({ runAsGroup: -5 })]),
  c('run-as-group-too-big', 'runAsGroup 4294967296', [sc({ runAsGroup: 4294967296 })]),
  c('run-as-both-bad', 'runAsUser and runAsGroup both out of range, user first', [sc({ runAsGroup: -1, runAsUser: -1 })]),
  // privileged / allowPrivilegeEscalation / CAP_SYS_ADMIN.
  c('privileged-no-escalation', 'privileged with allowPrivilegeEscalation false', [sc({ privileged: true, allowPrivilegeEscalation: false })]),
  c('unprivileged-no-escalation', 'privileged false with allowPrivilegeEscalation false', [sc({ privileged: false, allowPrivilegeEscalation: false })]),
  c('privileged-escalation', 'privileged with allowPrivilegeEscalation true', [sc({ privileged: true, allowPrivilegeEscalation: true })]),
  c('cap-sys-admin-no-escalation', 'CAP_SYS_ADMIN added with allowPrivilegeEscalation false', [sc({ allowPrivilegeEscalation: false, capabilities: { add: ['CAP_SYS_ADMIN'] } })]),
  c('sys-admin-no-escalation', 'SYS_ADMIN (no CAP_ prefix) with allowPrivilegeEscalation false', [sc({ allowPrivilegeEscalation: false, capabilities: { add: ['SYS_ADMIN'] } })]),
  c('cap-sys-admin-twice', 'CAP_SYS_ADMIN added twice: two causes, one message line', [sc({ allowPrivilegeEscalation: false, capabilities: { add: ['CAP_SYS_ADMIN', 'NET_ADMIN', 'CAP_SYS_ADMIN'] } })]),
  c('cap-sys-admin-kept-updatable', 'CAP_SYS_ADMIN with escalation false, when a stored container already adds CAP_SYS_ADMIN without allowing escalation', [sc({ allowPrivilegeEscalation: false, capabilities: { add: ['CAP_SYS_ADMIN'] } }, 'debugger-2')], { existing: [sc({ capabilities: { add: ['CAP_SYS_ADMIN'] } })] }),
  c('cap-sys-admin-stored-escalation-true', 'a stored CAP_SYS_ADMIN container that allows escalation does not count', [sc({ allowPrivilegeEscalation: false, capabilities: { add: ['CAP_SYS_ADMIN'] } }, 'debugger-2')], { existing: [sc({ allowPrivilegeEscalation: true, capabilities: { add: ['CAP_SYS_ADMIN'] } })] }),
  c('cap-sys-admin-escalation', 'CAP_SYS_ADMIN with escalation allowed', [sc({ allowPrivilegeEscalation: true, capabilities: { add: ['CAP_SYS_ADMIN'] } })]),
  c('cap-sys-admin-dropped', 'CAP_SYS_ADMIN dropped, escalation false', [sc({ allowPrivilegeEscalation: false, capabilities: { drop: ['CAP_SYS_ADMIN'] } })]),
  c('privileged-and-cap-sys-admin', 'privileged and CAP_SYS_ADMIN with escalation false', [sc({ privileged: true, allowPrivilegeEscalation: false, runAsUser: 1000, capabilities: { add: ['CAP_SYS_ADMIN'] } })]),
  // procMount.
  c('proc-mount-default', 'procMount Default', [sc({ procMount: 'Default' })]),
  c('proc-mount-unmasked', 'procMount Unmasked needs hostUsers: false', [sc({ procMount: 'Unmasked' })]),
  c('proc-mount-unmasked-userns', 'procMount Unmasked in a pod with hostUsers: false', [sc({ procMount: 'Unmasked' })], { podSpec: { hostUsers: false } }),
  c('proc-mount-unsupported', 'an unknown procMount', [sc({ procMount: 'Masked' })]),
  c('proc-mount-html', 'an unknown procMount with HTML characters', [sc({ procMount: '<Masked>' })]),
  c('proc-mount-empty', 'an empty procMount', [sc({ procMount: '' })]),
  // seccompProfile.
  c('seccomp-runtime-default', 'seccomp RuntimeDefault', [sc({ seccompProfile: { type: 'RuntimeDefault' } })]),
  c('seccomp-unconfined', 'seccomp Unconfined', [sc({ seccompProfile: { type: 'Unconfined' } })]),
  c('seccomp-localhost', 'seccomp Localhost with a relative profile', [sc({ seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/audit.json' } })]),
  c('seccomp-no-type', 'seccompProfile without a type', [sc({ seccompProfile: {} })]),
  c('seccomp-unsupported-type', 'an unknown seccomp type', [sc({ seccompProfile: { type: 'Strict' } })]),
  c('seccomp-localhost-no-profile', 'Localhost without localhostProfile', [sc({ seccompProfile: { type: 'Localhost' } })]),
  c('seccomp-localhost-absolute', 'an absolute localhostProfile', [sc({ seccompProfile: { type: 'Localhost', localhostProfile: '/etc/seccomp/audit.json' } })]),
  c('seccomp-localhost-backsteps', "a localhostProfile with '..'", [sc({ seccompProfile: { type: 'Localhost', localhostProfile: '../audit.json' } })]),
  c('seccomp-localhost-absolute-backsteps', "an absolute localhostProfile with '..': two errors", [sc({ seccompProfile: { type: 'Localhost', localhostProfile: '/../audit.json' } })]),
  c('seccomp-localhost-empty', 'an empty localhostProfile is admitted', [sc({ seccompProfile: { type: 'Localhost', localhostProfile: '' } })]),
  c('seccomp-runtime-default-with-profile', 'a localhostProfile with RuntimeDefault', [sc({ seccompProfile: { type: 'RuntimeDefault', localhostProfile: 'audit.json' } })]),
  c('seccomp-html-in-struct', 'a struct value is printed as JSON, HTML characters escaped', [sc({ seccompProfile: { type: 'Unconfined', localhostProfile: 'a<b>' } })]),
  c('seccomp-no-type-with-profile', 'no type and a localhostProfile: two errors', [sc({ seccompProfile: { localhostProfile: 'audit.json' } })]),
  // appArmorProfile.
  c('apparmor-runtime-default', 'AppArmor RuntimeDefault', [sc({ appArmorProfile: { type: 'RuntimeDefault' } })]),
  c('apparmor-localhost', 'AppArmor Localhost with a profile', [sc({ appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-apparmor-example' } })]),
  c('apparmor-no-type', 'appArmorProfile without a type', [sc({ appArmorProfile: {} })]),
  c('apparmor-unsupported-type', 'an unknown AppArmor type', [sc({ appArmorProfile: { type: 'Enforce' } })]),
  c('apparmor-localhost-no-profile', 'Localhost without localhostProfile', [sc({ appArmorProfile: { type: 'Localhost' } })]),
  c('apparmor-localhost-empty', 'Localhost with an empty localhostProfile', [sc({ appArmorProfile: { type: 'Localhost', localhostProfile: '' } })]),
  c('apparmor-localhost-padded', 'a localhostProfile padded with whitespace', [sc({ appArmorProfile: { type: 'Localhost', localhostProfile: ' profile ' } })]),
  c('apparmor-localhost-blank', 'a localhostProfile of spaces only', [sc({ appArmorProfile: { type: 'Localhost', localhostProfile: '   ' } })]),
  c('apparmor-localhost-too-long', 'a localhostProfile of 4096 bytes', [sc({ appArmorProfile: { type: 'Localhost', localhostProfile: 'p'.repeat(4096) } })]),
  c('apparmor-localhost-max', 'a localhostProfile of 4095 bytes', [sc({ appArmorProfile: { type: 'Localhost', localhostProfile: 'p'.repeat(4095) } })]),
  c('apparmor-localhost-nel-padded', 'U+0085 is a space to Go', [sc({ appArmorProfile: { type: 'Localhost', localhostProfile: 'profile\u0085' } })]),
  c('apparmor-localhost-bom', 'U+FEFF is no space to Go', [sc({ appArmorProfile: { type: 'Localhost', localhostProfile: '\ufeffprofile' } })]),
  c('apparmor-runtime-default-html-profile', 'a pointer value is printed as JSON', [sc({ appArmorProfile: { type: 'RuntimeDefault', localhostProfile: 'a<b>&c' } })]),
  c('apparmor-unconfined-with-profile', 'a localhostProfile with Unconfined', [sc({ appArmorProfile: { type: 'Unconfined', localhostProfile: 'p' } })]),
  // seLinuxOptions: not judged for a container.
  c('selinux-options', 'seLinuxOptions are not judged per container', [sc({ seLinuxOptions: { user: 'system_u', role: 'system_r', type: 'spc_t', level: 's0:c123,c456' } })]),
  // windowsOptions.
  c('windows-valid', 'windowsOptions on a pod without spec.os', [win({ gmsaCredentialSpecName: 'webapp-gmsa', runAsUserName: 'NT AUTHORITY\\NETWORK SERVICE' })]),
  c('gmsa-name-invalid', 'a gmsaCredentialSpecName that is no DNS subdomain', [win({ gmsaCredentialSpecName: 'WebApp_GMSA' })]),
  c('gmsa-name-html', 'a gmsaCredentialSpecName with HTML characters', [win({ gmsaCredentialSpecName: 'a&b' })]),
  c('gmsa-spec-empty', 'an empty gmsaCredentialSpec', [win({ gmsaCredentialSpec: '' })]),
  c('gmsa-spec-valid', 'a gmsaCredentialSpec', [win({ gmsaCredentialSpec: '{"CmsPlugins":["ActiveDirectory"]}' })]),
  c('run-as-user-name-empty', 'an empty runAsUserName', [win({ runAsUserName: '' })]),
  c('run-as-user-name-control', 'a control character in runAsUserName', [win({ runAsUserName: 'us\u0001er' })]),
  c('run-as-user-name-del', 'DEL is a control character', [win({ runAsUserName: 'us\u007fer' })]),
  c('run-as-user-name-html', 'a runAsUserName with HTML characters is printed as JSON', [win({ runAsUserName: 'corp\\<user>' })]),
  c('run-as-user-name-backslashes', 'two backslashes in runAsUserName', [win({ runAsUserName: 'a\\b\\c' })]),
  c('run-as-user-name-no-user', 'a domain without a user', [win({ runAsUserName: 'DOMAIN\\' })]),
  c('run-as-user-name-bad-domain', 'a domain that is neither NetBios nor DNS', [win({ runAsUserName: '.corp\\user' })]),
  c('run-as-user-name-long-domain', 'a domain of 256 characters', [win({ runAsUserName: `${'d'.repeat(256)}\\user` })]),
  c('run-as-user-name-dots', 'a user of periods only', [win({ runAsUserName: '...' })]),
  c('run-as-user-name-bad-chars', 'a user with @', [win({ runAsUserName: 'user@corp' })]),
  c('run-as-user-name-long-user', 'a user of 105 characters', [win({ runAsUserName: 'u'.repeat(105) })]),
  c('run-as-user-name-user-104', 'a user of 104 characters and a DNS domain', [win({ runAsUserName: `corp.example.com\\${'u'.repeat(104)}` })]),
  c('run-as-user-name-several', 'a user of spaces with a bad character: two errors', [win({ runAsUserName: 'corp\\ *' })]),
  c('windows-errors-in-order', 'gmsa name, gmsa spec and runAsUserName errors together', [win({ gmsaCredentialSpecName: 'A', gmsaCredentialSpec: '', runAsUserName: '' })]),
  c('host-process-false', 'hostProcess false on a pod without spec.os', [win({ hostProcess: false })]),
  // Order of the whole function.
  c('all-in-struct', 'every field of the struct as Kubernetes prints it', [sc({
    capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, privileged: true, seLinuxOptions: { user: 'u', role: 'r', type: 't', level: 's0' },
    windowsOptions: { gmsaCredentialSpecName: 'g', gmsaCredentialSpec: '{}', runAsUserName: 'ContainerUser', hostProcess: false },
    runAsUser: 1, runAsGroup: 2, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, procMount: 'Default',
    seccompProfile: { type: 'RuntimeDefault' }, appArmorProfile: { type: 'RuntimeDefault' },
  })]),
  c('everything', 'one error of each kind, in ValidateSecurityContext order', [sc({
    runAsUser: -1, runAsGroup: -1, procMount: 'Unmasked', seccompProfile: { type: '' }, allowPrivilegeEscalation: false, privileged: true,
    windowsOptions: { runAsUserName: '' }, appArmorProfile: { type: '' },
  })]),
  c('two-containers', 'securityContext errors of two added containers', [sc({ runAsUser: -1 }), sc({ runAsGroup: -1 }, 'debugger-2')]),
]
