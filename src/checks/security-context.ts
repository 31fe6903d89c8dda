// security-context: a container's securityContext, as validation.go's ValidateSecurityContext judges it
// for every container kind: runAsUser and runAsGroup in [0, 2^31-1], procMount (Unmasked only with
// hostUsers: false), seccompProfile, allowPrivilegeEscalation: false against privileged: true and
// against an added CAP_SYS_ADMIN (allowed only if the stored pod already has such a container),
// windowsOptions (gMSA and runAsUserName), appArmorProfile. Errors about the whole securityContext
// carry it as Kubernetes prints it: encoding/json of its internal Go struct (Go field names, nil
// pointers as null). Not judged: `privileged: true` against --allow-privileged=false, a flag of the
// API server a webhook cannot read (the harness and common distributions set it to true).
import { isJsonObject, type JsonObject, type JsonValue } from '../kube/types.js'
import { goJson, goLen, goTrimSpace, type GoJson } from '../kube/go-text.js'
import type { Check } from '../decision/types.js'
import type { PodView } from '../decision/pod-view.js'
import { list, listAt, object, objectAt, type Report, reportingCheck, stringAt } from './support/fields.js'
import { hasBacksteps, isAbsolute, isDNS1123Subdomain } from './support/validation.js'

const MAX_ID = 2147483647
const RANGE = `must be between 0 and ${MAX_ID}, inclusive`
const PROFILE_TYPES = 'supported values: "Localhost", "RuntimeDefault", "Unconfined"'

/** A field as a Go pointer: null when nil, the value otherwise (already narrowed by the caller's type). */
const ptr = (o: JsonObject | undefined, key: string): GoJson => (o === undefined || o[key] === undefined ? null : o[key] as GoJson)
const strings = (v: JsonValue | undefined): GoJson => (Array.isArray(v) ? v as GoJson[] : null)

/** The internal core.SecurityContext as encoding/json writes it, fields in Go order. */
export function goSecurityContext(sc: JsonObject): string {
  const caps = objectAt(sc, 'capabilities')
  const se = objectAt(sc, 'seLinuxOptions')
  const win = objectAt(sc, 'windowsOptions')
  const profile = (p: JsonObject | undefined): GoJson => (p === undefined ? null : { Type: stringAt(p, 'type') ?? '', LocalhostProfile: ptr(p, 'localhostProfile') })
  return goJson({
    Capabilities: caps === undefined ? null : { Add: strings(caps['add']), Drop: strings(caps['drop']) },
    Privileged: ptr(sc, 'privileged'),
    SELinuxOptions: se === undefined ? null : { User: stringAt(se, 'user') ?? '', Role: stringAt(se, 'role') ?? '', Type: stringAt(se, 'type') ?? '', Level: stringAt(se, 'level') ?? '' },
    WindowsOptions: win === undefined ? null : { GMSACredentialSpecName: ptr(win, 'gmsaCredentialSpecName'), GMSACredentialSpec: ptr(win, 'gmsaCredentialSpec'), RunAsUserName: ptr(win, 'runAsUserName'), HostProcess: ptr(win, 'hostProcess') },
    RunAsUser: ptr(sc, 'runAsUser'),
    RunAsGroup: ptr(sc, 'runAsGroup'),
    RunAsNonRoot: ptr(sc, 'runAsNonRoot'),
    ReadOnlyRootFilesystem: ptr(sc, 'readOnlyRootFilesystem'),
    AllowPrivilegeEscalation: ptr(sc, 'allowPrivilegeEscalation'),
    ProcMount: ptr(sc, 'procMount'),
    SeccompProfile: profile(objectAt(sc, 'seccompProfile')),
    AppArmorProfile: profile(objectAt(sc, 'appArmorProfile')),
  })
}

