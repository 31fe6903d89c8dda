// targets: which container of the pod a new container may target (kubectl debug --target), and what
// it reaches through the process namespace it joins.
//
//   targets: {requireTarget, denyContainers, denyWhenSharedProcessNamespace, denyPtraceOfPrivileged, denyPtraceWhenHostPID}
//
//   requireTarget: true   .targetContainerName unset or "": Required
//                         `must name the container to debug (kubectl debug --target)`
//   denyContainers        .targetContainerName listed: Forbidden `container "<name>" may not be targeted`
//   denyWhenSharedProcessNamespace: true
//                         a pod with spec.shareProcessNamespace: true, where a new container sees every
//                         container's processes whatever it targets (so denyContainers protects nothing):
//                         Forbidden at the ephemeral container list, once per request,
//                         `the pod's containers share one process namespace (spec.shareProcessNamespace: true),
//                         so a debug container reaches every container's processes, whatever it targets`
//                         (then `; "<denied>", "<denied>" included` for the denyContainers in the pod)
//   denyPtraceOfPrivileged: true
//                         a container that can ptrace (capabilities.add SYS_PTRACE or ALL, or privileged),
//                         whose process namespace holds a privileged or privileged-equivalent container
//                         (one Pod Security baseline:latest refuses): its target, or any other container
//                         when the pod shares its process namespace. ptrace hands that container's
//                         privileges over. Forbidden at capabilities.add[i] (or privileged):
//                         `"SYS_PTRACE" reaches container "<name>", which Pod Security baseline refuses (<check ids>)`
//   denyPtraceWhenHostPID: true
//                         the same container in a pod with spec.hostPID: true (the node's processes):
//                         `"SYS_PTRACE" reaches the node's processes (spec.hostPID: true)`
// The legacy EphemeralContainers object (Kubernetes 1.16–1.21, where ephemeral containers were alpha)
// carries no pod spec, and no lookup is made: there the three namespace settings find nothing. Failing
// closed would refuse kubectl debug's default profile on every such cluster under the default policy;
// as with match.podSelector, a container the rule would not refuse is not refused for what is unknown.
// A targetContainerName that is no string: Invalid `must be string`. A missing target is reported
// with the rule's other missing fields, first.
import { isJsonObject, type JsonValue } from '../../kube/types.js'
import type { CheckInput, Violation } from '../../decision/types.js'
import { checksAt } from './pod-security/registry.js'
import { psaSubject } from './pod-security.js'
import { containerViolation, own, podViolation, type ContainerAt, type ContainerCheck, type PodCheck } from './types.js'

export interface TargetsSpec {
  readonly requireTarget?: boolean
  readonly denyContainers?: readonly string[]
  readonly denyWhenSharedProcessNamespace?: boolean
  readonly denyPtraceOfPrivileged?: boolean
  readonly denyPtraceWhenHostPID?: boolean
}

const FIELD = 'targetContainerName'
const NAME_IT = 'must name the container to debug (kubectl debug --target)'
const BASELINE = checksAt('baseline', 'latest')

/** Where the container can ptrace: its added SYS_PTRACE or ALL, and privileged: true. */
function ptraceFields(container: JsonValue): Array<{ path: (string | number)[]; what: string }> {
  const sc = own(container, 'securityContext')
  const out: Array<{ path: (string | number)[]; what: string }> = []
  if (own(sc, 'privileged') === true) out.push({ path: ['securityContext', 'privileged'], what: 'privileged' })
  const add = own(own(sc, 'capabilities'), 'add')
  if (Array.isArray(add)) {
    add.forEach((cap, i) => {
      if (cap === 'SYS_PTRACE' || cap === 'ALL') out.push({ path: ['securityContext', 'capabilities', 'add', i], what: JSON.stringify(cap) })
    })
  }
  return out
}

/** The containers whose processes `container` sees besides its own: every other one in a shared namespace, else its target. */
function reachable(container: JsonValue, input: CheckInput): JsonValue[] {
  const spec = input.pod.spec!
  const list = (key: string): JsonValue[] => { const v = spec[key]; return Array.isArray(v) ? v : [] }
  const all = [...list('initContainers'), ...list('containers')]
  if (spec['shareProcessNamespace'] === true) return [...all, ...list('ephemeralContainers')].filter((c) => own(c, 'name') !== own(container, 'name'))
  const target = own(container, FIELD)
  return typeof target === 'string' ? all.filter((c) => own(c, 'name') === target) : []
}

