import t from 'tap'
import { MAX_JSON_DEPTH, nestsDeeperThan, parseJson } from '../../src/admission/parse.js'

const nested = (depth: number, open = '[', close = ']'): string => `${open.repeat(depth)}${close.repeat(depth)}`

t.test('nesting: the limit itself passes, one more level is refused', async (t) => {
  t.same(parseJson(nested(MAX_JSON_DEPTH)), JSON.parse(nested(MAX_JSON_DEPTH)))
  t.throws(() => parseJson(nested(MAX_JSON_DEPTH + 1)), /JSON nesting deeper than 100 levels/)
  const objects = `${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${'}'.repeat(MAX_JSON_DEPTH + 1)}`
  t.throws(() => parseJson(objects), /nesting deeper/)
  t.notOk(nestsDeeperThan('x'), 'scalars have no depth')
  t.notOk(nestsDeeperThan({ a: [1, { b: 'c' }] }, 3))
  t.ok(nestsDeeperThan({ a: [1, { b: {} }] }, 3))
})

t.test('hostile depth is refused without a stack overflow', async (t) => {
  t.throws(() => parseJson(nested(1_000_000)), /nesting deeper/)
})

t.test('syntax errors and empty bodies', async (t) => {
  t.throws(() => parseJson(''), /body is empty/)
  t.throws(() => parseJson('  \n'), /body is empty/)
  t.throws(() => parseJson('{"a":'), /body is not valid JSON/)
})

t.test('strings holding brackets do not count as nesting', async (t) => {
  const text = JSON.stringify({ s: '['.repeat(500), t: '"\\"{{{{' })
  t.same(parseJson(text), JSON.parse(text))
})
