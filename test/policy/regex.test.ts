// Patterns from a policy run on RE2 (linear time), through the policy loader: env.require patterns
// (which compile.ts turns into JSON Schema `pattern`) and `pattern`/`patternProperties` in custom schemas.
import t from 'tap'
import { admit } from '../../src/admission/admit.js'
import { decodeReview } from '../../src/admission/decode.js'
import type { JsonObject } from '../../src/kube/types.js'
import { parsePolicy } from '../../src/policy/load.js'
import { PolicyError } from '../../src/errors.js'
import { MAX_PATTERN_SUBJECT, safeRegExp, unsafePatternReason } from '../../src/re2.js'
import type { Policy } from '../../src/decision/types.js'
import { debugContainer, admissionReview, type ReviewOptions } from '../support/reviews.js'

const HEAD = 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: test}\n'
const policy = (spec: string): Policy => parsePolicy(`${HEAD}${spec}`, 'p.yaml').policy

function problems(spec: string): readonly string[] {
  try {
    parsePolicy(`${HEAD}${spec}`, 'p.yaml')
  } catch (e) {
    if (e instanceof PolicyError) return e.problems
    throw e
  }
  return []
}

function decide(p: Policy, o: ReviewOptions, labels?: Record<string, string>): boolean | undefined {
  const r = JSON.parse(JSON.stringify(admissionReview(o))) as ReturnType<typeof admissionReview>
  if (labels) ((r.request.object as JsonObject)['metadata'] as JsonObject)['labels'] = labels
  return admit(decodeReview(r), 'validate', p).review.response?.allowed
}

const withEnv = (value: string): ReviewOptions => ({ added: [debugContainer({ env: [{ name: 'TICKET', value }] })] })

t.test('issue 12 finding 3: the pattern that backtracked for hours decides a long value', async (t) => {
  // In a backtracking engine this pattern fails on "<digits>\n" only after trying every split of the
  // digits: 200 characters took seconds, 4 KB hours. RE2 decides both in one pass.
  const p = policy('spec: {rules: [{name: r, env: {require: [{name: TICKET, pattern: "^.*[0-9]+.*[0-9]+.*$"}]}}]}')
  t.equal(decide(p, withEnv(`${'1'.repeat(MAX_PATTERN_SUBJECT - 1)}\n`)), false, '4 KB of digits and a newline: the pattern fails, denied')
  t.equal(decide(p, withEnv(`${'1'.repeat(199)}\n`)), false, '200 characters: denied')
  t.equal(decide(p, withEnv('1'.repeat(MAX_PATTERN_SUBJECT))), true, '4 KB of digits: allowed')
  t.equal(decide(p, withEnv('1'.repeat(MAX_PATTERN_SUBJECT + 1))), false, 'longer than the subject cap: fails the pattern without running it')
})

t.test('nested repetitions that a backtracking engine refused are accepted and decided', async (t) => {
  const p = policy('spec: {rules: [{name: r, env: {require: [{name: TICKET, pattern: "^(a+)+$"}]}}]}')
  t.equal(decide(p, withEnv('a'.repeat(4000))), true)
  t.equal(decide(p, withEnv(`${'a'.repeat(4000)}b`)), false)
})

t.test('patterns in custom schemas run on RE2: pattern and patternProperties', async (t) => {
  const p = policy([
    'spec:',
    '  rules:',
    '  - name: r',
    '    schema:',
    '      properties:',
    '        namespace: {pattern: "^(s|sh|h)*(o|op|p)*$"}',
    '        pod: {properties: {metadata: {properties: {labels: {patternProperties: {"^(x+)+$": {const: "ok"}}}}}}}',
    '',
  ].join('\n'))
  const added = { added: [debugContainer()] }
  t.equal(decide(p, added, { app: 'cart' }), true, 'namespace "shop" matches the alternation')
  t.equal(decide(p, added, { [`${'x'.repeat(4000)}y`]: 'anything' }), true, 'a hostile label key does not match the pattern property')
  t.equal(decide(p, added, { [`${'x'.repeat(4000)}`]: 'anything' }), false, 'a matching key must have the value "ok"')
  t.equal(decide(p, added, { xx: 'ok' }), true)
  // RE2-only syntax proves which engine compiled it: JavaScript has no inline (?i).
  const ci = policy('spec: {rules: [{name: r, schema: {properties: {namespace: {pattern: "(?i)^SHOP$"}}}}]}')
  t.equal(decide(ci, added), true, '(?i) is RE2 syntax, and matches "shop"')
})

t.test('patterns RE2 cannot compile are refused at load, with the path and the reason', async (t) => {
  const reason = 'is not a valid RE2 regular expression (no backreferences or lookaround)'
  t.same(problems('spec: {rules: [{name: r, env: {require: [{name: T, pattern: "^(a)\\\\1$"}]}}]}'),
    [`spec.rules[0].env.require[0].pattern: ${reason}: invalid escape sequence: \`\\1\``])
  t.same(problems('spec: {rules: [{name: r}, {name: s, env: {require: [{name: T}, {name: U, pattern: "(?=a)b"}]}}]}'),
    [`spec.rules[1].env.require[1].pattern: ${reason}: invalid or unsupported Perl syntax: \`(?=\``])
  t.same(problems('spec: {rules: [{name: r, schema: {properties: {namespace: {pattern: "(?<!a)b"}}}}]}'),
    [`spec.rules[0].schema: pattern "(?<!a)b" ${reason}: invalid named capture: \`(?<!a)b\``])
  t.same(problems('spec: {rules: [{name: r, schema: {patternProperties: {"(x)\\\\1": true}}}]}'),
    [`spec.rules[0].schema: pattern "(x)\\\\1" ${reason}: invalid escape sequence: \`\\1\``])
  t.same(problems('spec: {rules: [{name: r, env: {require: [{name: T, pattern: "["}]}}]}'),
    [`spec.rules[0].env.require[0].pattern: ${reason}: missing closing ]: \`[\``])
})

t.test('safeRegExp: the Ajv factory', async (t) => {
  const re = safeRegExp('^a+$', 'u')
  t.equal(re.test('aaa'), true)
  t.equal(re.test('aab'), false)
  t.equal(re.test('a'.repeat(MAX_PATTERN_SUBJECT)), true, 'at the cap')
  t.equal(re.test('a'.repeat(MAX_PATTERN_SUBJECT + 1)), false, 'over the cap')
  t.equal(re.toString(), '/^a+$/re2')
  t.throws(() => safeRegExp('(a)\\1', 'u'), /pattern "\(a\)\\\\1" is not a valid RE2 regular expression/)
  t.equal(unsafePatternReason('^INC-[0-9]+$'), undefined)
})