/** The baseline checks a container fails, by id; none for one that passes. */
function privilegedBy(container: JsonValue, input: CheckInput): string[] {
  const subject = psaSubject(container, input)
  return BASELINE.filter((c) => c.run(subject).length > 0).map((c) => c.id)
}

export function targetsCheck(spec: TargetsSpec, rule: string): ContainerCheck | undefined {
  const deny = spec.denyContainers ?? []
  const requireTarget = spec.requireTarget === true
  const ofPrivileged = spec.denyPtraceOfPrivileged === true
  const hostPID = spec.denyPtraceWhenHostPID === true
  if (!requireTarget && deny.length === 0 && !ofPrivileged && !hostPID) return undefined

  const ptrace = (container: JsonValue, at: ContainerAt, input: CheckInput): Violation[] => {
    const fields = ptraceFields(container)
    if (fields.length === 0 || input.pod.spec === undefined) return []
    const out: Violation[] = []
    const say = (detail: (what: string) => string): void => { for (const f of fields) out.push(containerViolation(rule, at, f.path, 'Forbidden', detail(f.what))) }
    if (ofPrivileged) {
      for (const c of reachable(container, input)) {
        const failed = privilegedBy(c, input)
        if (failed.length > 0) say((what) => `${what} reaches container ${JSON.stringify(own(c, 'name') ?? '')}, which Pod Security baseline refuses (${failed.join(', ')})`)
      }
    }
    if (hostPID && input.pod.spec['hostPID'] === true) say((what) => `${what} reaches the node's processes (spec.hostPID: true)`)
    return out
  }

  return {
    name: 'targets',
    description: [
      requireTarget ? 'targetContainerName is set' : '',
      deny.length > 0 ? `targetContainerName is none of: ${deny.join(', ')}` : '',
      ofPrivileged ? 'no SYS_PTRACE next to a privileged container' : '',
      hostPID ? 'no SYS_PTRACE in a hostPID pod' : '',
    ].filter(Boolean).join('; '),
    missing: (container, at) => (requireTarget && isJsonObject(container) && own(container, FIELD) === undefined ? [containerViolation(rule, at, [FIELD], 'Required', NAME_IT)] : []),
    run: (container, at, input) => {
      const out: Violation[] = []
      const target = own(container, FIELD)
      if (target !== undefined) {
        if (typeof target !== 'string') out.push(containerViolation(rule, at, [FIELD], 'Invalid', 'must be string', target))
        else if (deny.includes(target)) out.push(containerViolation(rule, at, [FIELD], 'Forbidden', `container ${JSON.stringify(target)} may not be targeted`, target))
        else if (requireTarget && target === '') out.push(containerViolation(rule, at, [FIELD], 'Required', NAME_IT, target))
      }
      if (ofPrivileged || hostPID) out.push(...ptrace(container, at, input))
      return out
    },
  }
}

/** denyWhenSharedProcessNamespace, a pod check; undefined when not asked for. */
export function sharedProcessNamespaceCheck(spec: TargetsSpec, rule: string): PodCheck | undefined {
  if (spec.denyWhenSharedProcessNamespace !== true) return undefined
  const deny = spec.denyContainers ?? []
  return {
    name: 'targets.denyWhenSharedProcessNamespace',
    description: 'the pod does not share one process namespace among its containers',
    run: (input) => {
      const pod = input.pod
      if (pod.spec?.['shareProcessNamespace'] !== true) return []
      const present = deny.filter((n) => pod.containerNames?.has(n) === true || pod.initContainerNames?.has(n) === true)
      const included = present.length > 0 ? `; ${present.map((n) => JSON.stringify(n)).join(', ')} included` : ''
      return [podViolation(rule, input,
        `the pod's containers share one process namespace (spec.shareProcessNamespace: true), so a debug container reaches every container's processes, whatever it targets${included}`)]
    },
  }
}
