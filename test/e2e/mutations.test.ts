// spec.mutations against a real API server with Pod Security admission on: the namespace cache fed by a
// real list+watch, and a plain `kubectl debug POD --image=busybox` (kubectl 1.37's default profile is
// `general`, which adds SYS_PTRACE) admitted in a namespace enforcing restricted, pulled through the
// mirror and attributed.
import t from 'tap'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { JsonObject } from '../../src/kube/types.js'
import { profileContainer, type Profile } from '../support/reviews.js'
import { ephemeralContainers, ephemeralContainersPath, freshNamespace, kubectlOk, withEphemeralContainers, type Cluster } from './support/cluster.js'
import { poll } from './support/process.js'
import { fileEnvironment } from './support/setup.js'
import { decisions, getReadyz, MUTATING_WEBHOOK } from './support/webhook.js'
import { guardNetwork } from './support/network-guard.js'

// Loopback only: fails this file on any socket or Service that could reach off this machine.
guardNetwork(t)

const POLICY = `apiVersion: ephemeral-guard.dev/v1alpha1
kind: EphemeralContainerPolicy
metadata: {name: e2e-mutations}
spec:
  exemptions:
    namespaces: ["nofit-*"]        # no webhook decision at all here: Pod Security alone decides
  mutations:
    registryMirrors: {docker.io: mirror.example.com/dockerhub}
    podSecurity: {fit: true}
    provenance: {enabled: true}
  rules:
    - {name: no-privileged, securityContext: {allowPrivileged: false}}
    - {name: allowed-capabilities, securityContext: {allowedCapabilities: [SYS_PTRACE, NET_BIND_SERVICE]}}
    - {name: mirrored-images, images: {allow: ["mirror.example.com/**"]}}
`
const POLICY_ID = `e2e-mutations@${createHash('sha256').update(POLICY).digest('hex').slice(0, 12)}`
const MIRRORED = 'mirror.example.com/dockerhub/library/busybox'
const ENFORCE = 'pod-security.kubernetes.io/enforce'
const LEVELS = ['privileged', 'baseline', 'restricted'] as const
type Level = (typeof LEVELS)[number]

const e = fileEnvironment(t, {
  serveArgs: (cluster, dataDir) => {
    const file = join(dataDir, 'policy.yaml')
    writeFileSync(file, POLICY)
    return ['--policy', file, '--kubeconfig', cluster.info.kubeconfig]
  },
})

/** A pod that passes restricted itself (Pod Security evaluates the whole pod when a debug container is added). */
async function restrictedPod(cluster: Cluster, namespace: string): Promise<void> {
  const pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'target' },
    spec: {
      containers: [{
        name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'],
        securityContext: { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
      }],
    },
  }
  await kubectlOk(cluster, ['-n', namespace, 'create', '-f', '-'], { input: JSON.stringify(pod) })
}

async function labelledNamespace(cluster: Cluster, prefix: string, level: Level): Promise<string> {
  const ns = await freshNamespace(cluster, prefix)
  await kubectlOk(cluster, ['label', 'namespace', ns, `${ENFORCE}=${level}`])
  await restrictedPod(cluster, ns)
  return ns
}

/** The ephemeral container as the API server would store it after admission (dry run: nothing stored). */
async function dryRun(namespace: string, container: JsonObject): Promise<{ status: number; message: string; container?: JsonObject }> {
  const { cluster } = e()
  const body = await withEphemeralContainers(cluster, namespace, 'target', [container])
  const r = await cluster.api('PUT', `${ephemeralContainersPath(namespace, 'target')}?dryRun=All`, body)
  const list = ((r.body['spec'] as JsonObject | undefined)?.['ephemeralContainers'] ?? []) as JsonObject[]
  return { status: r.status, message: String(r.body['message'] ?? ''), ...(list[0] ? { container: list[0] } : {}) }
}

const debugOf = (profile: Profile): JsonObject => profileContainer(profile, { name: 'dbg', image: 'busybox:1.36', targetContainerName: 'app' })
const sc = (c: JsonObject | undefined): JsonObject | undefined => c?.['securityContext'] as JsonObject | undefined