function seccompProfile(sp: JsonObject, at: string, report: Report): void {
  const type = stringAt(sp, 'type')
  if (type === '') report(`${at}.type`, 'Required', undefined, 'type is required when seccompProfile is set')
  else if (type !== undefined && !['Localhost', 'RuntimeDefault', 'Unconfined'].includes(type)) report(`${at}.type`, 'NotSupported', type, PROFILE_TYPES, goJson(type))
  const profile = sp['localhostProfile']
  if (type === 'Localhost') {
    if (profile === undefined || profile === null) report(`${at}.localhostProfile`, 'Required', undefined, 'must be set when seccomp type is Localhost')
    else if (typeof profile === 'string') {
      if (isAbsolute(profile)) report(`${at}.localhostProfile`, 'Invalid', profile, 'must be a relative path')
      if (hasBacksteps(profile)) report(`${at}.localhostProfile`, 'Invalid', profile, "must not contain '..'")
    }
  } else if (profile !== undefined && profile !== null) {
    report(`${at}.localhostProfile`, 'Invalid', sp, 'can only be set when seccomp type is Localhost', goJson({ Type: type ?? '', LocalhostProfile: profile as GoJson }))
  }
}

function appArmorProfile(p: JsonObject, at: string, report: Report): void {
  const type = stringAt(p, 'type')
  const profile = p['localhostProfile']
  if (type === 'Localhost') {
    if (typeof profile !== 'string') {
      if (profile === undefined || profile === null) report(`${at}.localhostProfile`, 'Required', undefined, 'must be set when AppArmor type is Localhost')
      return
    }
    const trimmed = goTrimSpace(profile)
    if (trimmed !== profile) report(`${at}.localhostProfile`, 'Invalid', profile, 'must not be padded with whitespace')
    else if (trimmed === '') report(`${at}.localhostProfile`, 'Required', undefined, 'must be set when AppArmor type is Localhost')
    if (goLen(profile) > 4095) report(`${at}.localhostProfile`, 'TooLong', undefined, 'may not be more than 4095 bytes')
  } else if (type === 'RuntimeDefault' || type === 'Unconfined') {
    if (profile !== undefined && profile !== null) report(`${at}.localhostProfile`, 'Invalid', profile, 'can only be set when AppArmor type is Localhost', goJson(profile as GoJson))
  } else if (type === '') {
    report(`${at}.type`, 'Required', undefined, 'type is required when appArmorProfile is set')
  } else if (type !== undefined) {
    report(`${at}.type`, 'NotSupported', type, PROFILE_TYPES, goJson(type))
  }
}

const NETBIOS = /^[^\\/:*?"<>|.][^\\/:*?"<>|]{0,14}$/u
const DNS_LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?'
const DNS_DOMAIN = new RegExp(`^${DNS_LABEL}(?:\\.${DNS_LABEL})*$`)
const BAD_USER_CHARS = /["/\\:;|=,+*?<>@[\]]/
const DOTS_SPACES = /^[. ]+$/
/** Go's [[:cntrl:]]: the ASCII control characters, DEL included. */
const hasControl = (s: string): boolean => [...s].some((c) => c.charCodeAt(0) < 0x20 || c === '\x7f')

function runAsUserName(name: string, invalid: (detail: string) => void): void {
  if (name === '') return invalid('runAsUserName cannot be an empty string')
  if (hasControl(name)) return invalid('runAsUserName cannot contain control characters')
  const parts = name.split('\\')
  if (parts.length > 2) return invalid('runAsUserName cannot contain more than one backslash')
  const [domain, user] = parts.length === 1 ? ['', parts[0]!] : [parts[0]!, parts[1]!]
  if (goLen(domain) >= 256) invalid("runAsUserName's Domain length must be under 256 characters")
  if (parts.length === 2 && !NETBIOS.test(domain) && !DNS_DOMAIN.test(domain)) invalid("runAsUserName's Domain doesn't match the NetBios nor the DNS format")
  if (user === '') invalid("runAsUserName's User cannot be empty")
  else if (goLen(user) > 104) invalid("runAsUserName's User length must not be longer than 104 characters")
  if (DOTS_SPACES.test(user)) invalid("runAsUserName's User cannot contain only periods or spaces")
  if (BAD_USER_CHARS.test(user)) invalid('runAsUserName\'s User cannot contain the following characters: "/\\:;|=,+*?<>@[]')
}

/** validateWindowsSecurityContextOptions; its values are pointers, printed by encoding/json. */
function windowsOptions(w: JsonObject, at: string, report: Report): void {
  const gmsaName = w['gmsaCredentialSpecName']
  if (typeof gmsaName === 'string') for (const msg of isDNS1123Subdomain(gmsaName)) report(`${at}.gmsaCredentialSpecName`, 'Invalid', gmsaName, msg, goJson(gmsaName))
  const gmsa = w['gmsaCredentialSpec']
  if (typeof gmsa === 'string') {
    if (gmsa === '') report(`${at}.gmsaCredentialSpec`, 'Invalid', gmsa, 'gmsaCredentialSpec cannot be an empty string', goJson(gmsa))
    else if (goLen(gmsa) > 64 * 1024) report(`${at}.gmsaCredentialSpec`, 'Invalid', gmsa, 'gmsaCredentialSpec size must be under 64 KiB', goJson(gmsa))
  }
  const user = w['runAsUserName']
  if (typeof user === 'string') runAsUserName(user, (detail) => report(`${at}.runAsUserName`, 'Invalid', user, detail, goJson(user)))
}

/** Whether oldPod has a container adding CAP_SYS_ADMIN without allowPrivilegeEscalation: true (such pods stay updatable). */
function sysAdminWithoutEscalation(oldPod: PodView): boolean {
  const spec = oldPod.spec
  if (spec === undefined) return false
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of listAt(spec, list)) {
      const sc = isJsonObject(c) ? objectAt(c, 'securityContext') : undefined
      if (sc === undefined || sc['allowPrivilegeEscalation'] === true) continue
      if (listAt(objectAt(sc, 'capabilities'), 'add').includes('CAP_SYS_ADMIN')) return true
    }
  }
  return false
}

