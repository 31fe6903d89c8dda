// The one content poller behind the policy file and the TLS files: stable reads, refusals with and
// without retry, a commit that throws, and one report per distinct failure. Explicit check() calls and
// an injected clock; no timers.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ContentPoller, type ContentPollerOptions, type PollEvent } from '../src/content-poller.js'
import { RefusedContentError } from '../src/errors.js'
import { createLogger } from '../src/log.js'
import { logSink } from './support/server.js'

/** A poller of one file holding a number: "n" parses, anything else throws; `at` is the fake clock. */
function numberPoller(o: Partial<ContentPollerOptions<number>> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'eg-poller-'))
  const file = join(dir, 'n')
  writeFileSync(file, '1')
  const sink = logSink()
  const clock = { now: new Date('2026-01-01T00:00:00Z') }
  const poller = new ContentPoller<number>({
    files: [file],
    unreadable: (i, f, e) => new Error(`cannot read #${i} ${f}: ${e.message}`),
    parse: ([b]) => {
      const n = Number(b!.toString())
      if (!Number.isInteger(n)) throw new Error(`not a number: ${b!.toString()}`)
      return n
    },
    initial: { contents: [Buffer.from('1')], value: 1 },
    logger: createLogger({ destination: sink.stream }),
    log: { reloaded: (n) => [{ n }, 'reloaded'], failed: (e, n) => [{ error: e.message, n }, 'failed'] },
    clock: () => clock.now,
    ...o,
  })
  const events: string[] = []
  poller.onReload((e: PollEvent<number>) => events.push(e.result === 'success' ? `success ${e.value}` : `failure ${e.value}: ${e.error.message}`))
  return { poller, file, clock, events, logs: sink.records, write: (text: string) => writeFileSync(file, text) }
}

t.test('a change is taken after two equal reads; since and lastFailure follow', async (t) => {
  const { poller, clock, events, logs, write } = numberPoller()
  t.equal(poller.since.toISOString(), '2026-01-01T00:00:00.000Z')
  t.equal(poller.check(), 'unchanged')
  write('2')
  clock.now = new Date('2026-01-02T00:00:00Z')
  t.equal(poller.check(), 'pending')
  t.equal(poller.value, 1)
  t.equal(poller.check(), 'reloaded')
  t.equal(poller.value, 2)
  t.equal(poller.since.toISOString(), '2026-01-02T00:00:00.000Z')
  write('x')
  t.equal(poller.check(), 'pending')
  t.equal(poller.check(), 'invalid')
  t.equal(poller.check(), 'unchanged', 'reported once')
  t.match(poller.lastFailure, { error: { message: 'not a number: x' }, at: clock.now })
  t.same(events, ['success 2', 'failure 2: not a number: x'])
  t.match(logs, [{ level: 'info', n: 2, msg: 'reloaded' }, { level: 'error', n: 2, error: 'not a number: x', msg: 'failed' }])
})

t.test('read failures: reported once per distinct message; the files back as in force clear the failure', async (t) => {
  const { poller, file, events, write } = numberPoller()
  rmSync(file)
  t.equal(poller.check(), 'invalid')
  t.equal(poller.check(), 'invalid')
  t.equal(events.length, 1, 'the same read failure is reported once')
  t.match(events[0], /^failure 1: cannot read #0 .*ENOENT/)
  write('1')
  t.equal(poller.check(), 'unchanged')
  t.equal(poller.lastFailure, undefined)
})

t.test('a refusal with retry is judged again at every poll, quietly, and taken once acceptable', async (t) => {
  // Acceptable from day 10: values read before are refused with retry, values above 100 for good.
  const { poller, clock, events, write } = numberPoller({
    acceptable: (n, now) => (n > 100 ? { reason: `${n} is too big` } : now < new Date('2026-01-10T00:00:00Z') ? { reason: 'too early', retry: true } : undefined),
  })
  write('5')
  t.equal(poller.check(), 'pending')
  t.equal(poller.check(), 'invalid')
  t.type(poller.lastFailure?.error, RefusedContentError)
  t.equal(poller.check(), 'unchanged', 'still too early: quiet')
  clock.now = new Date('2026-01-11T00:00:00Z')
  t.equal(poller.check(), 'reloaded')
  t.equal(poller.value, 5)
  t.equal(poller.check(), 'unchanged')
  write('500')
  poller.check()
  t.equal(poller.check(), 'invalid')
  t.equal(poller.check(), 'unchanged', 'refused for good: not judged again')
  t.same(events, ['failure 1: too early', 'success 5', 'failure 5: 500 is too big'])
})

t.test('a value waiting for its time that becomes refused for good stops being judged', async (t) => {
  let verdict: { reason: string; retry?: boolean } | undefined = { reason: 'not yet', retry: true }
  let judged = 0
  const { poller, write } = numberPoller({ acceptable: () => { judged++; return verdict } })
  write('7')
  poller.check()
  t.equal(poller.check(), 'invalid')
  verdict = { reason: 'never' }
  t.equal(poller.check(), 'unchanged')
  verdict = undefined
  t.equal(poller.check(), 'unchanged', 'no longer waiting')
  t.equal(judged, 2)
  t.equal(poller.value, 1)
})

t.test('commit: a throw refuses the value; when retried, quietly', async (t) => {
  let fail = true
  let early = true
  const committed: number[] = []
  const { poller, events, write } = numberPoller({
    acceptable: () => (early ? { reason: 'early', retry: true } : undefined),
    commit: (n) => { if (fail) throw new Error(`cannot commit ${n}`); committed.push(n) },
  })
  write('3')
  poller.check()
  t.equal(poller.check(), 'invalid')
  early = false
  t.equal(poller.check(), 'unchanged', 'acceptable now, but the commit throws: quiet')
  t.equal(poller.value, 1)
  write('4')
  poller.check()
  t.equal(poller.check(), 'invalid', 'a stable change whose commit throws')
  fail = false
  write('6')
  poller.check()
  t.equal(poller.check(), 'reloaded')
  t.same(committed, [6])
  t.same(events, ['failure 1: early', 'failure 1: cannot commit 4', 'success 6'])
})

t.test('a parse that throws something other than an Error is reported as one', async (t) => {
  const { poller, events, write } = numberPoller({ parse: () => { throw 'plain string' } })
  write('2')
  poller.check()
  t.equal(poller.check(), 'invalid')
  t.same(events, ['failure 1: plain string'])
})

t.test('start and stop: the timer is unref\'d and cleared', async (t) => {
  const { poller } = numberPoller()
  poller.start(60_000)
  poller.stop()
  poller.stop()
  t.pass('no timer left running')
})
