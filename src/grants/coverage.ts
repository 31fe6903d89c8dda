// Whether an Active grant covers one new debug container: this requester (by username or one of the
// groups), this pod (by name or labels, in the grant's namespace), the container it targets, and the
// container itself within the grant's profile. Every refusal says which part did not match, for the
// denial message.
import { parseImagePattern, imageMatches } from '../image/pattern.js'
import { parseImageReference } from '../image/reference.js'
import type { GrantState } from './state.js'
import { selectorMatches, type DebugGrant } from './types.js'

export interface DebugRequest {
  readonly user: { readonly username: string; readonly groups: readonly string[] }
  readonly pod: { readonly namespace: string; readonly name: string; readonly labels: Readonly<Record<string, string>> }
  readonly container: {
    readonly name: string
    readonly image: string
    /** targetContainerName, when set. */
    readonly target?: string
    /** securityContext.capabilities.add. */
    readonly capabilities: readonly string[]
    /** securityContext.privileged === true. */
    readonly privileged: boolean
  }
}

export type Coverage = { readonly covered: true } | { readonly covered: false; readonly reason: string }

const COVERED: Coverage = { covered: true }
const not = (grant: DebugGrant, why: string): Coverage => ({ covered: false, reason: `grant ${grant.metadata.name} ${why}` })
const list = (items: readonly string[]): string => items.map((s) => JSON.stringify(s)).join(', ')

/** Whether `grant`, in `state`, covers `request`; the first part that does not match otherwise. */
export function coverage(grant: DebugGrant, state: GrantState, request: DebugRequest): Coverage {
  if (state.state !== 'Active') return { covered: false, reason: state.why! }
  const { spec } = grant
  const { user, pod, container } = request
  if (grant.metadata.namespace !== pod.namespace) return not(grant, `is in namespace ${JSON.stringify(grant.metadata.namespace)}, not ${JSON.stringify(pod.namespace)}`)
  const byUser = spec.subjects.users?.includes(user.username) === true
  const byGroup = user.groups.some((g) => spec.subjects.groups?.includes(g) === true)
  if (!byUser && !byGroup) return not(grant, `does not name user ${JSON.stringify(user.username)} or any of their groups`)
  if (spec.pods.names !== undefined ? !spec.pods.names.includes(pod.name) : !selectorMatches(spec.pods.selector!, pod.labels)) {
    return not(grant, `does not cover pod ${JSON.stringify(pod.name)}`)
  }
  const targets = spec.pods.containers
  if (targets !== undefined && (container.target === undefined || !targets.includes(container.target))) {
    return not(grant, container.target === undefined
      ? `requires a target container (one of ${list(targets)}); container ${JSON.stringify(container.name)} names none`
      : `does not cover target container ${JSON.stringify(container.target)} (only ${list(targets)})`)
  }
  const profile = spec.profile ?? {}
  if (profile.images !== undefined && !imageAllowed(container.image, profile.images)) {
    return not(grant, `does not allow image ${JSON.stringify(container.image)} (only ${list(profile.images)})`)
  }
  if (profile.capabilities !== undefined) {
    const extra = container.capabilities.filter((c) => !profile.capabilities!.includes(c))
    if (extra.length > 0) return not(grant, `does not allow adding ${list([...new Set(extra)].sort())}`)
  }
  if (profile.privileged === false && container.privileged) return not(grant, 'does not allow a privileged container')
  return COVERED
}

/** The image matches one of the patterns; an image or pattern that does not parse matches nothing. */
function imageAllowed(image: string, patterns: readonly string[]): boolean {
  const ref = parseImageReference(image)
  if (!ref.ok) return false
  return patterns.some((p) => {
    const pattern = parseImagePattern(p)
    return pattern.ok && imageMatches(ref.value, pattern.value)
  })
}