export const securityContext: Check = reportingCheck('security-context', ({ pod, oldPod, added }, reportFor) => {
  const hostUsers = pod.spec?.['hostUsers'] !== false
  let allowSysAdmin: boolean | undefined
  for (const { index, value } of added) {
    const sc = isJsonObject(value) ? object(value['securityContext']) : undefined
    if (sc === undefined) continue
    const report = reportFor(index)
    const at = `${pod.listField}[${index}].securityContext`
    // Fields read by their own names (fields.ts says why).
    const runAsUser = sc['runAsUser']
    if (typeof runAsUser === 'number' && (runAsUser < 0 || runAsUser > MAX_ID)) report(`${at}.runAsUser`, 'Invalid', runAsUser, RANGE)
    const runAsGroup = sc['runAsGroup']
    if (typeof runAsGroup === 'number' && (runAsGroup < 0 || runAsGroup > MAX_ID)) report(`${at}.runAsGroup`, 'Invalid', runAsGroup, RANGE)
    const procMount = sc['procMount']
    if (typeof procMount === 'string') {
      if (procMount !== 'Default' && procMount !== 'Unmasked') report(`${at}.procMount`, 'NotSupported', procMount, 'supported values: "Default", "Unmasked"', goJson(procMount))
      if (hostUsers && procMount === 'Unmasked') report(`${at}.procMount`, 'Invalid', procMount, '`hostUsers` must be false to use `Unmasked`', goJson(procMount))
    }
    const seccomp = object(sc['seccompProfile'])
    if (seccomp !== undefined) seccompProfile(seccomp, `${at}.seccompProfile`, report)
    if (sc['allowPrivilegeEscalation'] === false) {
      if (sc['privileged'] === true) report(at, 'Invalid', sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true', goSecurityContext(sc))
      const adds = list(object(sc['capabilities'])?.['add'])
      if (adds.includes('CAP_SYS_ADMIN') && !(allowSysAdmin ??= sysAdminWithoutEscalation(oldPod))) {
        report(at, 'Invalid', sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN', goSecurityContext(sc))
      }
    }
    const win = object(sc['windowsOptions'])
    if (win !== undefined) windowsOptions(win, `${at}.windowsOptions`, report)
    const appArmor = object(sc['appArmorProfile'])
    if (appArmor !== undefined) appArmorProfile(appArmor, `${at}.appArmorProfile`, report)
  }
})

