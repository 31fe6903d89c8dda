// pod-security: fits a new ephemeral container to the Pod Security level its namespace enforces, so
// that Pod Security Admission (which evaluates pods/ephemeralcontainers updates that add a container)
// lets it in. The rules are those of k8s.io/pod-security-admission/policy (Kubernetes 1.37), per
// version of the `pod-security.kubernetes.io/enforce-version` label; reasons use PSA's words.
//
// The fit only adds hardening values where the container leaves a field unset. When the container
// itself asks for something the level forbids (privileged, an added capability, hostProcess, ...), or
// the pod's securityContext sets a forbidden value (PSA refuses it whatever the container sets),
// nothing is changed and a warning says why Pod Security will refuse it. One exception: the lone
// SYS_PTRACE that kubectl debug's default profile (`general` in kubectl 1.37) adds on its own is
// removed, with a warning, since neither baseline nor restricted permits it and the user did not ask.
import { isDeepStrictEqual } from 'node:util'
import { isJsonObject, type JsonObject, type JsonValue } from '../../kube/types.js'
import type { PodSecurityLevel } from '../types.js'
import { securityContextOf, withStrings } from './security-context.js'

const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce'
const ENFORCE_VERSION_LABEL = 'pod-security.kubernetes.io/enforce-version'

/** A level and the policy version (minor of v1.x) it is evaluated at. */
export interface EnforcePolicy {
  readonly level: PodSecurityLevel
  readonly minor: number | 'latest'
}

const describePolicy = (p: EnforcePolicy): string => `${p.level}:${p.minor === 'latest' ? 'latest' : `v1.${p.minor}`}`

// api.ParseVersion: "latest" or "v1.<minor>" without leading zeros.
const VERSION = /^v1\.(0|[1-9][0-9]{0,8})$/
const LEVELS: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted']

/**
 * The enforce policy of a namespace, as api.PolicyToEvaluate reads its labels: no label gives the
 * default level; an invalid level is evaluated as restricted (PSA fails closed) and an invalid version
 * as latest.
 */
export function enforcePolicyOf(labels: Readonly<Record<string, string>>, defaultLevel: PodSecurityLevel): EnforcePolicy {
  const level = labels[ENFORCE_LABEL]
  const version = labels[ENFORCE_VERSION_LABEL]
  const match = version === undefined ? null : VERSION.exec(version)
  return {
    level: level === undefined ? defaultLevel : (LEVELS as readonly string[]).includes(level) ? (level as PodSecurityLevel) : 'restricted',
    minor: match === null ? 'latest' : Number(match[1]),
  }
}

/** What of the pod a new container inherits or is compared with; {} for the legacy object, which has no spec. */
export interface PodContext {
  readonly securityContext: JsonObject
  /** spec.hostUsers; false puts the pod in a user namespace, which relaxes some rules since 1.35. */
  readonly hostUsers?: boolean
  /** spec.os.name is windows: PSA skips the Linux-only restricted rules since 1.25. */
  readonly windows: boolean
  /** securityContext of the container named by targetContainerName, if any. */
  readonly targetSecurityContext?: JsonObject
}

/** The pod-level part of a PodContext, from object's spec (undefined for the legacy object). */
export function podContextOf(spec: JsonObject | undefined, target: JsonValue | undefined): PodContext {
  const sc = spec?.['securityContext']
  const os = spec?.['os']
  const hostUsers = spec?.['hostUsers']
  let targetSecurityContext: JsonObject | undefined
  if (typeof target === 'string') {
    for (const list of [spec?.['containers'], spec?.['initContainers']]) {
      for (const c of Array.isArray(list) ? list : []) {
        if (isJsonObject(c) && c['name'] === target && isJsonObject(c['securityContext'])) targetSecurityContext = c['securityContext']
      }
    }
  }
  return {
    securityContext: isJsonObject(sc) ? sc : {},
    ...(typeof hostUsers === 'boolean' ? { hostUsers } : {}),
    windows: isJsonObject(os) && os['name'] === 'windows',
    ...(targetSecurityContext ? { targetSecurityContext } : {}),
  }
}

// capabilities_baseline: the container runtime's default set.
const BASELINE_CAPABILITIES: ReadonlySet<string> = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
])
const SELINUX_TYPES_1_0 = ['', 'container_t', 'container_init_t', 'container_kvm_t']
const SELINUX_TYPES_1_31 = [...SELINUX_TYPES_1_0, 'container_engine_t']
const VALID_SECCOMP = ['RuntimeDefault', 'Localhost']
/** uid of `nobody`: used for runAsUser when neither the target container nor the pod names one. */
const NOBODY_UID = 65534

const member = (o: JsonValue | undefined, key: string): JsonValue | undefined => (isJsonObject(o) ? o[key] : undefined)
const strings = (v: JsonValue | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])
const isUnset = (v: JsonValue | undefined): boolean => v === undefined || v === null

