import secureJson from 'secure-json-parse'
import { BadRequestError } from './errors.js'

/**
 * Deepest nesting accepted. A Pod is about 10 levels deep; 100 leaves room for any real object while
 * keeping recursive code (schema validation, deep equality, JSON.stringify) far from Node's stack limit,
 * which deep input reaches near 4,000 levels.
 */
export const MAX_JSON_DEPTH = 100

/** Linear scan, before any recursive code runs: the index where nesting passes the limit, or -1. */
export function excessiveNestingAt(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return i
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return -1
}

/**
 * Parses a request body: depth-capped, and refusing `__proto__` and `constructor.prototype` keys so
 * nothing downstream can be polluted (a plain `constructor` key, e.g. a label, is fine).
 */
export function parseJson(text: string): unknown {
  if (text.trim() === '') throw new BadRequestError('body is empty; expected an AdmissionReview as JSON')
  const at = excessiveNestingAt(text)
  if (at >= 0) throw new BadRequestError(`JSON nesting deeper than ${MAX_JSON_DEPTH} levels (at offset ${at})`)
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch (e) {
    // secure-json-parse reports poisoning as a SyntaxError too; name the keys so the cause is clear.
    const message = (e as Error).message
    throw new BadRequestError(/forbidden prototype/i.test(message)
      ? 'body contains a forbidden __proto__ or constructor.prototype key'
      : `body is not valid JSON: ${message}`)
  }
}
