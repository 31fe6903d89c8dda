import secureJson from 'secure-json-parse'
import { BadRequestError } from '../errors.js'

/**
 * Deepest nesting accepted. A Pod is about 10 levels deep; 100 leaves room for any real object while
 * keeping recursive code (schema validation, deep equality, JSON.stringify) far from Node's stack limit,
 * which deep input reaches near 4,000 levels.
 */
export const MAX_JSON_DEPTH = 100

/**
 * True when a parsed value nests deeper than limit. Iterative, so hostile depth cannot overflow the
 * stack here; V8's JSON.parse and secure-json-parse's prototype scan are iterative too, which is why
 * the check can run after parsing and before any recursive code.
 */
export function nestsDeeperThan(root: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: unknown[] = [root]
  const depths: number[] = [1]
  while (stack.length > 0) {
    const value = stack.pop()
    const depth = depths.pop()!
    if (typeof value !== 'object' || value === null) continue
    if (depth > limit) return true
    const children: unknown[] = Array.isArray(value) ? value : Object.values(value)
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        stack.push(child)
        depths.push(depth + 1)
      }
    }
  }
  return false
}

/**
 * Parses a request body, refusing `__proto__` and `constructor.prototype` keys so nothing downstream
 * can be polluted (a plain `constructor` key, e.g. a label, is fine), and refusing excessive nesting.
 */
export function parseJson(text: string): unknown {
  if (text.trim() === '') throw new BadRequestError('body is empty; expected an AdmissionReview as JSON')
  let value: unknown
  try {
    value = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch (e) {
    // secure-json-parse reports poisoning as a SyntaxError too; name the keys so the cause is clear.
    const message = (e as Error).message
    throw new BadRequestError(/forbidden prototype/i.test(message)
      ? 'body contains a forbidden __proto__ or constructor.prototype key'
      : `body is not valid JSON: ${message}`)
  }
  if (nestsDeeperThan(value)) throw new BadRequestError(`JSON nesting deeper than ${MAX_JSON_DEPTH} levels`)
  return value
}
