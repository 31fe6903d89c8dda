import t from 'tap'
import { MAX_JSON_DEPTH, parseJson } from '../../src/admission/parse.js'

const nested = (depth: number, open = '[', close = ']'): string => `${open.repeat(depth)}${close.repeat(depth)}`

t.test('nesting: the limit itself passes, one more level is refused', async (t) => {
  t.same(parseJson(nested(MAX_JSON_DEPTH)), JSON.parse(nested(MAX_JSON_DEPTH)))
  t.throws(() => parseJson(nested(MAX_JSON_DEPTH + 1)), /JSON nesting deeper than 100 levels/)
  const objects = `${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${'}'.repeat(MAX_JSON_DEPTH + 1)}`
  t.throws(() => parseJson(objects), /nesting deeper/)
  t.equal(parseJson('"x"'), 'x', 'scalars have no depth')
  t.equal(parseJson('null'), null)
  const mixed = `${'{"a":['.repeat(MAX_JSON_DEPTH / 2)}1${']}'.repeat(MAX_JSON_DEPTH / 2)}`
  t.same(parseJson(mixed), JSON.parse(mixed), 'objects and arrays count alike')
  t.throws(() => parseJson(`[${mixed}]`), /nesting deeper/)
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

t.test('prototype poisoning is refused at any depth, before the nesting', async (t) => {
  const poison = /body contains a forbidden __proto__ or constructor\.prototype key/
  t.throws(() => parseJson('{"a":[{"__proto__":{"x":1}}]}'), poison)
  t.throws(() => parseJson('{"a":{"constructor":{"prototype":{"x":1}}}}'), poison)
  t.throws(() => parseJson('{"\\u005f_proto__":1}'), poison, 'however the key is escaped')
  // Deeper than the limit, a poisoning key anywhere still names the poisoning, wherever it is.
  const deep = (inner: string) => `${'['.repeat(MAX_JSON_DEPTH + 5)}${inner}${']'.repeat(MAX_JSON_DEPTH + 5)}`
  t.throws(() => parseJson(deep('{"__proto__":{}}')), poison, 'poisoning below the limit')
  t.throws(() => parseJson(`[${deep('1')},{"a":{"constructor":{"prototype":{}}}}]`), poison, 'poisoning after a too-deep branch')
  t.throws(() => parseJson(`[${deep('{"constructor":"x"}')}]`), /nesting deeper/, 'only depth')
  t.same(parseJson('{"constructor":"x","labels":{"constructor":{"name":"y"}}}'), { constructor: 'x', labels: { constructor: { name: 'y' } } }, 'a constructor key without prototype is data')
  t.same(parseJson('[{"constructor":null}]'), [{ constructor: null }])
})

t.test('a byte order mark before the JSON text is allowed', async (t) => {
  t.same(parseJson('\ufeff{"a":1}'), { a: 1 })
})
