// Whether an Active grant covers one debug container: requester, pod, target, profile.
import t from 'tap'
import { coverage, type DebugRequest } from '../../src/grants/coverage.js'
import { grantState } from '../../src/grants/state.js'
import type { GrantSpec } from '../../src/grants/types.js'
import { approval, grant, T0 } from './fixtures.js'

const request = (o: { user?: Partial<DebugRequest['user']>; pod?: Partial<DebugRequest['pod']>; container?: Partial<DebugRequest['container']> } = {}): DebugRequest => ({
  user: { username: 'alice', groups: ['system:authenticated'], ...o.user },
  pod: { namespace: 'shop', name: 'web-0', labels: { app: 'web' }, ...o.pod },
  container: { name: 'debugger', image: 'busybox:1.36', capabilities: [], privileged: false, ...o.container },
})

const ACTIVE_AT = new Date(T0 + 120_000)

t.test('coverage of an Active grant', async (t) => {
  const cases: Array<{ name: string; spec?: Partial<GrantSpec>; meta?: { namespace?: string }; req?: DebugRequest; want: true | string }> = [
    { name: 'the user, the pod: covered', want: true },
    { name: 'another user', req: request({ user: { username: 'mallory' } }), want: 'grant inc-42 does not name user "mallory" or any of their groups' },
    { name: 'a member of a named group', spec: { subjects: { groups: ['oncall'] } }, req: request({ user: { username: 'dave', groups: ['oncall'] } }), want: true },
    { name: 'groups only, not a member', spec: { subjects: { groups: ['oncall'] } }, req: request({ user: { username: 'dave', groups: ['dev'] } }), want: 'grant inc-42 does not name user "dave" or any of their groups' },
    { name: 'another pod', req: request({ pod: { name: 'db-0' } }), want: 'grant inc-42 does not cover pod "db-0"' },
    { name: 'another namespace', req: request({ pod: { namespace: 'bank' } }), want: 'grant inc-42 is in namespace "shop", not "bank"' },
    { name: 'by selector: labels match', spec: { pods: { selector: { matchLabels: { app: 'web' } } } }, want: true },
    { name: 'by selector: labels do not match', spec: { pods: { selector: { matchLabels: { app: 'db' } } } }, want: 'grant inc-42 does not cover pod "web-0"' },
    { name: 'by selector: In', spec: { pods: { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] } } }, want: true },
    { name: 'by selector: In, label missing', spec: { pods: { selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['x'] }] } } }, want: 'grant inc-42 does not cover pod "web-0"' },
    { name: 'by selector: NotIn', spec: { pods: { selector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] } } }, want: 'grant inc-42 does not cover pod "web-0"' },
    { name: 'by selector: NotIn, label missing', spec: { pods: { selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['x'] }] } } }, want: true },
    { name: 'by selector: Exists', spec: { pods: { selector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } } }, want: true },
    { name: 'by selector: DoesNotExist', spec: { pods: { selector: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] } } }, want: 'grant inc-42 does not cover pod "web-0"' },
    { name: 'by selector: a label that is only on the prototype is no label', spec: { pods: { selector: { matchExpressions: [{ key: 'toString', operator: 'Exists' }] } } }, want: 'grant inc-42 does not cover pod "web-0"' },
    { name: 'target containers: the one named', spec: { pods: { names: ['web-0'], containers: ['app'] } }, req: request({ container: { target: 'app' } }), want: true },
    { name: 'target containers: another', spec: { pods: { names: ['web-0'], containers: ['app'] } }, req: request({ container: { target: 'sidecar' } }), want: 'grant inc-42 does not cover target container "sidecar" (only "app")' },
    { name: 'target containers: none named', spec: { pods: { names: ['web-0'], containers: ['app'] } }, want: 'grant inc-42 requires a target container (one of "app"); container "debugger" names none' },
    { name: 'images: a tag in a pattern is literal, not a wildcard', spec: { profile: { images: ['docker.io/library/busybox:*'] } }, want: 'grant inc-42 does not allow image "busybox:1.36" (only "docker.io/library/busybox:*")' },
    { name: 'images: a pattern that matches', spec: { profile: { images: ['docker.io/library/busybox'] } }, want: true },
    { name: 'images: another image', spec: { profile: { images: ['docker.io/library/busybox'] } }, req: request({ container: { image: 'evil.io/busybox' } }), want: 'grant inc-42 does not allow image "evil.io/busybox" (only "docker.io/library/busybox")' },
    { name: 'images: an image that does not parse matches nothing', spec: { profile: { images: ['**'] } }, req: request({ container: { image: 'UPPER' } }), want: 'grant inc-42 does not allow image "UPPER" (only "**")' },
    { name: 'images: a pattern that does not parse matches nothing', spec: { profile: { images: ['@@'] } }, want: 'grant inc-42 does not allow image "busybox:1.36" (only "@@")' },
    { name: 'capabilities: within', spec: { profile: { capabilities: ['SYS_PTRACE'] } }, req: request({ container: { capabilities: ['SYS_PTRACE'] } }), want: true },
    { name: 'capabilities: beyond, listed sorted once', spec: { profile: { capabilities: ['SYS_PTRACE'] } }, req: request({ container: { capabilities: ['NET_RAW', 'NET_ADMIN', 'NET_RAW', 'SYS_PTRACE'] } }), want: 'grant inc-42 does not allow adding "NET_ADMIN", "NET_RAW"' },
    { name: 'capabilities: an empty list allows none', spec: { profile: { capabilities: [] } }, req: request({ container: { capabilities: ['SYS_PTRACE'] } }), want: 'grant inc-42 does not allow adding "SYS_PTRACE"' },
    { name: 'capabilities: unset leaves them to the policy', req: request({ container: { capabilities: ['SYS_ADMIN'] } }), want: true },
    { name: 'privileged refused when the profile says false', spec: { profile: { privileged: false } }, req: request({ container: { privileged: true } }), want: 'grant inc-42 does not allow a privileged container' },
    { name: 'privileged allowed when the profile says true', spec: { profile: { privileged: true } }, req: request({ container: { privileged: true } }), want: true },
    { name: 'privileged left to the policy when unset', req: request({ container: { privileged: true } }), want: true },
  ]
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const g = grant(c.spec, c.meta)
      const got = coverage(g, grantState(g, [approval('bob', 60)], 1, ACTIVE_AT), c.req ?? request())
      t.same(got, c.want === true ? { covered: true } : { covered: false, reason: c.want })
    })
  }
})

t.test('a grant that is not Active covers nothing, and says why', async (t) => {
  const g = grant()
  t.same(coverage(g, grantState(g, [], 1, ACTIVE_AT), request()), { covered: false, reason: 'grant inc-42 has 0 of 1 approval for generation 1' })
  const revoked = grant({ revoked: true })
  t.same(coverage(revoked, grantState(revoked, [approval('bob', 60)], 1, ACTIVE_AT), request()), { covered: false, reason: 'grant inc-42 was revoked' })
  t.match(coverage(g, grantState(g, [approval('bob', 60)], 1, new Date(T0 + 3_600_000)), request()), { covered: false, reason: /^grant inc-42 expired at / })
})
