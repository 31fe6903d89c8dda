// Regular expressions from a policy file (env.require[].pattern, `pattern` in custom schemas) run on
// request data, so a pattern that can backtrack catastrophically is refused when the policy loads.
// Conservative rules on ret's parse tree: no unbounded repetition inside another (star height 1; a
// `?` or `{0,1}` does not count), no alternation inside an unbounded repetition (`(a|a)*`), no
// backreferences, at most 25 repetitions.
import ret, { type Token, type Tokens } from 'ret'

// ret is CommonJS whose module.exports is the tokenizer function, with `types` hung on it.
const tokenizer = ret as unknown as (pattern: string) => Tokens
const { types } = ret as unknown as { types: typeof import('ret').types }

const MAX_REPETITIONS = 25

const childrenOf = (node: Tokens): Token[] =>
  node.type === types.REPETITION ? [node.value]
    : 'stack' in node && node.stack ? node.stack
      : 'options' in node && node.options ? node.options.flat()
        : []

const hasAlternation = (node: Tokens): boolean =>
  ('options' in node && node.options !== undefined && node.options.length > 1) || childrenOf(node).some(hasAlternation)

function check(node: Tokens, unboundedAbove: boolean, count: { reps: number }): string | undefined {
  if (node.type === types.REFERENCE) return 'backreferences are not allowed'
  let unbounded = unboundedAbove
  if (node.type === types.REPETITION) {
    if (++count.reps > MAX_REPETITIONS) return `more than ${MAX_REPETITIONS} repetitions`
    if (node.max > 1) {
      if (unboundedAbove) return 'a repetition inside a repetition'
      if (hasAlternation(node.value)) return 'alternation inside a repetition'
      unbounded = true
    }
  }
  for (const child of childrenOf(node)) {
    const why = check(child, unbounded, count)
    if (why) return why
  }
  return undefined
}

/** Why a pattern is refused, or undefined when it is safe to run on request data. */
export function unsafePatternReason(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'u')
  } catch (e) {
    return `is not a valid regular expression: ${(e as Error).message}`
  }
  const why = check(tokenizer(pattern), false, { reps: 0 })
  return why ? `could backtrack catastrophically: ${why}` : undefined
}

/**
 * Longest string a policy pattern is run on. The rules above exclude exponential backtracking, not
 * polynomial (`a*a*b`), so longer input simply fails the pattern: a ticket id or label is short.
 */
export const MAX_PATTERN_SUBJECT = 4096

/**
 * A RegExp factory for Ajv's `code.regExp` option: refuses unsafe patterns when the policy is
 * compiled, and fails strings longer than MAX_PATTERN_SUBJECT instead of running the pattern on them.
 */
export function safeRegExp(pattern: string, flags: string): { test: (s: string) => boolean; toString: () => string } {
  const why = unsafePatternReason(pattern)
  if (why) throw new Error(`pattern ${JSON.stringify(pattern)} ${why}`)
  const re = new RegExp(pattern, flags)
  // Ajv caches compiled patterns by toString(): keep it the pattern's own.
  return { test: (s) => s.length <= MAX_PATTERN_SUBJECT && re.test(s), toString: () => re.toString() }
}
safeRegExp.code = 'safeRegExp'
