import t from 'tap'
import { formatRfc3339, parseRfc3339 } from '../src/time.js'

t.test('formatRfc3339: UTC, whole seconds', async (t) => {
  t.equal(formatRfc3339(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678))), '2026-01-02T03:04:05Z')
})

t.test('parseRfc3339: what the API and the mutating webhook write; anything else is a message, never a throw', async (t) => {
  t.same(parseRfc3339('2026-01-02T03:04:05Z'), { ok: true, value: Date.UTC(2026, 0, 2, 3, 4, 5) })
  t.same(parseRfc3339('2026-01-02T03:04:05.5+01:00'), { ok: true, value: Date.UTC(2026, 0, 2, 2, 4, 5, 500) })
  t.same(parseRfc3339(formatRfc3339(new Date(0))), { ok: true, value: 0 }, 'reads what it writes')
  for (const text of ['', 'yesterday', '2026-01-02 03:04:05Z', '2026-01-02T03:04:05', '2026-01-02T03:04:05.1234567890Z', `${'2'.repeat(100_000)}-01-02T03:04:05Z`]) {
    t.same(parseRfc3339(text), { ok: false, error: 'not an RFC 3339 date-time' }, JSON.stringify(text.slice(0, 40)))
  }
  for (const text of ['2026-02-30T00:00:00Z', '2026-01-02T24:00:00Z', '2026-01-02T03:60:00Z', '2026-01-02T03:04:60Z']) {
    t.same(parseRfc3339(text), { ok: false, error: 'not a date and time of day' }, text)
  }
  t.same(parseRfc3339('2026-01-02T03:04:05+99:99'), { ok: false, error: 'not an RFC 3339 date-time' }, 'an offset out of range')
})
