// The API server's ?timeout=: parsed as a Go duration, and a stalled review is answered before it.
import t from 'tap'
import { connect } from 'node:tls'
import { createLogger } from '../../src/log.js'
import { defaultPolicy } from '../../src/policy/default.js'
import { answerWithinMs, DeadlineWatch, timeoutParamMs } from '../../src/server/deadline.js'
import { startServer, type RunningServer } from '../../src/server/listen.js'
import { Metrics } from '../../src/server/metrics.js'
import type { AdmissionReview } from '../../src/kube/types.js'
import { profileContainer, admissionReview } from '../support/reviews.js'
import { logSink, testCertificates } from '../support/server.js'
import { httpsCall, parsePrometheus, secretVolume, sleep, valueOf } from './helpers.js'

t.test('timeoutParamMs: what time.Duration.String() writes; anything else is no deadline', async (t) => {
  const cases: Array<[string | undefined, number | undefined]> = [
    ['5s', 5000], ['30s', 30_000], ['1m0s', 60_000], ['1h2m3s', 3_723_000], ['1.5s', 1500], ['.5s', 500], ['5.s', 5000],
    ['300ms', 300], ['2500us', 2.5], ['2500µs', 2.5], ['2500μs', 2.5], ['1000000ns', 1], ['+2s', 2000],
    ['0', undefined], ['0s', undefined], ['-5s', undefined], ['', undefined], [undefined, undefined], ['s', undefined],
    ['5', undefined], ['5x', undefined], ['5s5', undefined], ['.s', undefined], ['5 s', undefined], ['5S', undefined],
    ['+', undefined], [`${'1'.repeat(32)}s`, undefined], ['1s'.repeat(16), 16_000], ['1s'.repeat(17), undefined],
  ]
  for (const [text, ms] of cases) t.equal(timeoutParamMs(text), ms, JSON.stringify(text))
  t.equal(timeoutParamMs(`${'9'.repeat(100_000)}s`), undefined, 'a long value is refused before it is scanned')
})

t.test('answerWithinMs: the timeout less a margin for the trip back, capped by the request timeout', async (t) => {
  t.equal(answerWithinMs(2000, 35_000), 1500)
  t.equal(answerWithinMs(5000, 35_000), 4500)
  t.equal(answerWithinMs(1000, 35_000), 750, 'a quarter of a short timeout')
  t.equal(answerWithinMs(3_600_000, 35_000), 35_000)
})

