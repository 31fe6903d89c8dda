// Debug grants (preview) on the real API server: the grant CRDs installed, ephemeral-guard serving with
// --kubeconfig (so its grant webhook can read grants and create SubjectAccessReviews), the grant
// webhooks registered by URL, and every step made with `ephemeral-guard grant ... --as USER` or with
// kubectl as that user: the requester and the approver stamped from the request whatever the client
// sends, self-approval and approval without RBAC's `approve` refused, an approval of a stale
// generation refused, revocation final, and `grant list` showing state and expiry. Enforcement at debug
// time is not wired yet (README "Just-in-time access (preview)"), so no debug container is tried here.
import t from 'tap'
import { join } from 'node:path'
import type { JsonObject } from '../../src/kube/types.js'
import { freshNamespace, kubectlOk, REPO_ROOT } from './support/cluster.js'
import { guardNetwork } from './support/network-guard.js'
import { run, type RunResult } from './support/process.js'
import { applyClusterRole, bindRole, kubectlAs, type Requester } from './support/rbac.js'
import { fileEnvironment } from './support/setup.js'
import { GRANT_WEBHOOK } from './support/webhook.js'

// Loopback only: fails this file on any socket or Service that could reach off this machine.
guardNetwork(t)

const e = fileEnvironment(t, { serveArgs: (cluster) => ['--kubeconfig', cluster.info.kubeconfig] })
const GROUP = 'ephemeral-guard.dev'
const MAIN = join(REPO_ROOT, 'dist/main.js')

const ALICE: Requester = { user: 'alice' }
const BOB: Requester = { user: 'bob', groups: ['approvers'] }
const CAROL: Requester = { user: 'carol' }

/** `ephemeral-guard grant ARGS --as USER` in a clean environment (no tap loader in the child). */
const grant = (who: Requester, args: readonly string[]): Promise<RunResult> =>
  run('env', ['-i', `PATH=${process.env['PATH'] ?? ''}`, process.execPath, MAIN, 'grant', ...args, '--kubeconfig', e().cluster.info.kubeconfig, `--as=${who.user}`, ...(who.groups ?? []).map((g) => `--as-group=${g}`)], { timeoutMs: 60_000 })

const get = async (ns: string, resource: string, name: string): Promise<JsonObject> =>
  JSON.parse(await kubectlOk(e().cluster, ['-n', ns, 'get', `${resource}.${GROUP}`, name, '-o', 'json'])) as JsonObject
const spec = (o: JsonObject): JsonObject => o['spec'] as JsonObject
const generation = (o: JsonObject): number => (o['metadata'] as { generation: number }).generation

/** kubectl create of `object` as `who`; the result (never throws). */
const createAs = (who: Requester, ns: string, object: JsonObject): Promise<RunResult> =>
  kubectlAs(e().cluster, who, ['-n', ns, 'create', '-o', 'json', '-f', '-'], { input: JSON.stringify(object) })

const approvalObject = (name: string, grantName: string, grantUID: string, gen: number, extra: JsonObject = {}): JsonObject =>
  ({ apiVersion: `${GROUP}/v1alpha1`, kind: 'DebugGrantApproval', metadata: { name }, spec: { grant: grantName, grantUID, generation: gen, ...extra } })
const uid = (o: JsonObject): string => (o['metadata'] as { uid: string }).uid

