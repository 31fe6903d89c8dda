// What every benchmark sends: the review, and autocannon's closed loop against /validate.
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'

/** A 5.8 KB review of `kubectl debug --profile=general`, compact as the API server sends it. */
export const REVIEW_BODY = JSON.stringify(JSON.parse(readFileSync(new URL('../test/fixtures/admission-review/debug-general.json', import.meta.url), 'utf8')))

export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)

/** As the API server calls it: with its deadline (`?timeout=`), so deadline handling is measured too. */
export const saturate = (port, duration, body = REVIEW_BODY) => autocannon({
  url: `https://127.0.0.1:${port}/validate?timeout=5s`,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body,
  connections: CONNECTIONS,
  duration,
})
