// An organisation's policy (serve --policy FILE) against a real API server and real `kubectl debug`
// run as other users (--as / --as-group) with RBAC: rules matched by namespace, user and group,
// `subjects`, exemptions, warn and audit modes, server-side dry run, and reloading the file while
// the server runs. The reload test rewrites the shared policy file, so it runs last.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { stringify } from 'yaml'
import type { JsonObject } from '../../src/kube/types.js'
import type { PolicyDocument } from '../../src/policy/types.js'
import { createTargetPod, ephemeralContainers, ephemeralContainersPath, freshNamespace, withEphemeralContainers } from './support/cluster.js'
import { poll } from './support/process.js'
import { applyClusterRole, bindRole, kubectlAs, type Requester } from './support/rbac.js'
import { fileEnvironment } from './support/setup.js'
import { COMPLIANT, decisions, getReadyz, VALIDATING_WEBHOOK, type LogRecord } from './support/webhook.js'
import { guardNetwork } from './support/network-guard.js'

// Loopback only: fails this file on any socket or Service that could reach off this machine.
guardNetwork(t)

const POLICY: PolicyDocument = {
  apiVersion: 'ephemeral-guard.dev/v1alpha1',
  kind: 'EphemeralContainerPolicy',
  metadata: { name: 'e2e-requesters' },
  spec: {
    mode: 'enforce',
    exemptions: { namespaces: ['exempt-*'], users: ['oncall-bot'], groups: ['break-glass'] },
    rules: [
      // Everywhere, for everyone but "lead".
      { name: 'least-privilege', match: { excludeUsers: ['lead'] }, securityContext: { allowPrivileged: false, allowedCapabilities: ['SYS_PTRACE'] } },
      // Production namespaces: only the sre group may debug at all.
      { name: 'prod-sre-only', match: { namespaces: ['prod-*'] }, subjects: { groups: ['sre'] } },
      // Contractors, wherever they are: busybox only.
      { name: 'contractor-images', match: { groups: ['contractors'] }, images: { allow: ['docker.io/library/busybox'] } },
      // Staging: rolled out in warn and audit modes.
      { name: 'staging-digests', mode: 'warn', match: { namespaces: ['staging-*'] }, images: { requireDigest: true } },
      { name: 'staging-non-root', mode: 'audit', match: { namespaces: ['staging-*'] }, securityContext: { requireRunAsNonRoot: true } },
    ],
  },
}

const policyDir = mkdtempSync(join(tmpdir(), 'ephemeral-guard-e2e-policy-'))
const policyFile = join(policyDir, 'policy.yaml')
/** Replaces the policy file in one step (rename), as a ConfigMap's symlink swap does: never half written. */
const writePolicy = (text: string): void => {
  const next = join(policyDir, 'next.yaml')
  writeFileSync(next, text)
  renameSync(next, policyFile)
}
writePolicy(stringify(POLICY))
t.teardown(() => rmSync(policyDir, { recursive: true, force: true }))

const e = fileEnvironment(t, { serveArgs: () => ['--policy', policyFile] })

const DEBUGGER_ROLE = 'ephemeral-debugger'
t.before(async () => { await applyClusterRole(e().cluster, DEBUGGER_ROLE) })

const DENIED = `Error from server (Forbidden): admission webhook "${VALIDATING_WEBHOOK}" denied the request: `
/** Messages name the container's index in spec.ephemeralContainers, which counts the pod's earlier debug containers. */
const privileged = (i: number): string => `spec.ephemeralContainers[${i}].securityContext.privileged: Forbidden: privileged debug containers are not allowed (rule least-privilege)`
const notAllowedImage = (i: number, image: string, rule: string): string =>
  `spec.ephemeralContainers[${i}].image: Invalid value: "${image}": is not allowed; allowed images: docker.io/library/busybox (rule ${rule})`
const notSre = (user: string): string => `spec.ephemeralContainers: Forbidden: user "${user}" may not add ephemeral containers here (rule prod-sre-only)`

const alice: Requester = { user: 'alice', groups: ['sre'] }
const bob: Requester = { user: 'bob', groups: ['dev'] }
const lead: Requester = { user: 'lead', groups: ['sre'] }
const carol: Requester = { user: 'carol', groups: ['contractors'] }

