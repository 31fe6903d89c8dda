// images: the image of a new container is a valid reference and meets the rule's image patterns.
//
//   images: {allow: [PATTERN...], deny: [PATTERN...], requireDigest: BOOL, forbidTags: [TAG...]}
//
// Present (even `{}`), it requires `image` to parse under the distribution/reference grammar (by a
// linear scanner, src/image/reference.ts), and then, each a violation of its own:
//   deny:          `matches denied image pattern "<pattern>"` (the first that matches)
//   allow:         `is not allowed; allowed images: <pattern>, ...` (none matches; [] allows nothing)
//   requireDigest: `must be pinned by digest (@sha256:...)`
//   forbidTags:    `tag "<tag>" is not allowed` (no tag and no digest counts as "latest"; an image
//                  pinned by digest is judged by it, whatever its tag)
// An image that does not parse gets the parser's reason instead. All are `Invalid value` at `.image`,
// showing the image. An image that is no string: `Invalid value: ...: must be string`. No image: no
// violation here (Kubernetes requires one).
import type { JsonValue } from '../../kube/types.js'
import type { Violation } from '../../decision/types.js'
import { parseImageReference } from '../../image/reference.js'
import { imageMatches, parseImagePattern, type ImagePattern } from '../../image/pattern.js'
import { containerViolation, own, type ContainerCheck } from './types.js'

export interface ImagesSpec {
  readonly allow?: readonly string[]
  readonly deny?: readonly string[]
  readonly requireDigest?: boolean
  readonly forbidTags?: readonly string[]
}

/** Why an image fails the spec, in the order above; [] when it passes. */
function imageProblems(image: string, allow: readonly ImagePattern[] | undefined, deny: readonly ImagePattern[], spec: ImagesSpec): string[] {
  const parsed = parseImageReference(image)
  if (!parsed.ok) return [parsed.error]
  const ref = parsed.value
  const problems: string[] = []
  const denied = deny.find((p) => imageMatches(ref, p))
  if (denied) problems.push(`matches denied image pattern ${JSON.stringify(denied.source)}`)
  if (allow && !allow.some((p) => imageMatches(ref, p))) problems.push(`is not allowed; allowed images: ${allow.map((p) => p.source).join(', ')}`)
  if (spec.requireDigest && ref.digest === undefined) problems.push('must be pinned by digest (@sha256:...)')
  if (ref.digest === undefined && (spec.forbidTags ?? []).includes(ref.tag ?? 'latest')) problems.push(`tag ${JSON.stringify(ref.tag ?? 'latest')} is not allowed`)
  return problems
}

/** Throws on a pattern that does not parse (the policy format has refused it before). */
function patterns(list: readonly string[] | undefined): ImagePattern[] | undefined {
  return list?.map((p) => {
    const parsed = parseImagePattern(p)
    if (!parsed.ok) throw new Error(`image pattern ${JSON.stringify(p)} ${parsed.error}`)
    return parsed.value
  })
}

export function imagesCheck(spec: ImagesSpec, rule: string): ContainerCheck {
  const allow = patterns(spec.allow)
  const deny = patterns(spec.deny) ?? []
  const parts = [
    allow === undefined ? '' : `allowed: ${allow.length === 0 ? 'none' : allow.map((p) => p.source).join(', ')}`,
    deny.length === 0 ? '' : `denied: ${deny.map((p) => p.source).join(', ')}`,
    spec.requireDigest ? 'pinned by digest' : '',
    (spec.forbidTags?.length ?? 0) > 0 ? `tags not allowed: ${spec.forbidTags!.join(', ')}` : '',
  ].filter(Boolean)
  return {
    name: 'images',
    description: `image is a valid reference${parts.length === 0 ? '' : `; ${parts.join('; ')}`}`,
    run: (container, at) => {
      const image: JsonValue | undefined = own(container, 'image')
      if (image === undefined) return []
      if (typeof image !== 'string') return [containerViolation(rule, at, ['image'], 'Invalid', 'must be string', image)]
      return imageProblems(image, allow, deny, spec).map((p): Violation => containerViolation(rule, at, ['image'], 'Invalid', p, image))
    },
  }
}
