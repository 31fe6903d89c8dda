// Bounds on the work and the answer of one review (issue 12, finding 2). A review may be 7 MiB and
// list thousands of containers, each with thousands of violations; without bounds four such reviews
// took 1.8–9.5 s, more than the 256 Mi the Deployment grants, and answered 13–54 MiB. With them, the
// work is linear in the body and capped in the containers judged, and the answer stays small.

/**
 * New ephemeral containers judged per request by default (policy `spec.limits.maxNewContainers`).
 * `kubectl debug` adds one; no tool adds a hundred. Beyond it the request is denied under the policy
 * rule below without judging any container: Kubernetes itself admits such requests, so this is a
 * 403 policy denial, not a 422.
 */
export const DEFAULT_MAX_NEW_CONTAINERS = 100
export const MAX_NEW_CONTAINERS_RULE = 'max-new-containers'

/**
 * JSON values (objects, arrays and scalars, counted recursively) in all new containers of a request.
 * A debug container has a few dozen; a hundred large ones (long env lists) stay well under it. Each
 * value can yield a violation per rule, so without it one 6 MiB container listing 600,000
 * capabilities kept a core busy for 12 s and took hundreds of MiB. Beyond it the request is denied
 * like one adding too many containers, under its own rule, with no container judged.
 */
export const MAX_NEW_CONTAINER_VALUES = 20_000
export const MAX_NEW_CONTAINER_VALUES_RULE = 'max-new-container-values'

/** Counts the JSON values in `roots`, stopping as soon as the count passes `max`. */
export function countValues(roots: Iterable<unknown>, max: number): number {
  let n = 0
  const stack: unknown[] = [...roots]
  while (stack.length > 0 && n <= max) {
    const v = stack.pop()
    n++
    if (Array.isArray(v)) { for (const x of v) stack.push(x) }
    else if (typeof v === 'object' && v !== null) { for (const k in v) stack.push((v as Record<string, unknown>)[k]) }
  }
  return n
}

/** Violations listed in a denial's message and causes; the rest are counted ("and N more"). */
export const MAX_LISTED_VIOLATIONS = 50

/**
 * Bytes (JSON-encoded, UTF-8) of message, causes, warnings and auditAnnotations together. Each has its
 * share below, so the sum stays under this by construction (test/decision/limits.test.ts):
 * 48 KiB listed violations + 4 KiB warnings (respond.ts) + 8 KiB audit annotations.
 */
export const REPLY_TEXT_MAX_BYTES = 64 * 1024
/** A denial's message and causes together: violations are listed while they fit, the rest counted. */
export const LISTED_TEXT_MAX_BYTES = 48 * 1024
/** One violation's text, in the message and in its cause; Kubernetes' longest words are under 300. */
export const VIOLATION_TEXT_MAX_BYTES = 1024
/** All audit annotations together (values of 1 KiB each at most, see decide.ts). */
export const AUDIT_TEXT_MAX_BYTES = 8 * 1024

/** Length of `s` once written into JSON: UTF-8 bytes, with JSON's escapes. */
function jsonCharBytes(s: string, i: number): { bytes: number; width: number } {
  const c = s.charCodeAt(i)
  if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x0c || c === 0x0a || c === 0x0d || c === 0x09) return { bytes: 2, width: 1 }
  if (c < 0x20) return { bytes: 6, width: 1 }
  if (c < 0x80) return { bytes: 1, width: 1 }
  if (c < 0x800) return { bytes: 2, width: 1 }
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = s.charCodeAt(i + 1)
    if (next >= 0xdc00 && next <= 0xdfff) return { bytes: 4, width: 2 }
    return { bytes: 6, width: 1 } // a lone surrogate: JSON.stringify writes \udXXX
  }
  if (c >= 0xdc00 && c <= 0xdfff) return { bytes: 6, width: 1 }
  return { bytes: 3, width: 1 }
}

/** JSON-encoded UTF-8 length of a string, quotes included. */
export function jsonBytes(s: string): number {
  let n = 2
  for (let i = 0; i < s.length;) {
    const { bytes, width } = jsonCharBytes(s, i)
    n += bytes
    i += width
  }
  return n
}

/** `s`, or its longest prefix plus `…` whose JSON encoding (quotes included) fits in `max` bytes. */
export function clip(s: string, max: number): string {
  if (s.length * 6 + 2 <= max || jsonBytes(s) <= max) return s
  let n = 2 + 3 // quotes and the ellipsis
  let i = 0
  while (i < s.length) {
    const { bytes, width } = jsonCharBytes(s, i)
    if (n + bytes > max) break
    n += bytes
    i += width
  }
  return `${s.slice(0, i)}…`
}
