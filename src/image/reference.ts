// Container image references, parsed as the kubelet and container runtimes do: the canonical grammar of
// github.com/distribution/reference (reference.go, normalize.go), normalized as ParseNormalizedNamed does.
//
// Written as a linear scanner, not with regular expressions: the grammar's path component
// `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*` is linear in Go's RE2 but backtracks exponentially in
// JavaScript (an npm port of these expressions took over four minutes on 21 characters).
//
//   reference := name [":" tag] ["@" digest]
//   name      := [domain "/"] path-component ["/" path-component]*
//   domain    := host [":" port]        host := domain-name | "[" IPv6 "]"
//   tag       := [\w][\w.-]{0,127}      digest := algorithm ":" hex

import type { ParseResult } from '../errors.js'

export interface ImageReference {
  /** Registry host (and port), lowercased; `docker.io` when the reference names none. */
  readonly domain: string
  /** Repository path within the registry; `library/NAME` for Docker Hub's official images. */
  readonly path: string
  readonly tag?: string
  readonly digest?: string
}


const DEFAULT_DOMAIN = 'docker.io'
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io'
const OFFICIAL_REPOSITORY_PREFIX = 'library/'
// distribution/reference NameTotalLengthMax.
const NAME_TOTAL_LENGTH_MAX = 255
// Tag grammar allows one word character then at most 127 more.
const TAG_LENGTH_MAX = 128
// Hex length per algorithm that opencontainers/go-digest can verify; any other algorithm is refused.
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 }

const INVALID = 'invalid reference format'

const isLowerAlnum = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
const isAlnum = (c: number): boolean => isLowerAlnum(c) || (c >= 0x41 && c <= 0x5a)
const isWord = (c: number): boolean => isAlnum(c) || c === 0x5f
const isLowerHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66)
const isHex = (c: number): boolean => isLowerHex(c) || (c >= 0x41 && c <= 0x46)

/** path-component: lower alphanumeric runs joined by ".", "_", "__" or any run of "-". */
function isPathComponent(s: string): boolean {
  let i = 0
  const n = s.length
  if (n === 0 || !isLowerAlnum(s.charCodeAt(0))) return false
  for (;;) {
    while (i < n && isLowerAlnum(s.charCodeAt(i))) i++
    if (i === n) return true
    const start = i
    while (i < n && !isLowerAlnum(s.charCodeAt(i))) i++
    if (i === n) return false
    const sep = s.slice(start, i)
    if (!(sep === '.' || sep === '_' || sep === '__' || /^-+$/.test(sep))) return false
  }
}

/** domain-component: alphanumeric at both ends, "-" allowed inside. */
function isDomainComponent(s: string): boolean {
  const n = s.length
  if (n === 0 || !isAlnum(s.charCodeAt(0)) || !isAlnum(s.charCodeAt(n - 1))) return false
  for (let i = 1; i < n - 1; i++) {
    const c = s.charCodeAt(i)
    if (!isAlnum(c) && c !== 0x2d) return false
  }
  return true
}

function isDomain(s: string): boolean {
  let host = s
  let port: string | undefined
  if (s.startsWith('[')) {
    const close = s.indexOf(']')
    if (close < 0) return false
    const inner = s.slice(1, close)
    if (inner.length === 0) return false
    for (let i = 0; i < inner.length; i++) {
      const c = inner.charCodeAt(i)
      if (!isHex(c) && c !== 0x3a) return false
    }
    const rest = s.slice(close + 1)
    if (rest.length > 0) {
      if (!rest.startsWith(':')) return false
      port = rest.slice(1)
    }
    host = ''
  } else {
    const colon = s.indexOf(':')
    if (colon >= 0) {
      host = s.slice(0, colon)
      port = s.slice(colon + 1)
    }
    if (!host.split('.').every(isDomainComponent)) return false
  }
  if (port !== undefined) {
    if (port.length === 0) return false
    for (let i = 0; i < port.length; i++) if (!isDigit(port.charCodeAt(i))) return false
  }
  return true
}

function isTag(s: string): boolean {
  if (s.length === 0 || s.length > TAG_LENGTH_MAX || !isWord(s.charCodeAt(0))) return false
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (!isWord(c) && c !== 0x2e && c !== 0x2d) return false
  }
  return true
}

function checkDigest(s: string): string | undefined {
  const colon = s.indexOf(':')
  if (colon <= 0) return 'invalid digest format'
  const algorithm = s.slice(0, colon)
  const hex = s.slice(colon + 1)
  const want = DIGEST_HEX_LENGTH[algorithm]
  if (want === undefined) return 'unsupported digest algorithm'
  for (let i = 0; i < hex.length; i++) if (!isLowerHex(hex.charCodeAt(i))) return 'invalid digest format'
  if (hex.length !== want) return 'invalid checksum digest length'
  return undefined
}

/**
 * splitDockerDomain's rule: the first segment of a name is a registry host when it has a dot, a port
 * or an uppercase letter (repository paths are lowercase), or is `localhost`. Image patterns and
 * registry mirror prefixes read their first segment by the same rule.
 */
export const looksLikeHost = (segment: string): boolean =>
  segment.includes('.') || segment.includes(':') || segment === 'localhost' || segment.toLowerCase() !== segment

/**
 * Parses and normalizes a reference as the kubelet would pull it: `busybox` is
 * `docker.io/library/busybox`, `index.docker.io` is `docker.io`, the domain is lowercased.
 */
export function parseImageReference(image: string): ParseResult<ImageReference> {
  if (image.length === 0) return { ok: false, error: 'repository name must have at least one component' }
  // ParseNormalizedNamed refuses a bare 64-hex identifier: it would be ambiguous with an image ID.
  if (image.length === 64 && [...image].every((ch) => isLowerHex(ch.charCodeAt(0)))) {
    return { ok: false, error: 'cannot specify 64-byte hexadecimal strings' }
  }

  let rest = image
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    const bad = checkDigest(digest)
    if (bad) return { ok: false, error: bad }
  }

  let tag: string | undefined
  const lastColon = rest.lastIndexOf(':')
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1)
    rest = rest.slice(0, lastColon)
    if (!isTag(tag)) return { ok: false, error: INVALID }
  }

  // splitDockerDomain: the first segment is a registry only if it looks like a host.
  let domain = DEFAULT_DOMAIN
  let path = rest
  const slash = rest.indexOf('/')
  if (slash >= 0) {
    const first = rest.slice(0, slash)
    if (looksLikeHost(first)) {
      if (!isDomain(first)) return { ok: false, error: INVALID }
      domain = first.toLowerCase()
      path = rest.slice(slash + 1)
    }
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPOSITORY_PREFIX + path

  const components = path.split('/')
  if (!components.every(isPathComponent)) {
    const upper = components.every((c) => isPathComponent(c.toLowerCase()))
    return { ok: false, error: upper ? 'repository name must be lowercase' : INVALID }
  }
  if (domain.length + 1 + path.length > NAME_TOTAL_LENGTH_MAX) {
    return { ok: false, error: `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters` }
  }

  const reference: ImageReference = {
    domain,
    path,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  }
  return { ok: true, value: reference }
}