/** Waits until the webhook's namespace cache has seen `namespace` at `level` (the fit shows it). */
async function fitVisible(namespace: string, level: 'baseline' | 'restricted'): Promise<void> {
  let last = ''
  await poll(`the fit for ${level} in ${namespace}`, async () => {
    const r = await dryRun(namespace, debugOf('general'))
    last = `${r.status} ${r.message} ${JSON.stringify(sc(r.container))}`
    const s = sc(r.container)
    return (level === 'restricted' ? s?.['runAsNonRoot'] === true : r.status === 200 && s === undefined) ? true : undefined
  }, { timeoutMs: 15_000, intervalMs: 200, last: () => last })
}

t.test('the namespace cache is synced from the real API server at start', async (t) => {
  const started = e().webhook.logs.find((r) => r.msg === 'namespace cache started')
  t.ok(started, 'serve logged the cache start', { logs: e().webhook.logs.map((r) => r.msg) })
  t.equal(started?.['synced'], true, 'synced before serving')
  t.ok(Number(started?.['namespaces']) >= 4, 'it listed the namespaces there were (default, kube-system, kube-public, kube-node-lease, ...)')
  t.equal(started?.['server'], e().cluster.info.server, 'from the API server of --kubeconfig')
  const ready = await getReadyz(e().webhook)
  t.equal(ready.status, 200)
  t.match(ready.body['namespaceCache'], { synced: true, watching: true }, '/readyz shows the namespace cache')
})

t.test('a label added and changed later reaches the cache through the watch', async (t) => {
  const { cluster } = e()
  const ns = await freshNamespace(cluster, 'relabel')
  await restrictedPod(cluster, ns)
  const before = await dryRun(ns, debugOf('general'))
  t.equal(before.status, 200, 'no enforce label: privileged, admitted')
  t.same(sc(before.container), { capabilities: { add: ['SYS_PTRACE'] } }, 'and nothing fitted')
  await kubectlOk(cluster, ['label', 'namespace', ns, `${ENFORCE}=baseline`])
  await fitVisible(ns, 'baseline')
  t.pass('baseline seen: SYS_PTRACE removed')
  await kubectlOk(cluster, ['label', '--overwrite', 'namespace', ns, `${ENFORCE}=restricted`])
  await fitVisible(ns, 'restricted')
  t.pass('the change to restricted seen: the container is fitted to restricted')
})