/** A namespace `<prefix>-<random>` with the pod "target", where `to` may run kubectl debug (RBAC). */
async function debugNamespace(prefix: string, to: { users?: string[]; groups?: string[] }): Promise<string> {
  const { cluster } = e()
  const ns = await freshNamespace(cluster, prefix)
  await createTargetPod(cluster, ns)
  await bindRole(cluster, ns, DEBUGGER_ROLE, to)
  return ns
}

const debugAs = (who: Requester, ns: string, name: string, o: { profile?: string; image?: string } = {}) =>
  kubectlAs(e().cluster, who, ['-n', ns, 'debug', 'pod/target', `--image=${o.image ?? 'busybox:1.36'}`, `--profile=${o.profile ?? 'general'}`, '-c', name])

const names = async (ns: string): Promise<unknown[]> => (await ephemeralContainers(e().cluster, ns, 'target')).map((c) => c['name'])

const decisionsIn = (ns: string, count: number): Promise<LogRecord[]> => decisions(e().webhook, ns, count)
/** [webhook, decision, user, rules] of each logged decision, for compact comparison. */
const summary = (records: readonly LogRecord[]) => records.map((d) => [d['webhook'], d['decision'], d['user'], d['rules']])

t.test('kubectl debug as another user needs RBAC get on pods and patch on pods/ephemeralcontainers', async (t) => {
  const { cluster } = e()
  const ns = await freshNamespace(cluster, 'rbac')
  await createTargetPod(cluster, ns)
  const eve: Requester = { user: 'eve' }

  const nobody = await debugAs(eve, ns, 'none')
  t.not(nobody.code, 0, 'without a binding kubectl debug fails')
  t.ok(nobody.stderr.includes(`Error from server (Forbidden): pods "target" is forbidden: User "eve" cannot get resource "pods" in API group "" in the namespace "${ns}"`),
    'RBAC refuses the GET of the pod', { stderr: nobody.stderr })

  const readOnly = [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]
  await applyClusterRole(cluster, 'pod-reader', readOnly)
  await bindRole(cluster, ns, 'pod-reader', { users: ['eve'] }, readOnly)
  const reader = await debugAs(eve, ns, 'reader')
  t.not(reader.code, 0, 'with get on pods only, kubectl debug still fails')
  t.ok(reader.stderr.includes(`Error from server (Forbidden): pods "target" is forbidden: User "eve" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "${ns}"`),
    'RBAC refuses the PATCH of the subresource', { stderr: reader.stderr })

  // Exactly get on pods and patch on the subresource: enough (no update, list or watch without -i).
  const minimal = [...readOnly, { apiGroups: [''], resources: ['pods/ephemeralcontainers'], verbs: ['patch'] }]
  await applyClusterRole(cluster, 'kubectl-debug-minimal', minimal)
  await bindRole(cluster, ns, 'kubectl-debug-minimal', { users: ['eve'] }, minimal)
  const debugger_ = await debugAs(eve, ns, 'granted')
  t.equal(debugger_.code, 0, 'with get on pods and patch on pods/ephemeralcontainers it works', { stderr: debugger_.stderr })
  t.same(await names(ns), ['granted'], 'only the granted request added a container')
  const logged = await decisionsIn(ns, 2)
  // Authorization comes before admission: the refused requests never reached the webhook.
  t.same(summary(logged), [['mutate', 'patched', 'eve', []], ['validate', 'allowed', 'eve', []]], 'the webhooks saw only the authorized request, as user eve')
})

