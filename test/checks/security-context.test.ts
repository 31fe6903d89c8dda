// security-context: ValidateSecurityContext in Kubernetes' words and order (checked against
// kube-apiserver 1.37.2 by the fidelity corpus, test/fidelity/corpus/security-context.ts).
import t from 'tap'
import { securityContext } from '../../src/checks/security-context.js'
import type { JsonObject } from '../../src/kube/types.js'
import { ec, runCheck, type RunOptions } from './run-check.js'

const S = 'spec.ephemeralContainers[0].securityContext'
const sc = (securityContext_: JsonObject, o: RunOptions = {}): string[] => runCheck(securityContext, [ec({ securityContext: securityContext_ })], o)
const RANGE = 'must be between 0 and 2147483647, inclusive'

t.test('ids, procMount and the order of the whole function', async (t) => {
  t.same(sc({ runAsUser: 0, runAsGroup: 2147483647, procMount: 'Default', privileged: true, seLinuxOptions: { type: 'spc_t' } }), [])
  t.same(sc({ runAsUser: 2147483648, runAsGroup: -1 }), [`${S}.runAsUser: Invalid value: 2147483648: ${RANGE}`, `${S}.runAsGroup: Invalid value: -1: ${RANGE}`])
  t.same(sc({ procMount: 'Masked' }), [`${S}.procMount: Unsupported value: "Masked": supported values: "Default", "Unmasked"`])
  t.same(sc({ procMount: 'Unmasked' }), [`${S}.procMount: Invalid value: "Unmasked": \`hostUsers\` must be false to use \`Unmasked\``])
  t.same(sc({ procMount: 'Unmasked' }, { podSpec: { hostUsers: false } }), [], 'Unmasked in a user namespace')
  t.same(sc({
    appArmorProfile: { type: '' }, windowsOptions: { runAsUserName: '' }, privileged: true, allowPrivilegeEscalation: false, seccompProfile: { type: '' }, procMount: 'Unmasked', runAsGroup: -1, runAsUser: -1,
  }), [
    `${S}.runAsUser: Invalid value: -1: ${RANGE}`,
    `${S}.runAsGroup: Invalid value: -1: ${RANGE}`,
    `${S}.procMount: Invalid value: "Unmasked": \`hostUsers\` must be false to use \`Unmasked\``,
    `${S}.seccompProfile.type: Required value: type is required when seccompProfile is set`,
    `${S}: Invalid value: {"Capabilities":null,"Privileged":true,"SELinuxOptions":null,"WindowsOptions":{"GMSACredentialSpecName":null,"GMSACredentialSpec":null,"RunAsUserName":"","HostProcess":null},"RunAsUser":-1,"RunAsGroup":-1,"RunAsNonRoot":null,"ReadOnlyRootFilesystem":null,"AllowPrivilegeEscalation":false,"ProcMount":"Unmasked","SeccompProfile":{"Type":"","LocalhostProfile":null},"AppArmorProfile":{"Type":"","LocalhostProfile":null}}: cannot set \`allowPrivilegeEscalation\` to false and \`privileged\` to true`,
    `${S}.windowsOptions.runAsUserName: Invalid value: "": runAsUserName cannot be an empty string`,
    `${S}.appArmorProfile.type: Required value: type is required when appArmorProfile is set`,
  ])
  t.same(sc({ runAsUser: '1' as unknown as number, procMount: 3 as unknown as string }), [], 'values that are no numbers or strings')
  t.same(runCheck(securityContext, [ec({ securityContext: null }), 'x', ec()]), [])
})

t.test('allowPrivilegeEscalation: false against CAP_SYS_ADMIN', async (t) => {
  const bad = { allowPrivilegeEscalation: false, capabilities: { add: ['CAP_SYS_ADMIN', 'CAP_SYS_ADMIN'], drop: ['ALL'] }, seLinuxOptions: { level: 's0' } }
  t.same(sc(bad), [`${S}: Invalid value: {"Capabilities":{"Add":["CAP_SYS_ADMIN","CAP_SYS_ADMIN"],"Drop":["ALL"]},"Privileged":null,"SELinuxOptions":{"User":"","Role":"","Type":"","Level":"s0"},"WindowsOptions":null,"RunAsUser":null,"RunAsGroup":null,"RunAsNonRoot":null,"ReadOnlyRootFilesystem":null,"AllowPrivilegeEscalation":false,"ProcMount":null,"SeccompProfile":null,"AppArmorProfile":null}: cannot set \`allowPrivilegeEscalation\` to false and \`capabilities.Add\` CAP_SYS_ADMIN`], 'one error for two entries: the API server reports identical errors once')
  t.same(sc({ allowPrivilegeEscalation: false, capabilities: { add: ['SYS_ADMIN'] } }), [])
  t.same(sc({ allowPrivilegeEscalation: true, capabilities: { add: ['CAP_SYS_ADMIN'] } }), [])
  const stored = { name: 'old', image: 'busybox', securityContext: { capabilities: { add: ['CAP_SYS_ADMIN'] } } }
  t.same(sc(bad, { existing: [stored] }).length, 0, 'allowed when the stored pod already has such a container')
  t.same(sc(bad, { existing: [{ ...stored, securityContext: { ...stored.securityContext, allowPrivilegeEscalation: true } }, 'x', { name: 'plain' }] }).length, 1, 'but not when that one allows escalation')
  t.same(runCheck(securityContext, [ec({ securityContext: bad })], { shape: 'EphemeralContainers' }).length, 1, 'the legacy object has no stored containers to look at')
})

