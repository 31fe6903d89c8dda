// What `grant request|approve|revoke|list` send and print, without a cluster.
import t from 'tap'
import { approvalObject, formatGrantTable, grantObject, grantRows, parseSelector, REVOKE_PATCH, type GrantRequest } from '../../src/grants/objects.js'
import type { JsonObject } from '../../src/kube/types.js'
import { approval, at, grant, T0 } from './fixtures.js'

const asked: GrantRequest = { namespace: 'shop', users: ['alice'], groups: [], pods: ['web-0'], containers: [], images: [], reason: 'INC-42', duration: '30m' }
const json = (v: unknown): JsonObject => JSON.parse(JSON.stringify(v)) as JsonObject

t.test('grantObject: the DebugGrant of the flags, checked as the webhook checks it', async (t) => {
  t.same(grantObject({ ...asked, name: 'inc-42' }), { ok: true, value: {
    apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'DebugGrant', metadata: { name: 'inc-42', namespace: 'shop' },
    spec: { subjects: { users: ['alice'] }, pods: { names: ['web-0'] }, reason: 'INC-42', duration: '30m' },
  } })
  t.same(grantObject({ ...asked, pods: [], selector: 'app=web,tier = front', groups: ['oncall'], containers: ['app'], images: ['docker.io/library/busybox'], capabilities: [], privileged: false }), { ok: true, value: {
    apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'DebugGrant', metadata: { generateName: 'debug-', namespace: 'shop' },
    spec: { subjects: { users: ['alice'], groups: ['oncall'] }, pods: { selector: { matchLabels: { app: 'web', tier: 'front' } }, containers: ['app'] }, profile: { images: ['docker.io/library/busybox'], capabilities: [], privileged: false }, reason: 'INC-42', duration: '30m' },
  } }, 'a selector, a profile, no name: the API server makes one')
  t.same(grantObject({ ...asked, selector: 'app' }), { ok: false, error: '--selector takes KEY=VALUE[,KEY=VALUE...], got "app"' })
  t.same(grantObject({ ...asked, selector: 'a=b' }), { ok: false, error: 'spec.pods: exactly one of names and selector must be set' })
  t.match(grantObject({ ...asked, duration: 'forever' }), { ok: false, error: /^spec\.duration: must match pattern/ })
  t.same(parseSelector('a=b=c'), { ok: false, error: '--selector takes KEY=VALUE[,KEY=VALUE...], got "a=b=c"' })
})

t.test('approvalObject names the grant and its current generation; no approver is sent', async (t) => {
  t.same(approvalObject(grant({}, { generation: 3 })), { apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'DebugGrantApproval', metadata: { generateName: 'inc-42-', namespace: 'shop' }, spec: { grant: 'inc-42', grantUID: 'uid-inc-42', generation: 3 } })
  t.same(approvalObject(grant({}, { generation: undefined, namespace: undefined, uid: undefined })).spec, { grant: 'inc-42', grantUID: '', generation: 0 })
  t.same(REVOKE_PATCH, { spec: { revoked: true } })
})

t.test('grant list: state computed from approvals, table and rows', async (t) => {
  const now = new Date(T0 + 120_000)
  const grants = [
    json(grant({}, { name: 'b-active' })),
    json(grant({ pods: { selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }, { key: 'x', operator: 'Exists' }, { key: 'y', operator: 'DoesNotExist' }, { key: 'z', operator: 'NotIn', values: ['c'] }] } } }, { name: 'a-pending' })),
    json(grant({ pods: { selector: {} }, revoked: true, requestedBy: undefined }, { name: 'c-revoked' })),
    json({ kind: 'DebugGrant', metadata: { name: 'd-broken', namespace: 'shop' } }),
  ]
  const approvals = [json(approval('bob', 60, { grant: 'b-active' })), json({ kind: 'DebugGrantApproval' })]
  const rows = grantRows(grants, approvals, 1, now)
  t.same(rows.map((r) => [r.name, r.state, r.pods, r.approvals, r.expires]), [
    ['a-pending', 'Pending', 'app=web,tier in (a,b),x,!y,z notin (c)', 0, ''],
    ['b-active', 'Active', 'web-0', 1, at(1860)],
    ['c-revoked', 'Revoked', '(all pods)', 0, ''],
    ['d-broken', 'Pending', '', 0, ''],
  ])
  t.match(rows[3]!.why, /^cannot be read: /)
  t.equal(formatGrantTable(rows, now, false), [
    'NAME        REQUESTER   PODS                                     STATE     EXPIRES                         APPROVALS',
    'a-pending   alice       app=web,tier in (a,b),x,!y,z notin (c)   Pending   -                               0',
    `b-active    alice       web-0                                    Active    ${at(1860)} (in 29m)   1 (bob)`,
    'c-revoked   -           (all pods)                               Revoked   -                               0',
    'd-broken    -           -                                        Pending   -                               0',
    '',
  ].join('\n'))
  t.match(formatGrantTable(rows, new Date(T0 + 3_600_000), true), `shop        b-active    alice       web-0                                    Active    ${at(1860)} (29m ago)   1 (bob)`, 'with -A the namespace first; an expiry past is "ago"')
  t.equal(formatGrantTable([], now, false), 'No debug grants found.\n')
})