t.test('in prod-* only the sre group may debug (subjects); the same user may elsewhere', async (t) => {
  const prod = await debugNamespace('prod', { groups: ['sre', 'dev'] })
  const dev = await debugNamespace('dev', { groups: ['dev'] })

  const byAlice = await debugAs(alice, prod, 'alice')
  t.equal(byAlice.code, 0, 'alice (group sre) may debug in prod', { stderr: byAlice.stderr })

  const byBob = await debugAs(bob, prod, 'bob')
  t.not(byBob.code, 0, 'bob (group dev) may not')
  t.ok(byBob.stderr.includes(`${DENIED}${notSre('bob')}\n`), 'the API server relays our denial naming the user and rule', { stderr: byBob.stderr })
  t.notOk(byBob.stderr.includes(`Warning: ${notSre('bob')}\n`), 'the mutating webhook does not repeat the denial as a warning')
  t.same(await names(prod), ['alice'], 'only alice\'s container is stored')

  const bobInDev = await debugAs(bob, dev, 'bob')
  t.equal(bobInDev.code, 0, 'outside prod-* the rule does not match: bob may debug', { stderr: bobInDev.stderr })
  t.same(await names(dev), ['bob'])

  t.same(summary(await decisionsIn(prod, 4)), [
    ['mutate', 'patched', 'alice', []], ['validate', 'allowed', 'alice', []],
    ['mutate', 'patched', 'bob', ['prod-sre-only']], ['validate', 'denied', 'bob', ['prod-sre-only']],
  ], 'decisions logged with the requester and the rule')
})

t.test('rules matched by group, and a user excluded from a rule', async (t) => {
  const ns = await debugNamespace('dev', { users: ['alice', 'lead'], groups: ['contractors'] })

  const aliceSysadmin = await debugAs(alice, ns, 'alice-sysadmin', { profile: 'sysadmin' })
  t.not(aliceSysadmin.code, 0, 'alice may not add a privileged container')
  t.ok(aliceSysadmin.stderr.includes(`${DENIED}${privileged(0)}\n`), 'denied by least-privilege', { stderr: aliceSysadmin.stderr })

  const leadSysadmin = await debugAs(lead, ns, 'lead-sysadmin', { profile: 'sysadmin' })
  t.equal(leadSysadmin.code, 0, 'lead is excluded from least-privilege (match.excludeUsers)', { stderr: leadSysadmin.stderr })

  const carolAlpine = await debugAs(carol, ns, 'carol-alpine', { image: 'alpine:3.20' })
  t.not(carolAlpine.code, 0, 'a contractor may not use alpine')
  t.ok(carolAlpine.stderr.includes(`${DENIED}${notAllowedImage(1, 'alpine:3.20', 'contractor-images')}\n`), 'denied by contractor-images, naming the image', { stderr: carolAlpine.stderr })

  const carolBusybox = await debugAs(carol, ns, 'carol-busybox')
  t.equal(carolBusybox.code, 0, 'a contractor may use busybox', { stderr: carolBusybox.stderr })
  const aliceAlpine = await debugAs(alice, ns, 'alice-alpine', { image: 'alpine:3.20' })
  t.equal(aliceAlpine.code, 0, 'alice is no contractor: alpine is fine for her', { stderr: aliceAlpine.stderr })

  const stored = await ephemeralContainers(e().cluster, ns, 'target')
  t.same(stored.map((c) => [c['name'], (c['securityContext'] as JsonObject | undefined)?.['privileged'] ?? false]),
    [['lead-sysadmin', true], ['carol-busybox', false], ['alice-alpine', false]], 'exactly the allowed containers, lead\'s privileged')
})

t.test('warn mode shows kubectl warnings and audit mode leaves audit annotations; both allow', async (t) => {
  const { cluster } = e()
  const ns = await debugNamespace('staging', { users: ['alice'] })
  const r = await debugAs(alice, ns, 'dbg')
  t.equal(r.code, 0, 'kubectl debug exits 0', { stderr: r.stderr })
  t.ok(r.stderr.includes('Warning: spec.ephemeralContainers[0].image: Invalid value: "busybox:1.36": must be pinned by digest (@sha256:...) (rule staging-digests)\n'),
    'kubectl prints the warn-mode violation', { stderr: r.stderr })
  t.equal(r.stderr.split('(rule staging-digests)').length - 1, 1, 'once: the mutating webhook warns only about enforced rules')
  t.notMatch(r.stderr, /staging-non-root/, 'audit-mode violations are not shown to the user')
  t.same(await names(ns), ['dbg'], 'the container is stored')

  const event = await poll('the ResponseComplete audit event of the ephemeralcontainers patch', async () => cluster.auditEvents().find((ev) => {
    const ref = ev['objectRef'] as JsonObject | undefined
    return ev['stage'] === 'ResponseComplete' && ev['verb'] === 'patch' && ref?.['subresource'] === 'ephemeralcontainers' && ref['namespace'] === ns
  }), { timeoutMs: 5000, intervalMs: 100 })
  t.equal((event['impersonatedUser'] as JsonObject | undefined)?.['username'], 'alice', 'the event is alice\'s request')
  const annotations = event['annotations'] as Record<string, string>
  t.equal(annotations[`${VALIDATING_WEBHOOK}/staging-non-root`],
    'spec.ephemeralContainers[0].securityContext.runAsNonRoot: Required value: must be true (rule staging-non-root)', 'the audit-mode violation, under <webhook name>/<rule>')
  t.notOk(`${VALIDATING_WEBHOOK}/staging-digests` in annotations, 'warn-mode violations are not audit annotations')

  const [, validate] = await decisionsIn(ns, 2)
  t.same([validate?.['decision'], validate?.['rules']], ['allowed', ['staging-digests', 'staging-non-root']], 'the decision log names both rules')
})

