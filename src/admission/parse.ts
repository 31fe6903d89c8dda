import { BadRequestError } from '../errors.js'

/**
 * Deepest nesting accepted. A Pod is about 10 levels deep; 100 leaves room for any real object while
 * keeping recursive code (schema validation, deep equality, JSON.stringify) far from Node's stack limit,
 * which deep input reaches near 4,000 levels.
 */
export const MAX_JSON_DEPTH = 100

const hasOwn = Object.prototype.hasOwnProperty

/**
 * The keys that could pollute a prototype once the value is merged or copied: an own `__proto__`
 * (JSON.parse makes it an ordinary own property), or a `constructor` object with an own `prototype`.
 * A plain `constructor` key (a label, say) is fine. The same test as secure-json-parse's.
 */
function poisoned(node: object): boolean {
  if (hasOwn.call(node, '__proto__')) return true
  if (!hasOwn.call(node, 'constructor')) return false
  const c = (node as { constructor: unknown }).constructor
  return c !== null && typeof c === 'object' && hasOwn.call(c, 'prototype')
}

/** Anywhere in the value, at any depth; iterative (the fallback for values too deep for scan()). */
function poisonedAnywhere(root: object): boolean {
  const stack: object[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()!
    if (poisoned(node)) return true
    for (const key in node) {
      const child = (node as Record<string, unknown>)[key]
      if (typeof child === 'object' && child !== null) stack.push(child)
    }
  }
  return false
}

const CLEAN = 0
const POISONED = 1
const TOO_DEEP = 2
type Scan = typeof CLEAN | typeof POISONED | typeof TOO_DEEP

/**
 * One walk over a parsed value for both of parseJson's refusals: poisoning keys and nesting beyond
 * MAX_JSON_DEPTH. Recursive, but it never goes deeper than MAX_JSON_DEPTH + 1 frames: it stops there.
 */
function scan(node: object, depth: number): Scan {
  if (depth > MAX_JSON_DEPTH) return TOO_DEEP
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const child: unknown = node[i]
      if (typeof child === 'object' && child !== null) {
        const found = scan(child, depth + 1)
        if (found !== CLEAN) return found
      }
    }
    return CLEAN
  }
  if (poisoned(node)) return POISONED
  for (const key in node) {
    const child = (node as Record<string, unknown>)[key]
    if (typeof child === 'object' && child !== null) {
      const found = scan(child, depth + 1)
      if (found !== CLEAN) return found
    }
  }
  return CLEAN
}

/** JSON.parse, with a syntax error's message and no stack trace (nobody reads it; it costs). */
function parseText(text: string): unknown {
  const { stackTraceLimit } = Error
  Error.stackTraceLimit = 0
  try {
    // A byte order mark is allowed before the JSON text, as secure-json-parse and Fastify allow it.
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  } catch (e) {
    throw new BadRequestError(`body is not valid JSON: ${(e as Error).message}`)
  } finally {
    Error.stackTraceLimit = stackTraceLimit
  }
}

/**
 * Parses a request body, refusing `__proto__` and `constructor.prototype` keys so nothing downstream
 * can be polluted (a plain `constructor` key, e.g. a label, is fine), and refusing excessive nesting.
 * V8's JSON.parse, then one walk for both refusals (no second pass, no scan of the text); a
 * poisoning key is reported first, wherever it is, as when the keys were checked while parsing.
 */
export function parseJson(text: string): unknown {
  if (text.trim() === '') throw new BadRequestError('body is empty; expected an AdmissionReview as JSON')
  return checkedValue(parseText(text))
}

/**
 * The value itself, once one walk finds no poisoning key and no nesting beyond MAX_JSON_DEPTH;
 * throws BadRequestError otherwise. For values parsed by other means too (review's YAML).
 */
export function checkedValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  const found = scan(value, 1)
  if (found === POISONED || (found === TOO_DEEP && poisonedAnywhere(value))) {
    throw new BadRequestError('body contains a forbidden __proto__ or constructor.prototype key')
  }
  if (found === TOO_DEEP) throw new BadRequestError(`JSON nesting deeper than ${MAX_JSON_DEPTH} levels`)
  return value
}
