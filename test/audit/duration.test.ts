import t from 'tap'
import { formatAge, parseDuration } from '../../src/duration.js'

t.test('parses Go durations into milliseconds', async (t) => {
  const cases: Array<[string, number]> = [
    ['24h', 86_400_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['90s', 90_000],
    ['300ms', 300],
    ['2h45m30.5s', 9_930_500],
    ['1us', 0.001],
    ['1µs', 0.001],
    ['1μs', 0.001],
    ['1500ns', 0.0015],
    ['.5m', 30_000],
    ['1.h', 3_600_000],
    ['0', 0],
    ['0s', 0],
    ['168h', 604_800_000],
  ]
  for (const [text, ms] of cases) t.same(parseDuration(text), { ok: true, value: ms }, text)
})

t.test('refuses what Go refuses, and signs, with a message naming the input', async (t) => {
  const cases: Array<[string, string]> = [
    ['', 'empty'],
    ['-1h', 'must not have a sign'],
    ['+1h', 'must not have a sign'],
    ['1', 'missing or unknown unit after "1"'],
    ['h', 'expected a number at position 1'],
    ['1x', 'missing or unknown unit after "1"'],
    ['1d', 'missing or unknown unit after "1"'],
    ['1hh', 'expected a number at position 3'],
    ['.h', 'expected a number at position 1'],
    ['1 h', 'missing or unknown unit after "1"'],
    ['9'.repeat(60) + 'h', 'too large'],
    ['1h'.repeat(40), 'longer than 64 characters'],
  ]
  for (const [text, why] of cases) {
    const r = parseDuration(text)
    if (r.ok) { t.fail(`${text} is refused`); continue }
    t.match(r.error, `invalid duration`, `${text}: says it is a bad duration`)
    t.match(r.error, why, `${text}: ${why}`)
  }
  t.match(parseDuration('1h'.repeat(40)), { ok: false, error: /…/ }, 'a long input is cut in the message')
})

t.test('formats ages as kubectl does, in whole units', async (t) => {
  const cases: Array<[number, string]> = [
    [-5, '0s'], [0, '0s'], [59_999, '59s'], [119_000, '119s'], [120_000, '2m'], [7_199_000, '119m'],
    [7_200_000, '2h'], [47 * 3_600_000, '47h'], [48 * 3_600_000, '2d'], [729 * 86_400_000, '729d'], [730 * 86_400_000, '2y'],
  ]
  for (const [ms, text] of cases) t.equal(formatAge(ms), text, `${ms} ms`)
})