t.test('exemptions let requests through unevaluated', async (t) => {
  const exempt = await debugNamespace('exempt', { users: ['alice'] })
  const dev = await debugNamespace('dev', { users: ['alice', 'oncall-bot'] })
  const prod = await debugNamespace('prod', { users: ['alice', 'carol'] })
  const responder: Requester = { user: 'carol', groups: ['break-glass'] }

  const cases: Array<[string, Requester, string, string]> = [
    ['an exempt namespace', alice, exempt, `namespace "${exempt}" matches exemption "exempt-*"`],
    ['an exempt user', { user: 'oncall-bot' }, dev, 'user "oncall-bot" matches exemption "oncall-bot"'],
    ['an exempt group (no sre, in prod)', responder, prod, 'group "break-glass" matches exemption "break-glass"'],
  ]
  for (const [what, who, ns, note] of cases) {
    const r = await debugAs(who, ns, 'exempt', { profile: 'sysadmin' })
    t.equal(r.code, 0, `${what}: a privileged container is allowed`, { stderr: r.stderr })
    t.notMatch(r.stderr, /Warning:/, `${what}: no warnings`)
    const [c] = await ephemeralContainers(e().cluster, ns, 'target')
    t.equal(c?.['imagePullPolicy'], 'IfNotPresent', `${what}: not mutated either (the API server's default pull policy)`)
    t.same((await decisionsIn(ns, 2)).map((d) => [d['webhook'], d['decision'], d['note']]), [['mutate', 'exempt', note], ['validate', 'exempt', note]], `${what}: logged as exempt with the reason`)
  }

  const control = await debugAs(alice, dev, 'control', { profile: 'sysadmin' })
  t.ok(control.stderr.includes(`${DENIED}${privileged(1)}\n`), 'the same request by a user who is not exempt, outside exempt namespaces, is denied', { stderr: control.stderr })
})

t.test('server-side dry run of a policy rule: same decision per requester, nothing stored', async (t) => {
  const { cluster } = e()
  const ns = await debugNamespace('prod', { groups: ['sre', 'dev'] })
  const path = `${ephemeralContainersPath(ns, 'target')}?dryRun=All`
  const body = JSON.stringify(await withEphemeralContainers(cluster, ns, 'target', [COMPLIANT]))

  const byBob = await kubectlAs(cluster, bob, ['replace', '--raw', path, '-f', '-'], { input: body })
  t.not(byBob.code, 0, 'bob is refused')
  t.ok(byBob.stderr.includes(`admission webhook "${VALIDATING_WEBHOOK}" denied the request: ${notSre('bob')}`), 'with the message of a real request', { stderr: byBob.stderr })

  const byAlice = await kubectlAs(cluster, alice, ['replace', '--raw', path, '-f', '-'], { input: body })
  t.equal(byAlice.code, 0, 'alice is allowed', { stderr: byAlice.stderr })
  const answered = (((JSON.parse(byAlice.stdout) as JsonObject)['spec'] as JsonObject)['ephemeralContainers'] ?? []) as JsonObject[]
  t.same(answered.map((c) => [c['name'], c['imagePullPolicy']]), [[COMPLIANT.name, 'Always']], 'the answer shows the container as it would be stored')
  t.same(await names(ns), [], 'nothing is stored')
  t.same((await decisionsIn(ns, 4)).map((d) => [d['webhook'], d['decision'], d['user'], d['dryRun']]), [
    ['mutate', 'patched', 'bob', true], ['validate', 'denied', 'bob', true],
    ['mutate', 'patched', 'alice', true], ['validate', 'allowed', 'alice', true],
  ], 'both webhooks judged each dry run for its requester')
})

