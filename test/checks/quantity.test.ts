// resource.Quantity parsing and Quantity.String(), as far as the divisor rules need them. The expected
// texts are what k8s.io/apimachinery v0.37.2 prints (resource.MustParse(x).String()).
import t from 'tap'
import { parseQuantity, quantityString } from '../../src/checks/support/quantity.js'

const str = (s: string): string | undefined => {
  const q = parseQuantity(s)
  return q === undefined ? undefined : quantityString(q)
}

t.test('Quantity.String(): the text when already canonical, else the canonical form', async (t) => {
  const cases: Array<[string, string]> = [
    ['1', '1'], ['1000m', '1'], ['0.001', '1m'], ['1m', '1m'], ['1000', '1k'], ['1500', '1500'], ['1.5k', '1500'], ['2k', '2k'],
    ['1e3', '1e3'], ['1E3', '1E3'], ['1e0', '1e0'], ['0.1e1', '1'], ['1e-3', '1e-3'], ['100e-5', '1e-3'], ['10e20', '1e21'], ['1E', '1E'],
    ['1Ki', '1Ki'], ['1024Ki', '1Mi'], ['1536Ki', '1536Ki'], ['0.5Ki', '512'], ['1.5Ki', '1536'], ['1.1Ki', '1126400m'], ['1Ei', '1Ei'], ['8Ki', '8Ki'],
    ['-1', '-1'], ['-2Ki', '-2Ki'], ['+5', '+5'], ['05', '05'], ['0', '0'], ['0.0', '0'], ['0Mi', '0'], ['.5', '500m'], ['5.', '5.'], ['.', '0'],
    ['1n', '1n'], ['0.1n', '1n'], ['1u', '1u'], ['1234567890123456789', '1234567890123456789'],
  ]
  for (const [text, want] of cases) t.equal(str(text), want, text)
})

t.test('text Go refuses', async (t) => {
  for (const bad of ['', 'x', '1x', '1Kb', '1e', '1ee3', '--1', '1 ', '1K']) t.equal(parseQuantity(bad), undefined, JSON.stringify(bad))
})
