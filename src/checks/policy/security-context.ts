// securityContext: what a new container may ask for in its securityContext.
//
//   securityContext: {allowPrivileged, allowPrivilegeEscalation, requireNoPrivilegeEscalation,
//                     allowedCapabilities, requireRunAsNonRoot, requireDropAll}
//
// Each setting, its field and its words:
//   allowPrivileged: false           .securityContext.privileged: true is Forbidden:
//                                    `privileged debug containers are not allowed`
//   allowPrivilegeEscalation: false  .securityContext.allowPrivilegeEscalation: true is Forbidden:
//                                    `privilege escalation is not allowed in debug containers`
//   requireNoPrivilegeEscalation: true  .securityContext.allowPrivilegeEscalation unset: Required
//                                    `must be false`; set to anything but false: Invalid `must be false`
//                                    (Pod Security restricted's semantics: unset lets a setuid binary
//                                    escalate; with it, the Forbidden above is not repeated)
//   allowedCapabilities: [CAP...]    each .securityContext.capabilities.add[i] not listed is Forbidden:
//                                    `capability "<cap>" is not allowed; allowed: <caps>` ([]: `none`)
//   requireRunAsNonRoot: true        .securityContext.runAsNonRoot unset: Required `must be true`;
//                                    set to anything but true: Invalid `must be true`
//   requireDropAll: true             .securityContext.capabilities unset: Required `must drop "ALL"`;
//                                    .capabilities.drop unset: Required `must include "ALL"`; a drop
//                                    list without "ALL" (or no list): Invalid `must include "ALL"`
// With any requirement, a container without a securityContext gets one Required at .securityContext:
// `must set allowPrivilegeEscalation: false, runAsNonRoot: true and capabilities.drop: [ALL]` (the parts
// required).
// A securityContext or capabilities that is no object (null passes where nothing is required) is
// Required with the words of its requirement; an add list that is no list, `must be array,null`.
// Missing fields come first (allowPrivilegeEscalation, runAsNonRoot, capabilities), then: privileged,
// allowPrivilegeEscalation, runAsNonRoot, capabilities
// (add, then drop).
import type { JsonValue } from '../../kube/types.js'
import { isJsonObject } from '../../kube/types.js'
import type { Violation } from '../../decision/types.js'
import { containerViolation, isArrayOrNull, isObjectOrNull, listOrNone, own, type ContainerCheck } from './types.js'

export interface SecurityContextSpec {
  readonly allowPrivileged?: boolean
  readonly allowPrivilegeEscalation?: boolean
  readonly requireNoPrivilegeEscalation?: boolean
  readonly allowedCapabilities?: readonly string[]
  readonly requireRunAsNonRoot?: boolean
  readonly requireDropAll?: boolean
}

const SC = 'securityContext'
const CAPS = [SC, 'capabilities'] as const
const DROP_ALL = 'must include "ALL"'
const MUST_DROP = 'must drop "ALL"'

