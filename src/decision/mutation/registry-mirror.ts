// registry-mirror: an image from a mirrored registry is pulled through its mirror. The reference is
// normalized first (`busybox` is docker.io/library/busybox), the registry is replaced by the mirror's
// prefix, and the tag and digest are kept: `busybox:1.36` -> `mirror.example.com/dockerhub/library/busybox:1.36`.
import { looksLikeHost, parseImageReference } from '../../image/reference.js'
import type { JsonObject } from '../../kube/types.js'

/** A registry key as the normalized reference names it (lowercase, Docker Hub as docker.io), or undefined if it is no registry. */
export function normalizeRegistry(registry: string): string | undefined {
  // The parser takes the first segment as the registry only if it looks like a host.
  const parsed = parseImageReference(`${registry}/x/y`)
  return parsed.ok && parsed.value.path === 'x/y' && !registry.includes('/') ? parsed.value.domain : undefined
}

/** Why `prefix` cannot replace a registry, or undefined: it must name a registry host (image/reference.ts looksLikeHost), then optional path components. */
export function mirrorPrefixProblem(prefix: string): string | undefined {
  const parsed = parseImageReference(`${prefix}/x`)
  // The runtime reads the mirrored image's first segment by the reference rule, so the prefix's host
  // must pass the same rule (an uppercase letter included, as registry keys already may).
  if (!parsed.ok || !looksLikeHost(prefix.split('/')[0]!) || parsed.value.tag !== undefined || parsed.value.digest !== undefined) {
    return 'must be a registry host (with a dot, a port, an uppercase letter, or localhost) followed by optional lowercase path components'
  }
  return undefined
}

/** The image as pulled through its registry's mirror; unchanged when its registry has none or it does not parse. */
function mirroredImage(image: string, mirrors: ReadonlyMap<string, string>): string {
  if (mirrors.size === 0) return image
  const parsed = parseImageReference(image)
  if (!parsed.ok) return image
  const { domain, path, tag, digest } = parsed.value
  const prefix = mirrors.get(domain)
  if (prefix === undefined) return image
  return `${prefix}/${path}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`
}

export function withRegistryMirror(container: JsonObject, mirrors: ReadonlyMap<string, string>): JsonObject {
  const image = container['image']
  if (typeof image !== 'string') return container
  const mirrored = mirroredImage(image, mirrors)
  return mirrored === image ? container : { ...container, image: mirrored }
}
