// A grant's state from the grant, its approvals, the approvals required and the time.
import t from 'tap'
import { grantState } from '../../src/grants/state.js'
import type { DebugGrantApproval } from '../../src/grants/types.js'
import { approval, at, grant, T0 } from './fixtures.js'

const now = (offsetS: number): Date => new Date(T0 + offsetS * 1000)

t.test('state, activeFrom and expiresAt', async (t) => {
  const cases: Array<{ name: string; g?: ReturnType<typeof grant>; approvals: DebugGrantApproval[]; required?: number; nowS: number; want: Record<string, unknown> }> = [
    { name: 'no approval: Pending', approvals: [], nowS: 10, want: { state: 'Pending', approvals: 0, why: 'grant inc-42 has 0 of 1 approval for generation 1' } },
    { name: 'one approval by another user: Active from the approval', approvals: [approval('bob', 60)], nowS: 120, want: { state: 'Active', approvals: 1, approvedBy: ['bob'], activeFrom: at(60), expiresAt: at(60 + 1800) } },
    { name: 'expired at exactly activeFrom + duration', approvals: [approval('bob', 60)], nowS: 60 + 1800, want: { state: 'Expired', activeFrom: at(60), expiresAt: at(1860), why: `grant inc-42 expired at ${at(1860)}` } },
    { name: 'one second before expiry: Active', approvals: [approval('bob', 60)], nowS: 1859, want: { state: 'Active' } },
    { name: 'self-approval does not count', approvals: [approval('alice', 60)], nowS: 120, want: { state: 'Pending', approvals: 0, approvedBy: [] } },
    { name: 'an approval without approver does not count', approvals: [approval(undefined, 60)], nowS: 120, want: { state: 'Pending', approvals: 0 } },
    { name: 'an approval of an earlier generation does not count', g: grant({}, { generation: 2 }), approvals: [approval('bob', 60, { generation: 1 })], nowS: 120, want: { state: 'Pending', approvals: 0, why: 'grant inc-42 has 0 of 1 approval for generation 2' } },
    { name: 'an approval of another grant does not count', approvals: [approval('bob', 60, { grant: 'other' })], nowS: 120, want: { state: 'Pending', approvals: 0 } },
    { name: 'an approval of a grant since deleted and created again (same name, other uid) does not count', approvals: [approval('bob', 60, { grantUID: 'uid-old' })], nowS: 120, want: { state: 'Pending', approvals: 0 } },
    { name: 'a grant without uid: no approval counts', g: grant({}, { uid: undefined }), approvals: [approval('bob', 60)], nowS: 120, want: { state: 'Pending', approvals: 0 } },
    { name: 'an approval in another namespace does not count', approvals: [approval('bob', 60, { namespace: 'elsewhere' })], nowS: 120, want: { state: 'Pending', approvals: 0 } },
    { name: 'each approver once: two by bob are one of two required', approvals: [approval('bob', 60), approval('bob', 90)], required: 2, nowS: 120, want: { state: 'Pending', approvals: 1, approvedBy: ['bob'], why: 'grant inc-42 has 1 of 2 approvals for generation 1' } },
    { name: 'two required: active from the second, in creation order', approvals: [approval('carol', 300), approval('bob', 60)], required: 2, nowS: 400, want: { state: 'Active', approvals: 2, approvedBy: ['bob', 'carol'], activeFrom: at(300), expiresAt: at(2100) } },
    { name: 'more than required: active from the one that completed the count', approvals: [approval('bob', 60), approval('carol', 300)], required: 1, nowS: 400, want: { state: 'Active', approvals: 2, activeFrom: at(60) } },
    { name: 'same second: ordered by name', approvals: [approval('carol', 60, { name: 'b' }), approval('bob', 60, { name: 'a' })], nowS: 61, want: { approvedBy: ['bob', 'carol'] } },
    { name: 'same second, names reversed', approvals: [approval('bob', 60, { name: 'b' }), approval('carol', 60, { name: 'a' })], nowS: 61, want: { approvedBy: ['carol', 'bob'] } },
    { name: 'an approval without a valid creation time never counts', approvals: [{ ...approval('bob', 60), metadata: { name: 'x', namespace: 'shop', creationTimestamp: 'yesterday' } }, { ...approval('carol', 60), metadata: { name: 'y', namespace: 'shop' } }], nowS: 120, want: { state: 'Pending', approvals: 0 } },
    { name: 'revoked wins over Active', g: grant({ revoked: true }), approvals: [approval('bob', 60)], nowS: 120, want: { state: 'Revoked', approvals: 1, why: 'grant inc-42 was revoked' } },
    { name: 'no stamped requester: never active', g: grant({ requestedBy: undefined }), approvals: [approval('bob', 60)], nowS: 120, want: { state: 'Pending', why: 'grant inc-42 has no requester stamped by the grant webhook' } },
    { name: 'no generation: never active', g: grant({}, { generation: undefined }), approvals: [approval('bob', 60)], nowS: 120, want: { state: 'Pending' } },
    { name: 'a duration that does not parse: never active', g: grant({ duration: 'soon' }), approvals: [approval('bob', 60)], nowS: 120, want: { state: 'Pending', why: /grant inc-42: invalid duration "soon"/ } },
    { name: 'a fraction of a second is rounded down', g: grant({ duration: '90.9s' }), approvals: [approval('bob', 0)], nowS: 1, want: { expiresAt: at(90) } },
    { name: 'no approvals required: active from creation', approvals: [], required: 0, nowS: 5, want: { state: 'Active', activeFrom: at(0), expiresAt: at(1800) } },
    { name: 'no approvals required, no creation time: Pending', g: grant({}, { creationTimestamp: undefined }), approvals: [], required: 0, nowS: 5, want: { state: 'Pending', why: 'grant inc-42 has no creation time' } },
    { name: 'no approvals required, bad creation time: Pending', g: grant({}, { creationTimestamp: 'x' }), approvals: [], required: 0, nowS: 5, want: { state: 'Pending' } },
  ]
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const s = grantState(c.g ?? grant(), c.approvals, c.required ?? 1, now(c.nowS))
      t.match(s, c.want)
      if (s.state === 'Active') t.equal(s.why, undefined, 'an active grant has no why')
      else t.type(s.why, 'string', 'a grant that is not active says why')
    })
  }
})
