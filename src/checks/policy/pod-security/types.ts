// The vocabulary of the Pod Security checks (k8s.io/pod-security-admission/policy, Kubernetes 1.37),
// as they apply to one new ephemeral container: one file per check, each headed by what it restricts,
// each a list of versions that take effect at a policy version, as PSA's check registry has them.
// A check here judges the container as it will run: its own securityContext, and for the fields a
// container inherits (seLinuxOptions, windowsOptions.hostProcess, seccompProfile, appArmorProfile,
// runAsNonRoot, runAsUser), the pod's securityContext when the container leaves the field unset.
// What only the pod sets (host namespaces, volumes, sysctls) and what an ephemeral container cannot
// set (ports, probes, lifecycle: Kubernetes refuses them) is not judged here.
import { isJsonObject, type JsonObject, type JsonValue } from '../../../kube/types.js'
import type { FieldErrorType } from '../../../decision/types.js'

export type PsaLevel = 'baseline' | 'restricted'

/** A policy version: the minor of v1.<minor>, or latest. */
export type PsaVersion = number | 'latest'

/** The new container and what it inherits, as a check reads them. */
export interface PsaSubject {
  /** The container's securityContext ({} when unset or no object: Kubernetes' own checks refuse the latter). */
  readonly sc: JsonObject
  /** spec.securityContext of the pod; undefined for the legacy EphemeralContainers object, which carries no spec. */
  readonly podSc: JsonObject | undefined
  /** spec.hostUsers is false: the pod runs in a user namespace (relaxes some checks from v1.35). */
  readonly userNamespace: boolean
  /** spec.os.name is windows (exempts some restricted checks from v1.25). */
  readonly windows: boolean
  /** Capabilities the rule's exceptions allow in capabilities.add beyond the level's own. */
  readonly extraCapabilities: ReadonlySet<string>
}

/** A finding, at a path below the container (e.g. [securityContext, privileged]). */
export interface PsaFinding {
  readonly path: readonly (string | number)[]
  readonly type: FieldErrorType
  readonly detail: string
  readonly value?: JsonValue
}

export interface PsaVersionedCheck {
  /** The first policy version (minor of v1.x) this version of the check applies to. */
  readonly since: number
  readonly run: (s: PsaSubject) => PsaFinding[]
  /** Baseline checks this restricted check replaces from this version on (OverrideCheckIDs). */
  readonly overrides?: readonly string[]
}

export interface PsaCheck {
  /** PSA's check id, named in messages and in a rule's exceptions.checks. */
  readonly id: string
  readonly level: PsaLevel
  /** Strictly increasing `since`. */
  readonly versions: readonly PsaVersionedCheck[]
}

export const SC = 'securityContext'

/** A member of a JSON object, unset (undefined) when the holder is no object or the value is null. */
export const field = (o: JsonValue | undefined, key: string): JsonValue | undefined => {
  const v = isJsonObject(o) && Object.hasOwn(o, key) ? o[key] : undefined
  return v === null ? undefined : v
}

/** The string members of a list; [] when it is no list. */
export const stringsOf = (v: JsonValue | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

/**
 * The value at `path` in the container's securityContext as the container runs with it: its own
 * when set, else the pod's (`fromPod`). The path is what is inherited as one piece:
 * [seLinuxOptions] (the container's options replace the pod's whole), [windowsOptions, hostProcess]
 * (merged field by field), [seccompProfile, type], [runAsUser].
 */
export function effective(s: PsaSubject, path: readonly string[]): { value: JsonValue | undefined; fromPod: boolean } {
  const read = (o: JsonValue | undefined): JsonValue | undefined => path.reduce<JsonValue | undefined>((v, k) => field(v, k), o)
  const own = read(s.sc)
  if (own !== undefined) return { value: own, fromPod: false }
  const pod = read(s.podSc)
  return { value: pod, fromPod: pod !== undefined }
}

/** `; inherited from spec.securityContext.<path>` when the value is the pod's. */
export const inherited = (fromPod: boolean, path: readonly string[]): string => (fromPod ? `; inherited from spec.securityContext.${path.join('.')}` : '')

