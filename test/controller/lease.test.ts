// The Lease elector: the pure decision (nextLease) and the loop against an in-memory Lease with the
// API server's optimistic concurrency (resourceVersion), two candidates racing on one Lease.
import t from 'tap'
import { LeaderElector, microTime, nextLease, recordKey, sleep, type LeaseIo, type LeaseRecord, type ObservedLease } from '../../src/controller/lease.js'

const T0 = Date.parse('2026-12-01T00:00:00Z')
const held = (holder: string, transitions = 0): ObservedLease => ({ resourceVersion: '7', record: { holder, durationSeconds: 15, renewTime: microTime(T0), transitions } })

t.test('microTime has six fractional digits', async (t) => {
  t.equal(microTime(T0 + 123), '2026-12-01T00:00:00.123000Z')
})

t.test('nextLease: create, renew, wait, take over', async (t) => {
  t.match(nextLease(undefined, undefined, 'me', T0, 15), { kind: 'create', record: { holder: 'me', durationSeconds: 15, transitions: 0, acquireTime: microTime(T0) } })
  t.match(nextLease(held('me', 2), undefined, 'me', T0 + 1000, 15), { kind: 'update', resourceVersion: '7', record: { holder: 'me', renewTime: microTime(T0 + 1000), transitions: 2 } })
  const other = held('other', 4)
  const seen = { key: recordKey(other.record), atMs: T0 }
  t.same(nextLease(other, seen, 'me', T0 + 14_999, 15), { kind: 'wait', holder: 'other' }, 'not yet expired by my own clock')
  t.same(nextLease(other, { key: 'something else', atMs: T0 - 60_000 }, 'me', T0, 15), { kind: 'wait', holder: 'other' }, 'a record first seen now counts from now')
  t.same(nextLease(other, undefined, 'me', T0, 15), { kind: 'wait', holder: 'other' })
  t.match(nextLease(other, seen, 'me', T0 + 15_000, 15), { kind: 'update', record: { holder: 'me', transitions: 5, acquireTime: microTime(T0 + 15_000) } }, 'expired: taken over')
  t.match(nextLease(held(''), undefined, 'me', T0, 15), { kind: 'update', record: { holder: 'me', transitions: 1 } }, 'released: taken at once')
})

/** One Lease in memory, with resourceVersion checks as the API server makes them. */
class MemoryLease {
  record: LeaseRecord | undefined
  rv = 0
  failNext = 0
  io(): LeaseIo {
    return {
      read: async () => {
        if (this.failNext > 0) { this.failNext--; throw new Error('connection refused') }
        return this.record === undefined ? undefined : { record: this.record, resourceVersion: String(this.rv) }
      },
      create: async (record) => {
        if (this.record !== undefined) return false
        this.record = record
        this.rv++
        return true
      },
      update: async (record, resourceVersion) => {
        if (resourceVersion !== String(this.rv)) return false
        this.record = record
        this.rv++
        return true
      },
    }
  }
}

t.test('two electors: one leads; on release the other takes over; a stale write loses at once', async (t) => {
  const lease = new MemoryLease()
  let now = T0
  const changes: string[] = []
  const make = (id: string): LeaderElector => new LeaderElector(lease.io(), { identity: id, durationMs: 3000, renewMs: 1000, retryMs: 500, now: () => now, onChange: (l) => changes.push(`${id}:${l}`) })
  const a = make('a')
  const b = make('b')
  t.equal(await a.tryOnce(), true, 'a creates the Lease')
  t.equal(await b.tryOnce(), false, 'b waits')
  t.equal(a.isLeader(), true)
  t.equal(b.isLeader(), false)
  now += 2500
  t.equal(a.isLeader(), false, 'a holder that has not renewed within two thirds of the duration stops writing')
  t.equal(await a.tryOnce(), true, 'a renews')
  t.equal(a.isLeader(), true)
  await a.release()
  t.equal(lease.record?.holder, '', 'released')
  t.equal(await b.tryOnce(), true, 'b takes over at once')
  t.equal(lease.record?.transitions, 1)
  // a, still believing it may lead, tries to renew: the Lease is b's now.
  t.equal(await a.tryOnce(), false)
  t.same(changes, ['a:true', 'a:false', 'b:true'])
  await a.release()
  t.equal(lease.record?.holder, 'b', 'releasing a Lease not held changes nothing')
})

t.test('a conflict on write stops leading at once; errors keep leading until the renew deadline', async (t) => {
  const lease = new MemoryLease()
  let now = T0
  const errors: string[] = []
  const a = new LeaderElector(lease.io(), { identity: 'a', durationMs: 3000, renewMs: 1000, retryMs: 500, now: () => now, onError: (e) => errors.push(e.message) })
  t.equal(await a.tryOnce(), true)
  lease.failNext = 1
  now += 1000
  t.equal(await a.tryOnce(), true, 'one failed round: still leading')
  lease.failNext = 1
  now += 1500
  t.equal(await a.tryOnce(), false, 'past the renew deadline: not leading')
  t.same(errors, ['connection refused', 'connection refused'])
  t.equal(await a.tryOnce(), true, 'back')
  // Someone else writes in between the read and the write.
  const io = lease.io()
  const racing = new LeaderElector({ ...io, update: async () => false }, { identity: 'a', durationMs: 3000, renewMs: 1000, retryMs: 500, now: () => now })
  t.equal(await racing.tryOnce(), false, 'a stale resourceVersion loses')
  const creating = new LeaderElector({ ...io, read: async () => undefined }, { identity: 'c', durationMs: 3000, renewMs: 1000, retryMs: 500, now: () => now })
  t.equal(await creating.tryOnce(), false, 'a create that finds the Lease there loses')
  // release() when the read fails is reported, not thrown.
  const failing = new LeaderElector(lease.io(), { identity: 'a', durationMs: 3000, renewMs: 1000, retryMs: 500, now: () => now, onError: (e) => errors.push(`release: ${e.message}`) })
  t.equal(await failing.tryOnce(), true)
  lease.failNext = 1
  await failing.release()
  t.equal(errors.at(-1), 'release: connection refused')
})

t.test('run() renews until aborted, then releases; sleep() ends at abort', async (t) => {
  const lease = new MemoryLease()
  const a = new LeaderElector(lease.io(), { identity: 'a', durationMs: 300, renewMs: 20, retryMs: 10 })
  const stop = new AbortController()
  const running = a.run(stop.signal)
  await sleep(100, new AbortController().signal)
  t.ok(lease.rv >= 2, `renewed (${lease.rv} writes)`)
  stop.abort()
  await running
  t.equal(lease.record?.holder, '')
  const aborted = new AbortController()
  aborted.abort()
  await sleep(60_000, aborted.signal)
  t.pass('an aborted sleep returns at once')
})