const readyz = (): Promise<{ status: number; body: JsonObject }> => getReadyz(e().webhook)

t.test('the policy file is reloaded while the server runs; an invalid rewrite keeps the last good policy', async (t) => {
  const { webhook } = e()
  const dave: Requester = { user: 'dave' }
  const ns = await debugNamespace('reload', { users: ['dave'] })
  const before = await debugAs(dave, ns, 'before', { image: 'alpine:3.20' })
  t.equal(before.code, 0, 'alpine is allowed by the first policy', { stderr: before.stderr })
  const first = (await readyz()).body['policy'] as JsonObject

  const v2 = structuredClone(POLICY)
  v2.metadata.name = 'e2e-requesters-v2'
  v2.spec.rules?.push({ name: 'only-busybox', match: { namespaces: ['reload-*'] }, images: { allow: ['docker.io/library/busybox'] } })
  writePolicy(stringify(v2))
  const reloaded = await poll('the "policy reloaded" log record', async () => webhook.logs.find((r) => r.msg === 'policy reloaded' && r['policy'] === 'e2e-requesters-v2'), { timeoutMs: 10_000, intervalMs: 100 })
  t.not(reloaded['hash'], first['hash'], 'a new hash')
  t.has((await readyz()).body, { status: 'ok', policy: { name: 'e2e-requesters-v2', hash: reloaded['hash'], source: policyFile } }, '/readyz shows the new policy')

  const alpine = await debugAs(dave, ns, 'alpine', { image: 'alpine:3.20' })
  t.not(alpine.code, 0, 'the new rule denies alpine at once')
  t.ok(alpine.stderr.includes(`${DENIED}${notAllowedImage(1, 'alpine:3.20', 'only-busybox')}\n`), 'with the new rule\'s message', { stderr: alpine.stderr })

  writePolicy(stringify({ ...v2, metadata: { name: 'e2e-requesters-broken' }, spec: { ...v2.spec, mode: 'sometimes' } }))
  const failed = await poll('the "policy reload failed" log record', async () => webhook.logs.find((r) => r.msg === 'policy reload failed; keeping the last good policy'), { timeoutMs: 10_000, intervalMs: 100 })
  t.equal(failed['policy'], 'e2e-requesters-v2', 'the log names the policy that stays in force')
  t.same(failed['problems'], ['spec.mode: must be one of "enforce", "warn", "audit"'], 'and the problem')
  const ready = await readyz()
  t.equal(ready.status, 200, '/readyz stays 200: the last good policy keeps serving')
  t.has(ready.body, { policy: { name: 'e2e-requesters-v2', hash: reloaded['hash'], reloadError: { message: 'policy file is invalid; the last good policy stays in force' } } }, 'and shows the failed reload')

  const stillDenied = await debugAs(dave, ns, 'alpine-again', { image: 'alpine:3.20' })
  t.ok(stillDenied.stderr.includes(`${DENIED}${notAllowedImage(1, 'alpine:3.20', 'only-busybox')}\n`), 'the last good policy still denies alpine', { stderr: stillDenied.stderr })
  const busybox = await debugAs(dave, ns, 'busybox')
  t.equal(busybox.code, 0, 'and allows busybox', { stderr: busybox.stderr })
  t.same(await names(ns), ['before', 'busybox'])

  writePolicy(stringify(POLICY))
  await poll('the first policy to be reloaded', async () => webhook.logs.find((r) => r.msg === 'policy reloaded' && r['policy'] === 'e2e-requesters'), { timeoutMs: 10_000, intervalMs: 100 })
  const recovered = await readyz()
  t.same(recovered.body['policy'], { ...first, loadedAt: (recovered.body['policy'] as JsonObject)['loadedAt'] }, 'a valid file again: the first policy, hash and all, and no reloadError')
  const alpineAgain = await debugAs(dave, ns, 'alpine-after', { image: 'alpine:3.20' })
  t.equal(alpineAgain.code, 0, 'alpine is allowed again', { stderr: alpineAgain.stderr })
})