t.test('without the fit, Pod Security refuses a plain kubectl debug in a restricted namespace', async (t) => {
  const { cluster } = e()
  const ns = await labelledNamespace(cluster, 'nofit', 'restricted')
  const r = await cluster.kubectl(['-n', ns, 'debug', 'pod/target', '--image=busybox', '-c', 'dbg'])
  t.not(r.code, 0, 'kubectl debug fails')
  t.match(r.stderr, /violates PodSecurity "restricted:latest"/, 'refused by Pod Security', { stderr: r.stderr })
  t.match(r.stderr, /unrestricted capabilities \(container "dbg" must set securityContext\.capabilities\.drop=\["ALL"\]; container "dbg" must not include "SYS_PTRACE"/)
  t.same(await ephemeralContainers(cluster, ns, 'target'), [], 'nothing added')
})

t.test('a plain kubectl debug in a restricted namespace is admitted, fitted, mirrored and attributed', async (t) => {
  const { cluster, webhook } = e()
  const ns = await labelledNamespace(cluster, 'restricted', 'restricted')
  await fitVisible(ns, 'restricted')
  const before = Date.now()
  const r = await cluster.kubectl(['-n', ns, 'debug', 'pod/target', '--image=busybox', '-c', 'dbg'])
  t.equal(r.code, 0, 'kubectl debug exits 0', { stderr: r.stderr })
  t.ok(r.stderr.includes('Warning: spec.ephemeralContainers[0].securityContext.capabilities.add: removed "SYS_PTRACE" (kubectl debug\'s default profile): Pod Security "restricted:latest" of namespace'),
    'kubectl shows why SYS_PTRACE is gone', { stderr: r.stderr })
  const [c, ...more] = await ephemeralContainers(cluster, ns, 'target')
  t.equal(more.length, 0, 'one ephemeral container')
  t.equal(c?.['image'], MIRRORED, 'pulled through the mirror (no tag: as kubectl sent it)')
  t.equal(c?.['imagePullPolicy'], 'Always', 'not pinned: Always')
  t.same(sc(c), { capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, runAsUser: 65534 },
    'the smallest securityContext restricted takes; no --target and no pod-level uid: nobody')
  const env = Object.fromEntries(((c?.['env'] ?? []) as JsonObject[]).map((v) => [v['name'], v['value']]))
  t.equal(env['EPHEMERAL_GUARD_REQUESTED_BY'], 'admin', 'attributed to the kubeconfig\'s user')
  t.equal(env['EPHEMERAL_GUARD_POLICY'], POLICY_ID)
  const at = Date.parse(String(env['EPHEMERAL_GUARD_REQUESTED_AT']))
  t.match(env['EPHEMERAL_GUARD_REQUESTED_AT'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'RFC 3339')
  t.ok(at >= Math.floor(before / 1000) * 1000 - 1000 && at <= Date.now(), 'the time of the request')

  // kubectl debug sends a patch; the dry-run updates of fitVisible are `update` events of their own.
  const event = await poll('the ResponseComplete audit event of kubectl debug', async () => cluster.auditEvents().find((ev) => {
    const ref = ev['objectRef'] as JsonObject | undefined
    return ev['stage'] === 'ResponseComplete' && ev['verb'] === 'patch' && ref?.['subresource'] === 'ephemeralcontainers' && ref['namespace'] === ns
  }), { timeoutMs: 5000, intervalMs: 100 })
  const annotations = event['annotations'] as Record<string, string>
  t.equal(annotations[`${MUTATING_WEBHOOK}/requested-by`], 'admin', 'the audit log says who')
  t.equal(annotations[`${MUTATING_WEBHOOK}/requested-at`], env['EPHEMERAL_GUARD_REQUESTED_AT'], 'and when, as in the container')
  t.equal(annotations[`${MUTATING_WEBHOOK}/policy`], POLICY_ID)
  const logged = await decisions(webhook, ns, 2)
  t.same(logged.slice(-2).map((d) => [d['webhook'], d['decision'], d['user']]), [['mutate', 'patched', 'admin'], ['validate', 'allowed', 'admin']])
})

t.test('a forged EPHEMERAL_GUARD_REQUESTED_BY is replaced with the true username', async (t) => {
  const { cluster } = e()
  const ns = await freshNamespace(cluster, 'forged')
  await restrictedPod(cluster, ns)
  const r = await dryRun(ns, { ...debugOf('general'), env: [{ name: 'EPHEMERAL_GUARD_REQUESTED_BY', value: 'someone-else' }] })
  t.equal(r.status, 200)
  t.same((r.container?.['env'] as JsonObject[])[0], { name: 'EPHEMERAL_GUARD_REQUESTED_BY', value: 'admin' })
})

t.test('with --target, the debug container runs as the target container\'s uid', async (t) => {
  const { cluster } = e()
  const ns = await labelledNamespace(cluster, 'target-uid', 'restricted')
  await fitVisible(ns, 'restricted')
  const r = await cluster.kubectl(['-n', ns, 'debug', 'pod/target', '--image=busybox:1.36', '--target=app', '-c', 'dbg'])
  t.equal(r.code, 0, 'kubectl debug --target exits 0', { stderr: r.stderr })
  const [c] = await ephemeralContainers(cluster, ns, 'target')
  t.equal(sc(c)?.['runAsUser'], 1000, 'runAsUser of container "app"')
})

// Every profile that the policy allows, under every level, through the real Pod Security admission.
const levelNamespaces = new Map<Level, string>()
t.test('each kubectl debug profile passes each Pod Security level once fitted', async (t) => {
  const { cluster } = e()
  for (const level of LEVELS) {
    const ns = await labelledNamespace(cluster, `level-${level}`, level)
    if (level !== 'privileged') await fitVisible(ns, level)
    levelNamespaces.set(level, ns)
  }
  for (const level of LEVELS) {
    for (const profile of ['legacy', 'general', 'baseline', 'restricted'] as const) {
      const r = await dryRun(levelNamespaces.get(level)!, debugOf(profile))
      t.equal(r.status, 200, `--profile=${profile} in a ${level} namespace: admitted`, { message: r.message })
      t.equal(r.container?.['image'], `${MIRRORED}:1.36`, `--profile=${profile} in a ${level} namespace: mirrored`)
    }
  }
  const sysadmin = await dryRun(levelNamespaces.get('restricted')!, debugOf('sysadmin'))
  t.equal(sysadmin.status, 403, 'privileged is never fitted away: refused')
})
