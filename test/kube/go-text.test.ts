// Go's text behaviour that Kubernetes' messages depend on: encoding/json strings and unicode.IsSpace.
import t from 'tap'
import { goJson, goLen, goTrimSpace, isGoSpace } from '../../src/kube/go-text.js'

t.test('goJson writes what encoding/json.Marshal writes', async (t) => {
  t.equal(goJson('<a href="x">&amp;</a>'), '"\\u003ca href=\\"x\\"\\u003e\\u0026amp;\\u003c/a\\u003e"', 'HTML characters escaped')
  t.equal(goJson('\b\f\n\r\t\u0001\u001f\\'), '"\\b\\f\\n\\r\\t\\u0001\\u001f\\\\"', 'controls')
  t.equal(goJson('\u2028\u2029é\u{1f600}\ud800'), '"\\u2028\\u2029é\u{1f600}\ufffd"', 'line separators escaped, other Unicode kept, a lone surrogate as U+FFFD')
  t.equal(goJson({ B: null, A: [1, true, 'x'], C: { D: -1.5 } }), '{"B":null,"A":[1,true,"x"],"C":{"D":-1.5}}', 'key order kept')
})

t.test('isGoSpace and goTrimSpace follow unicode.IsSpace', async (t) => {
  for (const cp of [0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x85, 0xa0, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]) t.ok(isGoSpace(cp), cp.toString(16))
  for (const cp of [0x41, 0x08, 0x0e, 0x200b, 0xfeff, 0x180e]) t.notOk(isGoSpace(cp), cp.toString(16))
  t.equal(goTrimSpace('\u0085 x y\u3000\t'), 'x y')
  t.equal(goTrimSpace('\ufeffx'), '\ufeffx')
  t.equal(goTrimSpace('   '), '')
  t.equal(goLen('é'), 2)
})