let server: RunningServer
let port: number
let ca: string
const sink = logSink()
const metrics = new Metrics({ version: 'test', processMetrics: false })
t.before(async () => {
  const certs = await testCertificates()
  ca = certs.caCert
  const volume = secretVolume({ 'tls.crt': certs.cert, 'tls.key': certs.key })
  server = await startServer({
    host: '127.0.0.1', port: 0, tls: { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key') }, tlsReloadIntervalMs: 0,
    policy: () => defaultPolicy, logger: createLogger({ destination: sink.stream }), metrics,
  })
  const address = server.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  port = address.port
})
t.teardown(() => server.shutdown({ delayMs: 0, drainTimeoutMs: 1000 }))

const body = JSON.stringify(admissionReview({ added: [profileContainer('sysadmin')] }))

/**
 * Sends the headers and the first `sent` bytes of the body, then nothing for `stallMs` (B3: a 5 s stall),
 * then the rest. Resolves with the raw answer and when it came, once the server closes the connection.
 */
function stalledReview(path: string, sent: number, stallMs: number, connection = 'keep-alive'): Promise<{ answer: string; afterMs: number; restSent: boolean }> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    let answer = ''
    let afterMs = -1
    let restSent = false
    const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      s.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: ${connection}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, sent)}`)
      const rest = setTimeout(() => { if (!s.destroyed) { restSent = true; s.write(body.slice(sent)) } }, stallMs)
      s.on('close', () => clearTimeout(rest))
    })
    s.on('data', (c: Buffer) => {
      if (afterMs < 0) afterMs = Date.now() - started
      answer += c.toString()
    })
    s.on('close', () => resolve({ answer, afterMs, restSent }))
    s.on('error', reject)
  })
}

const timeouts = async (webhook: string): Promise<number> =>
  valueOf(parsePrometheus((await metrics.text()).body), 'ephemeral_guard_admission_request_errors_total', { webhook, reason: 'Timeout' }) ?? 0

t.test('B3: a body stalled past ?timeout=2s is answered with a 504 Status while it is still stalled, and the connection closed', async (t) => {
  for (const webhook of ['validate', 'mutate']) {
    const before = await timeouts(webhook)
    // The stall (20 s) far outlasts the deadline; the answer and the close must come while it lasts.
    // Only the lower bound is a time: a timer never fires early, however busy the machine.
    const { answer, afterMs, restSent } = await stalledReview(`/${webhook}?timeout=2s`, 200, 20_000)
    t.ok(afterMs >= 1400, `${webhook}: not answered before the budget (${afterMs} ms)`)
    t.notOk(restSent, `${webhook}: answered and closed while the body was still stalled`)
    t.match(answer, /^HTTP\/1\.1 504 Gateway Timeout\r\n/)
    t.match(answer, /\r\nconnection: close\r\n/i)
    const status = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>
    t.same(status, {
      kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 504, reason: 'Timeout',
      message: "ephemeral-guard: no complete review within 1500 ms of the API server's timeout of 2000 ms; the webhook's failurePolicy applies",
    })
    t.equal(await timeouts(webhook), before + 1, `${webhook}: counted`)
    t.match(sink.records.filter((r) => r.msg === 'no review before the deadline; answered 504').at(-1), { level: 'warn', webhook, timeoutMs: 2000, budgetMs: 1500 })
  }
})

t.test('a review that arrives in time is decided; the deadline timer is cleared', async (t) => {
  const warnings = () => sink.records.filter((r) => r.msg === 'no review before the deadline; answered 504').length
  const before = warnings()
  const { answer } = await stalledReview('/validate?timeout=1s', 200, 300, 'close')
  t.match(answer, /^HTTP\/1\.1 200 OK/)
  t.equal((JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as AdmissionReview).response?.allowed, false)
  for (const query of ['?timeout=1s', '?timeout=abc', '?timeout=', '?timeout=-1s', '?timeout=1s&timeout=2s', '']) {
    const res = await httpsCall(`https://127.0.0.1:${port}/validate${query}`, { ca, method: 'POST', body })
    t.equal(res.status, 200, `answered with ${JSON.stringify(query)}`)
  }
  await sleep(1000)
  t.equal(warnings(), before, 'no late 504 after an answer')
})

/** Resolves once `done()` holds, checking every few ms (no assertion on how long it takes). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await sleep(5)
}

t.test('DeadlineWatch: one timer expires what is due, in due order, and forgets what is deleted or gone', async (t) => {
  const expired: string[] = []
  const gone = new Set<string>()
  const watch = new DeadlineWatch<string>((x) => expired.push(x), (x) => gone.has(x), 20)
  t.teardown(() => watch.close())
  const now = Date.now()
  watch.add('late', now + 60)
  watch.add('early', now + 30) // earlier than the timer: re-armed for it
  watch.add('deleted', now + 10)
  watch.add('left', now + 10)
  t.equal(watch.delete('deleted'), now + 10, 'delete returns the deadline')
  t.equal(watch.delete('deleted'), undefined, 'and forgets it')
  gone.add('left')
  t.equal(watch.size, 3)
  await until(() => expired.length === 2)
  t.same(expired, ['early', 'late'], 'due ones expire; a deleted or gone one never does')
  t.equal(watch.size, 0, 'nothing is held afterwards')
  watch.add('after', Date.now() + 10_000)
  watch.close()
  t.equal(watch.size, 0, 'close forgets everything')
})

t.test('DeadlineWatch: a gone item is forgotten at the next sweep, long before its deadline', async (t) => {
  let isGone = false
  const watch = new DeadlineWatch<string>(() => t.fail('nothing expires'), () => isGone, 10)
  t.teardown(() => watch.close())
  watch.add('a', Date.now() + 60_000)
  await sleep(30)
  t.equal(watch.size, 1, 'still watched while its client is there')
  isGone = true
  await until(() => watch.size === 0)
  t.pass('forgotten')
})

t.test('a client that leaves before its body arrives gets no 504, and nothing is counted for it', async (t) => {
  const warnings = () => sink.records.filter((r) => r.msg === 'no review before the deadline; answered 504').length
  const before = { warned: warnings(), timeouts: await timeouts('validate') }
  await new Promise<void>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      s.write(`POST /validate?timeout=1s HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 100)}`)
      setTimeout(() => s.destroy(), 100)
    })
    s.on('close', () => resolve())
    s.on('error', reject)
  })
  await sleep(2000) // past the 750 ms budget and the next sweep
  t.equal(warnings(), before.warned, 'no 504 logged')
  t.equal(await timeouts('validate'), before.timeouts, 'no timeout counted')
})
