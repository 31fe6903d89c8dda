// Regular expressions from a policy file (env.require[].pattern; `pattern` and `patternProperties` in
// custom schemas) run on request data, so they run on RE2 (re2js, pure JavaScript), whose matching
// time is linear in the subject for every pattern: there is no backtracking to make catastrophic.
// Kyverno, Gatekeeper and CEL use RE2 for the same reason. The syntax is RE2's
// (https://github.com/google/re2/wiki/Syntax): no backreferences, no lookahead or lookbehind; a pattern
// RE2 cannot compile is refused when the policy loads, never run by another engine.
import { RE2JS } from 're2js'
import type { ParseResult } from './errors.js'

/**
 * Longest string a policy pattern is run on: longer strings fail the pattern without running it.
 * RE2 is linear, but its cost is the subject's length times the pattern's size, and request strings
 * can be megabytes long; a ticket id, a label or a username is short.
 */
export const MAX_PATTERN_SUBJECT = 4096

/** The compiled pattern, or why it is refused (`is not a valid RE2 regular expression: ...`). */
function compile(pattern: string): ParseResult<RE2JS> {
  try {
    return { ok: true, value: RE2JS.compile(pattern) }
  } catch (e) {
    // re2js: "error parsing regexp: invalid escape sequence: `\1`"
    return { ok: false, error: `is not a valid RE2 regular expression (no backreferences or lookaround): ${(e as Error).message.replace(/^error parsing regexp: /, '')}` }
  }
}

/** Why a pattern is refused, or undefined when RE2 compiles it. */
export function unsafePatternReason(pattern: string): string | undefined {
  const compiled = compile(pattern)
  return compiled.ok ? undefined : compiled.error
}

/**
 * A RegExp factory for Ajv's `code.regExp` option, so every `pattern` and `patternProperties` a policy
 * Ajv compiles runs on RE2. Ajv passes the flag `u`; RE2 always matches by code point, which is what
 * it means. Throws (Ajv's compile then fails) for a pattern RE2 refuses.
 */
export function safeRegExp(pattern: string, _flags: string): { test: (s: string) => boolean; toString: () => string } {
  const compiled = compile(pattern)
  if (!compiled.ok) throw new Error(`pattern ${JSON.stringify(pattern)} ${compiled.error}`)
  const re = compiled.value
  // Ajv caches compiled patterns by toString(): keep it the pattern's own.
  return { test: (s) => s.length <= MAX_PATTERN_SUBJECT && re.test(s), toString: () => `/${pattern}/re2` }
}
safeRegExp.code = 'safeRegExp'