export function securityContextCheck(spec: SecurityContextSpec, rule: string): ContainerCheck {
  const requireNoEscalation = spec.requireNoPrivilegeEscalation === true
  const required = [
    requireNoEscalation ? 'allowPrivilegeEscalation: false' : '',
    spec.requireRunAsNonRoot ? 'runAsNonRoot: true' : '',
    spec.requireDropAll ? 'capabilities.drop: [ALL]' : '',
  ].filter(Boolean)
  const mustSet = `must set ${required.length > 1 ? `${required.slice(0, -1).join(', ')} and ${required[required.length - 1]!}` : required.join('')}`
  const allowed = spec.allowedCapabilities
  const judgesCapabilities = allowed !== undefined || spec.requireDropAll === true

  /** capabilities, an object: drop missing, then add, then drop. */
  const capabilities = (caps: { [key: string]: JsonValue }, at: Parameters<ContainerCheck['run']>[1]): Violation[] => {
    const out: Violation[] = []
    const add = own(caps, 'add')
    const drop = own(caps, 'drop')
    if (spec.requireDropAll && drop === undefined) out.push(containerViolation(rule, at, [...CAPS, 'drop'], 'Required', DROP_ALL))
    if (allowed !== undefined && add !== undefined) {
      if (!isArrayOrNull(add)) out.push(containerViolation(rule, at, [...CAPS, 'add'], 'Invalid', 'must be array,null', add))
      else if (Array.isArray(add)) {
        add.forEach((cap, i) => {
          if (typeof cap === 'string' && allowed.includes(cap)) return
          out.push(containerViolation(rule, at, [...CAPS, 'add', i], 'Forbidden', `capability ${JSON.stringify(cap)} is not allowed; allowed: ${listOrNone(allowed)}`, cap))
        })
      }
    }
    if (spec.requireDropAll && drop !== undefined && !(Array.isArray(drop) && drop.includes('ALL'))) out.push(containerViolation(rule, at, [...CAPS, 'drop'], 'Invalid', DROP_ALL, drop))
    return out
  }

  const settings = [
    spec.allowPrivileged === false ? 'not privileged' : '',
    spec.allowPrivilegeEscalation === false && !requireNoEscalation ? 'no privilege escalation' : '',
    requireNoEscalation ? 'allowPrivilegeEscalation: false, set explicitly' : '',
    allowed === undefined ? '' : `capabilities added only from: ${listOrNone(allowed)}`,
    spec.requireRunAsNonRoot ? 'runAsNonRoot: true' : '',
    spec.requireDropAll ? 'capabilities.drop includes ALL' : '',
  ].filter(Boolean)
  return {
    name: 'securityContext',
    description: settings.length === 0 ? 'securityContext, if set, is an object' : settings.join('; '),
    missing: (container, at) => (required.length > 0 && isJsonObject(container) && own(container, SC) === undefined
      ? [containerViolation(rule, at, [SC], 'Required', mustSet)] : []),
    run: (container, at) => {
      const sc = own(container, SC)
      if (sc === undefined) return []
      if (required.length > 0 ? !isJsonObject(sc) : !isObjectOrNull(sc)) return [containerViolation(rule, at, [SC], 'Required', mustSet, sc)]
      if (!isJsonObject(sc)) return []
      const out: Violation[] = []
      const escalation = own(sc, 'allowPrivilegeEscalation')
      // null is unset, as in Kubernetes' API.
      if (requireNoEscalation && (escalation === undefined || escalation === null)) out.push(containerViolation(rule, at, [SC, 'allowPrivilegeEscalation'], 'Required', 'must be false'))
      const runAsNonRoot = own(sc, 'runAsNonRoot')
      if (spec.requireRunAsNonRoot && runAsNonRoot === undefined) out.push(containerViolation(rule, at, [SC, 'runAsNonRoot'], 'Required', 'must be true'))
      const caps = own(sc, 'capabilities')
      if (spec.requireDropAll && caps === undefined) out.push(containerViolation(rule, at, [...CAPS], 'Required', MUST_DROP))
      if (spec.allowPrivileged === false && own(sc, 'privileged') === true) {
        out.push(containerViolation(rule, at, [SC, 'privileged'], 'Forbidden', 'privileged debug containers are not allowed', true))
      }
      if (requireNoEscalation && escalation !== undefined && escalation !== null && escalation !== false) {
        out.push(containerViolation(rule, at, [SC, 'allowPrivilegeEscalation'], 'Invalid', 'must be false', escalation))
      } else if (spec.allowPrivilegeEscalation === false && escalation === true) {
        out.push(containerViolation(rule, at, [SC, 'allowPrivilegeEscalation'], 'Forbidden', 'privilege escalation is not allowed in debug containers', true))
      }
      if (spec.requireRunAsNonRoot && runAsNonRoot !== undefined && runAsNonRoot !== true) out.push(containerViolation(rule, at, [SC, 'runAsNonRoot'], 'Invalid', 'must be true', runAsNonRoot))
      if (judgesCapabilities && caps !== undefined) {
        if (spec.requireDropAll ? !isJsonObject(caps) : !isObjectOrNull(caps)) out.push(containerViolation(rule, at, [...CAPS], 'Required', MUST_DROP, caps))
        else if (isJsonObject(caps)) out.push(...capabilities(caps, at))
      }
      return out
    },
  }
}
