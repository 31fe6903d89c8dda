// The value helpers of Kubernetes' checks, where the fidelity corpus does not reach: quantities in
// every format, qualified names with prefixes, Go's quoting of astral runes, and the difflib-shaped
// diff on inserts, deletes, long inputs and its bound.
import t from 'tap'
import { containerDiff, internalLines, MAX_DIFF_LINES, unifiedDiff } from '../../src/checks/go-diff.js'
import { isQualifiedName } from '../../src/checks/support/validation.js'
import { compare, isWhole, parseQuantity, quantityOf, quantityString, value } from '../../src/checks/support/quantity.js'
import { containerResources } from '../../src/checks/container-resources.js'
import { goJson, goQuote } from '../../src/kube/go-text.js'
import { toPodView } from '../../src/decision/pod-view.js'
import { storedPod } from '../support/reviews.js'

t.test('quantities: parsed, compared and printed as resource.Quantity does', async (t) => {
  const cases: Array<[string, string]> = [
    ['1000m', '1'], ['1500m', '1500m'], ['0.5', '500m'], ['2000', '2k'], ['1e3', '1e3'], ['1.5e3', '1500'], ['1E-3', '1E-3'],
    ['2048Mi', '2Gi'], ['1536Mi', '1536Mi'], ['512', '512'], ['1Ki', '1Ki'], ['1023Ki', '1023Ki'], ['0.5Ki', '512'], ['0.5Gi', '512Mi'], ['-64Mi', '-64Mi'],
    ['.5', '500m'], ['+3', '+3'], ['e3', '0'], ['0', '0'], ['1n', '1n'], ['1.0000000001', '1000000001n'], ['1e21', '1e21'], ['2E', '2E'],
  ]
  for (const [text, printed] of cases) t.equal(quantityString(parseQuantity(text)!), printed, `${text} prints as ${printed}`)
  for (const bad of ['lots', '1GB', '', ' 1', '1.5.5', '1e', '1Ki5']) t.equal(parseQuantity(bad), undefined, `${JSON.stringify(bad)} does not parse`)
  t.equal(quantityString(quantityOf(2)!), '2', 'a JSON number reads as its decimal text')
  t.equal(quantityOf(true), undefined, 'anything else is no quantity')
  t.equal(compare(parseQuantity('1')!, parseQuantity('1000m')!), 0, '1 = 1000m')
  t.equal(compare(parseQuantity('1Gi')!, parseQuantity('1G')!), 1, '1Gi > 1G')
  t.equal(compare(parseQuantity('1m')!, parseQuantity('1')!), -1, '1m < 1')
  t.ok(isWhole(parseQuantity('2k')!), '2k is whole')
  t.notOk(isWhole(parseQuantity('1500m')!), '1500m is not')
  t.equal(value(parseQuantity('1.2')!), 2n, 'Value() rounds up')
  t.equal(value(parseQuantity('-1.2')!), -1n, 'toward zero below zero, as Go\'s division then ceiling')
})

t.test('qualified names: prefix, name and their messages', async (t) => {
  t.same(isQualifiedName('example.com/widget'), [])
  t.same(isQualifiedName('/widget'), ['prefix part must be non-empty'])
  t.match(isQualifiedName('Example_com/widget')[0], /^prefix part a lowercase RFC 1123 subdomain must consist of/)
  t.match(isQualifiedName('a/b/c')[0], /^a valid label key must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/)
  t.same(isQualifiedName('example.com/'), ['name part must be non-empty', `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`])
  t.same(isQualifiedName('x'.repeat(64)), ['name part must be no more than 63 bytes'])
  t.match(isQualifiedName(`${'a'.repeat(254)}/x`)[0], 'prefix part must be no more than 253 bytes')
})

t.test('an extended resource name that is no qualified name under requests.', async (t) => {
  const pod = toPodView(storedPod(), 'object')
  const found = containerResources.run({ pod, oldPod: pod, added: [{ index: 0, value: { resources: { limits: { 'example.com/a/b': '1' } } } }], removed: [], changed: [], requester: { namespace: 'shop', username: 'u', groups: [], dryRun: false } })
  t.ok(found.some((v) => v.detail === "doesn't follow extended resource name standard"), 'a name with two slashes')
})

t.test("Go's quoting: astral runes, surrogates", async (t) => {
  t.equal(goQuote('\u{E0001}'), '"\\U000e0001"', 'a non-printable astral rune as \\U')
  t.equal(goQuote('\u{1F600}'), '"\u{1F600}"', 'a printable one as it is')
  t.equal(goQuote('\ud800'), '"\ufffd"', 'a lone surrogate as U+FFFD, which Go decodes it to')
  t.equal(goQuote('\u0007\b\f\v'), '"\\a\\b\\f\\v"')
  t.equal(goJson('a\u2028<\ud800\n'), '"a\\u2028\\u003c\ufffd\\n"')
})

t.test('the diff: inserts, deletes, distant changes and long inputs', async (t) => {
  const lines = (n: number, change?: (i: number) => string | undefined): string[] => Array.from({ length: n }, (_, i) => change?.(i) ?? `line ${i}`)
  t.equal(unifiedDiff(lines(10), lines(10)), '', 'no change, no hunk')
  t.equal(unifiedDiff(['a', 'b', 'c'], ['a', 'x', 'b', 'c']), '@@ -1,3 +1,4 @@\n a\n+x\n b\n c\n', 'an insert')
  t.equal(unifiedDiff(['a', 'b', 'c'], ['a', 'c']), '@@ -1,3 +1,2 @@\n a\n-b\n c\n', 'a delete')
  t.equal(unifiedDiff(['a'], ['b']), '@@ -1 +1 @@\n-a\n+b\n', 'one-line ranges print without a length')
  t.equal(unifiedDiff([], ['a']), '@@ -0,0 +1 @@\n+a\n', 'an empty side')
  const far = unifiedDiff(lines(30), lines(30, (i) => (i === 2 || i === 25 ? `changed ${i}` : undefined)))
  t.equal(far.split('@@ -').length - 1, 2, 'changes more than six lines apart make two hunks')
  // 300 lines, one repeated often enough to be "popular" (difflib's autojunk): still a correct diff.
  const popular = lines(300, (i) => (i % 3 === 0 ? '},' : undefined))
  const changed = [...popular]
  changed[150] = 'new'
  t.equal(unifiedDiff(popular, changed), `@@ -148,7 +148,7 @@\n ${popular.slice(147, 150).join('\n ')}\n-${popular[150]}\n+new\n ${popular.slice(151, 154).join('\n ')}\n`, 'autojunk leaves the answer right')
  const big = { name: 'x', image: 'y', args: Array.from({ length: MAX_DIFF_LINES }, (_, i) => `${i}`) }
  t.match(containerDiff({ name: 'x', image: 'y' }, big), /^\(diff of 32 and \d+ lines left out by ephemeral-guard: longer than 4000 lines\)\n$/, 'bounded work on huge containers')
  t.equal(internalLines({ name: 'x', restartPolicyRules: [{ action: 'Restart', b: { c: 1 }, a: [] }] }).find((l) => l.includes('"a"')), '   "a": [],', 'a raw value: keys sorted, empty lists compact')
})