const listRows = async (who: Requester, ns: string): Promise<Array<Record<string, unknown>>> => {
  const r = await grant(who, ['list', '-n', ns, '-o', 'json'])
  if (r.code !== 0) throw new Error(`grant list exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as Array<Record<string, unknown>>
}

let ns = ''

t.before(async () => {
  const { cluster } = e()
  await kubectlOk(cluster, ['apply', '-k', join(REPO_ROOT, 'manifests', 'base', 'crds')])
  await kubectlOk(cluster, ['wait', '--for=condition=Established', '--timeout=60s', `crd/debuggrants.${GROUP}`, `crd/debuggrantapprovals.${GROUP}`])
  ns = await freshNamespace(cluster, 'grants')
  // Requesters create, change and revoke grants, and may create approvals (so that the webhook, not
  // RBAC, is what refuses a self-approval); approvers also hold the custom verb approve; carol may
  // create approvals but not approve.
  const requester = [
    { apiGroups: [GROUP], resources: ['debuggrants'], verbs: ['get', 'list', 'create', 'patch', 'update'] },
    { apiGroups: [GROUP], resources: ['debuggrantapprovals'], verbs: ['get', 'list', 'create', 'patch', 'update'] },
  ]
  const approver = [...requester, { apiGroups: [GROUP], resources: ['debuggrants'], verbs: ['approve'] }]
  await applyClusterRole(cluster, 'grant-requester', requester)
  await applyClusterRole(cluster, 'grant-approver', approver)
  await bindRole(cluster, ns, 'grant-requester', { users: ['alice', 'carol'] }, requester)
  await bindRole(cluster, ns, 'grant-approver', { groups: ['approvers'] }, approver)
})

t.test('the grant webhooks are registered as the manifest has them', async (t) => {
  for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
    const config = JSON.parse(await kubectlOk(e().cluster, ['get', kind, 'ephemeral-guard', '-o', 'json'])) as { webhooks: JsonObject[] }
    const hook = config.webhooks.find((w) => w['name'] === GRANT_WEBHOOK)
    t.match(hook, { failurePolicy: 'Fail', sideEffects: 'None', timeoutSeconds: 5 }, kind)
  }
})

t.test('the whole story, each step as its user', async (t) => {
  const { cluster } = e()

  // Requested: the requester stamped from the request; --user defaults to the current user.
  const requested = await grant(ALICE, ['request', 'inc-1', '-n', ns, '--pod', 'web-0', '--duration', '1h', '--reason', 'INC-1'])
  t.equal(requested.code, 0, 'grant request', { stderr: requested.stderr })
  t.match(requested.stdout, `debuggrant inc-1 requested in namespace ${ns} by alice\n`)
  t.match(requested.stdout, `an approver runs: ephemeral-guard grant approve inc-1 -n ${ns}\n`)
  const g1 = await get(ns, 'debuggrants', 'inc-1')
  t.match(spec(g1), { requestedBy: 'alice', subjects: { users: ['alice'] }, pods: { names: ['web-0'] }, duration: '1h', reason: 'INC-1' })

  // A forged requester is replaced on CREATE.
  const forged = await createAs(ALICE, ns, { apiVersion: `${GROUP}/v1alpha1`, kind: 'DebugGrant', metadata: { name: 'forged' }, spec: { subjects: { users: ['alice'] }, pods: { names: ['web-0'] }, reason: 'x', duration: '1h', requestedBy: 'bob' } })
  t.equal(forged.code, 0, 'created', { stderr: forged.stderr })
  t.equal(spec(JSON.parse(forged.stdout) as JsonObject)['requestedBy'], 'alice', 'the forged requestedBy "bob" was replaced by the requester')
  // ... and cannot be changed later.
  const change = await kubectlAs(cluster, ALICE, ['-n', ns, 'patch', `debuggrants.${GROUP}`, 'forged', '--type=merge', '-p', '{"spec":{"requestedBy":"bob"}}'])
  t.not(change.code, 0, 'changing requestedBy is refused')
  t.match(change.stderr, /requestedBy (is immutable|cannot be changed)/)

  // Self-approval refused, by the webhook (alice may create approvals).
  const self = await grant(ALICE, ['approve', 'inc-1', '-n', ns])
  t.equal(self.code, 2)
  t.match(self.stderr, `admission webhook "${GRANT_WEBHOOK}" denied the request: ephemeral-guard: "alice" requested grant "inc-1" and cannot approve it: the approver must be someone else`)

  // Without RBAC's approve: refused after the SubjectAccessReview.
  const carol = await grant(CAROL, ['approve', 'inc-1', '-n', ns])
  t.equal(carol.code, 2)
  t.match(carol.stderr, `admission webhook "${GRANT_WEBHOOK}" denied the request: ephemeral-guard: "carol" may not approve grant "inc-1": RBAC does not allow verb "approve" on debuggrants.${GROUP} in namespace "${ns}"`)

  t.match(await listRows(BOB, ns), [{ name: 'forged' }, { name: 'inc-1', requester: 'alice', state: 'Pending', approvals: 0, expires: '' }], 'no approval counts yet')

  // Approved by an approver (bob, through the group approvers).
  const approved = await grant(BOB, ['approve', 'inc-1', '-n', ns])
  t.equal(approved.code, 0, 'grant approve', { stderr: approved.stderr })
  t.match(approved.stdout, /^debuggrant inc-1 generation 1 approved by bob \(debuggrantapproval inc-1-[a-z0-9]+\)\n$/)
  const approvals = (JSON.parse(await kubectlOk(cluster, ['-n', ns, 'get', `debuggrantapprovals.${GROUP}`, '-o', 'json'])) as { items: JsonObject[] }).items
  t.same(approvals.map((a) => spec(a)), [{ grant: 'inc-1', grantUID: uid(g1), generation: 1, approver: 'bob' }], 'the approver stamped from the request')

  // A forged approver is replaced: bob writes "dave".
  const forgedApproval = await createAs(BOB, ns, approvalObject('by-dave', 'inc-1', uid(g1), 1, { approver: 'dave' }))
  t.equal(forgedApproval.code, 0, { stderr: forgedApproval.stderr })
  t.equal(spec(JSON.parse(forgedApproval.stdout) as JsonObject)['approver'], 'bob', 'the forged approver "dave" was replaced by bob')
  // An approval cannot be changed.
  const edit = await kubectlAs(cluster, BOB, ['-n', ns, 'patch', `debuggrantapprovals.${GROUP}`, 'by-dave', '--type=merge', '-p', '{"spec":{"generation":2}}'])
  t.not(edit.code, 0, 'an approval is immutable')
  t.match(edit.stderr, /immutable/)

  // Active: grant list computes it from the approvals (bob counted once).
  const active = (await listRows(ALICE, ns)).find((r) => r['name'] === 'inc-1')
  t.match(active, { requester: 'alice', pods: 'web-0', state: 'Active', approvals: 1, approvedBy: ['bob'], expires: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/ })
  const table = await grant(ALICE, ['list', '-n', ns])
  t.match(table.stdout, /^NAME +REQUESTER +PODS +STATE +EXPIRES +APPROVALS\n/)
  t.match(table.stdout, /\ninc-1 +alice +web-0 +Active +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in [0-9a-z]+\) +1 \(bob\)\n/)

  // The scope changes: generation 2; the approval of generation 1 stops counting, and a new one for 1 is refused.
  await kubectlOk(cluster, ['-n', ns, 'patch', `debuggrants.${GROUP}`, 'inc-1', '--type=merge', '-p', '{"spec":{"pods":{"names":["web-0","db-0"]}}}', '--as=alice'])
  const g2 = await get(ns, 'debuggrants', 'inc-1')
  t.equal(generation(g2), 2, 'a spec change bumps the generation')
  t.match((await listRows(ALICE, ns)).find((r) => r['name'] === 'inc-1'), { state: 'Pending', approvals: 0 }, 'the earlier approval no longer counts')
  const stale = await createAs(BOB, ns, approvalObject('stale', 'inc-1', uid(g1), 1))
  t.not(stale.code, 0, 'an approval of the stale generation is refused')
  t.match(stale.stderr, `ephemeral-guard: grant "inc-1" is at generation 2, not 1: its spec changed; approve what it asks now`)
  const again = await grant(BOB, ['approve', 'inc-1', '-n', ns])
  t.equal(again.code, 0, 'the current generation can be approved', { stderr: again.stderr })
  t.match(again.stdout, /generation 2 approved by bob/)
  t.match((await listRows(ALICE, ns)).find((r) => r['name'] === 'inc-1'), { state: 'Active', approvals: 1 })

  // An approval of a grant that does not exist; of one deleted and created again under its name.
  const missing = await createAs(BOB, ns, approvalObject('missing', 'nope', 'x', 1))
  t.not(missing.code, 0)
  t.match(missing.stderr, `ephemeral-guard: debuggrants.${GROUP} "nope" not found in namespace "${ns}"`)
  const oldForged = await get(ns, 'debuggrants', 'forged')
  await kubectlOk(cluster, ['-n', ns, 'delete', `debuggrants.${GROUP}`, 'forged'])
  t.equal((await grant(ALICE, ['request', 'forged', '-n', ns, '--pod', 'db-0', '--duration', '1h', '--reason', 'again'])).code, 0)
  const recreated = await createAs(BOB, ns, approvalObject('old-uid', 'forged', uid(oldForged), 1))
  t.not(recreated.code, 0, 'an approval naming the deleted grant\'s uid is refused')
  t.match(recreated.stderr, `grant "forged" has uid "${uid(await get(ns, 'debuggrants', 'forged'))}", not "${uid(oldForged)}": it was deleted and created again since`)

  // Revoked: at once, for good.
  const revoked = await grant(ALICE, ['revoke', 'inc-1', '-n', ns])
  t.equal(revoked.code, 0, { stderr: revoked.stderr })
  t.equal(revoked.stdout, 'debuggrant inc-1 revoked\n')
  t.match((await listRows(BOB, ns)).find((r) => r['name'] === 'inc-1'), { state: 'Revoked' })
  const unrevoke = await kubectlAs(cluster, ALICE, ['-n', ns, 'patch', `debuggrants.${GROUP}`, 'inc-1', '--type=merge', '-p', '{"spec":{"revoked":false}}'])
  t.not(unrevoke.code, 0, 'a revocation cannot be undone')
  t.match(unrevoke.stderr, /un-revoked|cannot be undone/)
  const late = await grant(BOB, ['approve', 'inc-1', '-n', ns])
  t.equal(late.code, 2, 'a revoked grant cannot be approved')
  t.match(late.stderr, 'grant "inc-1" was revoked and cannot be approved')

  // Every identity in the decision log came from the request.
  const lines = e().webhook.logs.filter((l) => l.msg === 'grant admission decision' && l['namespace'] === ns)
  t.ok(lines.some((l) => l['webhook'] === 'validate-grants' && l['user'] === 'carol' && l['decision'] === 'deny'), 'the refusal of carol is logged with her name')
})