/** PSA's forbidden reasons for what the container (or the pod, for what it inherits) sets itself. */
function forbiddenReasons(sc: JsonObject, pod: PodContext, p: EnforcePolicy): string[] {
  if (p.level === 'privileged') return []
  const since = (minor: number): boolean => p.minor === 'latest' || p.minor >= minor
  const restricted = p.level === 'restricted'
  const userNamespace = pod.hostUsers === false && since(35)
  const linux = !(pod.windows && since(25))
  const reasons: string[] = []
  const add = strings(member(sc['capabilities'], 'add'))
  if (sc['privileged'] === true) reasons.push('privileged')
  if (restricted && since(22)) {
    if (linux && add.some((c) => c !== 'NET_BIND_SERVICE')) reasons.push('unrestricted capabilities')
  } else if (add.some((c) => !BASELINE_CAPABILITIES.has(c))) reasons.push('non-default capabilities')
  if (member(sc['windowsOptions'], 'hostProcess') === true) reasons.push('hostProcess')
  const selinux = sc['seLinuxOptions']
  const seType = member(selinux, 'type')
  if ((typeof seType === 'string' && !(since(31) ? SELINUX_TYPES_1_31 : SELINUX_TYPES_1_0).includes(seType)) ||
    !['', undefined, null].includes(member(selinux, 'user') as string) || !['', undefined, null].includes(member(selinux, 'role') as string)) reasons.push('seLinuxOptions')
  const procMount = sc['procMount']
  if (!isUnset(procMount) && procMount !== 'Default' && (restricted || !userNamespace)) reasons.push('procMount')
  const seccomp = member(sc['seccompProfile'], 'type')
  const podSeccomp = member(pod.securityContext['seccompProfile'], 'type')
  // A bad pod-level value is refused whatever the container sets (PSA names the pod as a bad setter).
  if (since(19) && (seccomp === 'Unconfined' || podSeccomp === 'Unconfined' || (restricted && linux && !isUnset(seccomp) && !VALID_SECCOMP.includes(seccomp as string)))) {
    reasons.push('seccompProfile')
  }
  if (member(sc['appArmorProfile'], 'type') === 'Unconfined') reasons.push('appArmorProfile')
  if (!restricted) return reasons
  if (since(8) && linux && sc['allowPrivilegeEscalation'] === true) reasons.push('allowPrivilegeEscalation != false')
  if (!userNamespace && (sc['runAsNonRoot'] === false || pod.securityContext['runAsNonRoot'] === false)) reasons.push('runAsNonRoot != true')
  if (since(23) && !userNamespace && (sc['runAsUser'] === 0 || pod.securityContext['runAsUser'] === 0)) reasons.push('runAsUser=0')
  return reasons
}

/** The smallest additions to `sc` that pass restricted; `sc` must have no forbidden reason. */
function restrictedSecurityContext(sc: JsonObject, pod: PodContext, p: EnforcePolicy): JsonObject {
  const since = (minor: number): boolean => p.minor === 'latest' || p.minor >= minor
  const linux = !pod.windows
  const next: JsonObject = { ...sc }
  if (linux && since(8) && isUnset(next['allowPrivilegeEscalation'])) next['allowPrivilegeEscalation'] = false
  if (linux && since(22) && !strings(member(next['capabilities'], 'drop')).includes('ALL')) {
    const caps = isJsonObject(next['capabilities']) ? next['capabilities'] : {}
    next['capabilities'] = { ...caps, drop: withStrings(caps['drop'], ['ALL']) }
  }
  const podNonRoot = pod.securityContext['runAsNonRoot'] === true
  if (!(pod.hostUsers === false && since(35)) && isUnset(next['runAsNonRoot']) && !podNonRoot) next['runAsNonRoot'] = true
  const podSeccomp = member(pod.securityContext['seccompProfile'], 'type')
  if (linux && since(19) && isUnset(next['seccompProfile']) && !VALID_SECCOMP.includes(podSeccomp as string)) next['seccompProfile'] = { type: 'RuntimeDefault' }
  // runAsNonRoot with an image whose USER is root (busybox) makes the kubelet refuse to start the
  // container, so give it a uid: the target container's (same files, and ptrace within one uid),
  // else the pod's (inherited: nothing to add), else nobody.
  const nonRoot = next['runAsNonRoot'] === true || (isUnset(next['runAsNonRoot']) && podNonRoot)
  if (linux && nonRoot && isUnset(next['runAsUser'])) {
    const uid = (v: JsonValue | undefined): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined)
    const podUid = uid(pod.securityContext['runAsUser'])
    const want = uid(pod.targetSecurityContext?.['runAsUser']) ?? podUid ?? NOBODY_UID
    if (want !== podUid) next['runAsUser'] = want
  }
  return next
}

export interface Fit {
  readonly container: JsonObject
  readonly warnings: readonly string[]
}

/** Fits `container` (at `field`, e.g. spec.ephemeralContainers[0]) to `p`; see the head of this file. */
export function fitPodSecurity(container: JsonObject, field: string, pod: PodContext, p: EnforcePolicy, namespace: string): Fit {
  const sc = securityContextOf(container)
  if (p.level === 'privileged' || sc === undefined) return { container, warnings: [] }
  const where = `Pod Security ${JSON.stringify(describePolicy(p))} of namespace ${JSON.stringify(namespace)}`
  const warnings: string[] = []
  let candidate = sc
  const caps = sc['capabilities']
  if (isJsonObject(caps) && isDeepStrictEqual(caps['add'], ['SYS_PTRACE'])) {
    const { add: _removed, ...rest } = caps
    candidate = { ...sc, capabilities: rest }
    warnings.push(`${field}.securityContext.capabilities.add: removed "SYS_PTRACE" (kubectl debug's default profile): ${where} forbids it`)
  }
  const reasons = forbiddenReasons(candidate, pod, p)
  if (reasons.length > 0) {
    return { container, warnings: [`${field}: ${where} will refuse this container (${reasons.join(', ')}); its securityContext is left as sent`] }
  }
  const next = p.level === 'restricted' ? restrictedSecurityContext(candidate, pod, p) : candidate
  if (isDeepStrictEqual(next, sc)) return { container, warnings }
  const isEmpty = Object.keys(next).length === 0 || (Object.keys(next).length === 1 && isDeepStrictEqual(next['capabilities'], {}))
  if (isEmpty && isUnset(container['securityContext'])) return { container, warnings }
  const { securityContext: _old, ...rest } = container
  return { container: isEmpty ? rest : { ...container, securityContext: next }, warnings }
}