t.test('seccompProfile', async (t) => {
  const sp = (seccompProfile: JsonObject): string[] => sc({ seccompProfile })
  const P = `${S}.seccompProfile`
  t.same([...sp({ type: 'RuntimeDefault' }), ...sp({ type: 'Unconfined' }), ...sp({ type: 'Localhost', localhostProfile: 'a/b.json' }), ...sp({ type: 'Localhost', localhostProfile: '' })], [])
  t.same(sp({ type: 'Strict' }), [`${P}.type: Unsupported value: "Strict": supported values: "Localhost", "RuntimeDefault", "Unconfined"`])
  t.same(sp({ type: 'Localhost' }), [`${P}.localhostProfile: Required value: must be set when seccomp type is Localhost`])
  t.same(sp({ type: 'Localhost', localhostProfile: '/../a' }), [`${P}.localhostProfile: Invalid value: "/../a": must be a relative path`, `${P}.localhostProfile: Invalid value: "/../a": must not contain '..'`])
  t.same(sp({ localhostProfile: 'a' }), [`${P}.type: Required value: type is required when seccompProfile is set`, `${P}.localhostProfile: Invalid value: {"Type":"","LocalhostProfile":"a"}: can only be set when seccomp type is Localhost`])
  t.same(sp({ type: 'Localhost', localhostProfile: 5 }), [], 'a profile that is no string')
})

t.test('appArmorProfile', async (t) => {
  const ap = (appArmorProfile: JsonObject): string[] => sc({ appArmorProfile })
  const P = `${S}.appArmorProfile`
  t.same([...ap({ type: 'RuntimeDefault' }), ...ap({ type: 'Unconfined' }), ...ap({ type: 'Localhost', localhostProfile: 'p'.repeat(4095) })], [])
  t.same(ap({ type: 'Enforce' }), [`${P}.type: Unsupported value: "Enforce": supported values: "Localhost", "RuntimeDefault", "Unconfined"`])
  t.same(ap({ type: 'Localhost' }), [`${P}.localhostProfile: Required value: must be set when AppArmor type is Localhost`])
  t.same(ap({ type: 'Localhost', localhostProfile: '' }), [`${P}.localhostProfile: Required value: must be set when AppArmor type is Localhost`])
  t.same(ap({ type: 'Localhost', localhostProfile: ' p\u0085' }), [`${P}.localhostProfile: Invalid value: " p\\u0085": must not be padded with whitespace`], 'U+0085 is a space to Go, and %q escapes it')
  t.same(ap({ type: 'Localhost', localhostProfile: '\ufeffp' }), [], 'U+FEFF is no space to Go')
  t.same(ap({ type: 'Localhost', localhostProfile: 'p'.repeat(4096) }), [`${P}.localhostProfile: Too long: may not be more than 4095 bytes`])
  t.same(ap({ type: 'Unconfined', localhostProfile: 'p<' }), [`${P}.localhostProfile: Invalid value: "p\\u003c": can only be set when AppArmor type is Localhost`])
  t.same(ap({ type: 'Localhost', localhostProfile: 1 }), [], 'a profile that is no string')
})

t.test('windowsOptions', async (t) => {
  const W = `${S}.windowsOptions`
  const win = (windowsOptions: JsonObject): string[] => sc({ windowsOptions })
  const user = (name: string): string[] => win({ runAsUserName: name })
  t.same([...win({ gmsaCredentialSpecName: 'webapp-gmsa', gmsaCredentialSpec: '{}', hostProcess: false }), ...user('NT AUTHORITY\\NETWORK SERVICE'), ...user(`corp.example.com\\${'u'.repeat(104)}`), ...user('CORP\\alice')], [])
  t.match(win({ gmsaCredentialSpecName: 'A_B' })[0], /^.*gmsaCredentialSpecName: Invalid value: "A_B": a lowercase RFC 1123 subdomain/)
  t.same(win({ gmsaCredentialSpec: '' }), [`${W}.gmsaCredentialSpec: Invalid value: "": gmsaCredentialSpec cannot be an empty string`])
  t.match(win({ gmsaCredentialSpec: 'x'.repeat(65537) })[0], /: gmsaCredentialSpec size must be under 64 KiB$/)
  const U = `${W}.runAsUserName: Invalid value:`
  t.same(user('us\u0001er'), [`${U} "us\\u0001er": runAsUserName cannot contain control characters`])
  t.same(user('a\\b\\c'), [`${U} "a\\\\b\\\\c": runAsUserName cannot contain more than one backslash`])
  t.same(user('DOMAIN\\'), [`${U} "DOMAIN\\\\": runAsUserName's User cannot be empty`])
  t.same(user('.corp\\user'), [`${U} ".corp\\\\user": runAsUserName's Domain doesn't match the NetBios nor the DNS format`])
  t.same(user(`${'d'.repeat(256)}\\u`).length, 2, 'a long domain: its length, and neither format')
  t.same(user('...'), [`${U} "...": runAsUserName's User cannot contain only periods or spaces`])
  t.same(user('corp\\ *'), [`${U} "corp\\\\ *": runAsUserName's User cannot contain the following characters: "/\\:;|=,+*?<>@[]`])
  t.same(user('u'.repeat(105)), [`${U} "${'u'.repeat(105)}": runAsUserName's User length must not be longer than 104 characters`])
  t.same(win({ gmsaCredentialSpecName: 1, gmsaCredentialSpec: 2, runAsUserName: 3 }), [], 'values that are no strings')
})
