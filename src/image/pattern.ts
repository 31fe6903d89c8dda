// Image patterns match the normalized repository (src/image/reference.ts) segment by segment:
// `*` is exactly one path segment, `**` any number (zero included), anything else is literal. The
// registry host counts as the first segment. A pattern ending in `:TAG` or `@sha256:...` pins the tag
// or digest; otherwise both are ignored. An image with a digest is judged by its digest, so a tag pin
// never matches it. Never a string prefix: `registry.example.com/debug/*` does not match
// `registry.example.com.evil.io/debug/x` or `registry.example.com/debug-evil/x`.
import type { ParseResult } from '../errors.js'
import { looksLikeHost, parseImageReference, type ImageReference } from './reference.js'

export interface ImagePattern {
  readonly source: string
  readonly segments: readonly string[]
  readonly tag?: string
  readonly digest?: string
}

/** Parses a pattern, normalizing it as an image would be; never throws. */
export function parseImagePattern(source: string): ParseResult<ImagePattern> {
  let rest = source
  let digest: string | undefined
  let tag: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
  }
  const lastSlash = rest.lastIndexOf('/')
  const colon = rest.lastIndexOf(':')
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
  }
  const segments = rest.split('/')
  if (segments.some((s) => s === '')) return { ok: false, error: 'has an empty path segment' }
  if (segments.some((s) => s.includes('*') && s !== '*' && s !== '**')) return { ok: false, error: 'may use * and ** only as whole path segments' }
  // Normalize like ParseNormalizedNamed: no registry means Docker Hub, a bare name means library/.
  let domain = segments[0]!
  let path = segments.slice(1)
  // A leading * or ** always stands for the registry (so `**` alone matches every image).
  const wildcardHost = domain === '*' || domain === '**'
  if (!wildcardHost && (segments.length === 1 || !looksLikeHost(domain))) {
    domain = 'docker.io'
    path = segments
  }
  domain = domain.toLowerCase()
  if (domain === 'index.docker.io') domain = 'docker.io'
  if (domain === 'docker.io' && path.length === 1 && !path[0]!.includes('*')) path = ['library', path[0]!]
  // Check the literal parts against the reference grammar by substituting a valid name for wildcards.
  const probe = [wildcardHost ? 'example.com' : domain, ...(path.length > 0 ? path : ['x']).map((s) => (s.includes('*') ? 'x' : s))].join('/')
  const parsed = parseImageReference(`${probe}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`)
  if (!parsed.ok) return parsed
  return { ok: true, value: { source, segments: [domain, ...path], ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) } }
}

/** Segment glob: `*` one segment, `**` zero or more. Dynamic programming, O(segments²). */
function segmentsMatch(pattern: readonly string[], name: readonly string[]): boolean {
  // reachable[j]: the pattern prefix consumed so far can end just before name[j].
  let reachable = name.map((_, j) => j === 0).concat([name.length === 0])
  for (const p of pattern) {
    const next = new Array<boolean>(name.length + 1).fill(false)
    for (let j = 0; j <= name.length; j++) {
      if (!reachable[j]) continue
      if (p === '**') for (let k = j; k <= name.length; k++) next[k] = true
      else if (j < name.length && (p === '*' || p === name[j])) next[j + 1] = true
    }
    reachable = next
  }
  return reachable[name.length] === true
}

export function imageMatches(ref: ImageReference, pattern: ImagePattern): boolean {
  if (!segmentsMatch(pattern.segments, [ref.domain, ...ref.path.split('/')])) return false
  if (pattern.digest !== undefined) return ref.digest === pattern.digest
  if (pattern.tag !== undefined) return ref.digest === undefined && (ref.tag ?? 'latest') === pattern.tag
  return true
}
