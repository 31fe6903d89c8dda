// Issue 18 through a real API server and real `kubectl debug`: the built-in default policy's verdict
// for every kubectl debug --profile, the privileged-equivalents it refuses (sent as raw PUTs of the
// pods/ephemeralcontainers subresource: kubectl debug has no flag for them), and SYS_PTRACE refused
// where it would reach the node (a hostPID pod, a privileged target, a shared process namespace).
import t from 'tap'
import type { JsonObject } from '../../src/kube/types.js'
import { PROFILE_SECURITY_CONTEXT, type Profile } from '../support/reviews.js'
import { ephemeralContainers, ephemeralContainersPath, freshNamespace, kubectlOk, withEphemeralContainers, type Cluster } from './support/cluster.js'
import { fileEnvironment } from './support/setup.js'
import { decisions, VALIDATING_WEBHOOK } from './support/webhook.js'
import { guardNetwork } from './support/network-guard.js'

// Loopback only: fails this file on any socket or Service that could reach off this machine.
guardNetwork(t)

// No serve arguments: the server runs the built-in policy (policies/default.yaml).
const e = fileEnvironment(t)

const DENIED = `admission webhook "${VALIDATING_WEBHOOK}" denied the request: `
const at = (rest: string): string => `spec.ephemeralContainers[0].${rest}`

// The README's table: the default policy per profile, in a plain pod.
const EXPECTED: Array<[Profile, string[]]> = [
  ['legacy', []],
  ['general', []],
  ['baseline', []],
  ['restricted', []],
  ['netadmin', [
    at('securityContext.capabilities.add[0]: Forbidden: capability "NET_ADMIN" is not allowed; allowed: SYS_PTRACE (rule allowed-capabilities)'),
    at('securityContext.capabilities.add[1]: Forbidden: capability "NET_RAW" is not allowed; allowed: SYS_PTRACE (rule allowed-capabilities)'),
  ]],
  ['sysadmin', [at('securityContext.privileged: Forbidden: privileged debug containers are not allowed (rule no-privileged)')]],
]

const aggregate = (messages: readonly string[]): string => (messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`)

async function createPod(cluster: Cluster, namespace: string, spec: JsonObject): Promise<void> {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'target' }, spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }], ...spec } }
  await kubectlOk(cluster, ['-n', namespace, 'create', '-f', '-'], { input: JSON.stringify(pod) })
}

const debug = (namespace: string, profile: Profile, extra: string[] = []) =>
  e().cluster.kubectl(['-n', namespace, 'debug', 'pod/target', '--image=busybox:1.36', `--profile=${profile}`, '-c', 'dbg', ...extra])

for (const [profile, messages] of EXPECTED) {
  t.test(`default policy: kubectl debug --profile=${profile} is ${messages.length === 0 ? 'allowed' : 'denied'}`, async (t) => {
    const { cluster, webhook } = e()
    const ns = await freshNamespace(cluster, `profile-${profile}`)
    await createPod(cluster, ns, {})
    const r = await debug(ns, profile)
    const stored = await ephemeralContainers(cluster, ns, 'target')
    const logged = await decisions(webhook, ns, 2)
    const validated = logged.find((d) => d['webhook'] === 'validate')
    if (messages.length === 0) {
      t.equal(r.code, 0, 'kubectl debug exits 0', { stderr: r.stderr })
      t.same(stored.map((c) => [c['name'], c['securityContext']]), [['dbg', PROFILE_SECURITY_CONTEXT[profile]]], `the container is stored with the ${profile} profile's securityContext`)
      t.equal(validated?.['decision'], 'allowed', 'the validating webhook allowed it')
    } else {
      t.not(r.code, 0, 'kubectl debug fails')
      t.ok(r.stderr.includes(`Error from server (Forbidden): ${DENIED}${aggregate(messages)}\n`), 'the API server relays the denial verbatim', { stderr: r.stderr })
      t.same(stored, [], 'nothing is stored')
      t.equal(validated?.['decision'], 'denied', 'the validating webhook denied it')
    }
  })
}

// Raw PUTs: each refused by no-privileged-equivalents (Pod Security baseline's checks); the API
// server's own validation accepts each of them, so the 403 is the webhook's.
const EQUIVALENTS: Array<[name: string, securityContext: JsonObject, message: string]> = [
  ['seccomp Unconfined', { seccompProfile: { type: 'Unconfined' } },
    at('securityContext.seccompProfile.type: Forbidden: must be "RuntimeDefault" or "Localhost", not "Unconfined" (Pod Security baseline:latest, check seccompProfile_baseline) (rule no-privileged-equivalents)')],
  ['AppArmor Unconfined', { appArmorProfile: { type: 'Unconfined' } },
    at('securityContext.appArmorProfile.type: Forbidden: must be "RuntimeDefault" or "Localhost", not "Unconfined" (Pod Security baseline:latest, check appArmorProfile) (rule no-privileged-equivalents)')],
  ['SELinux type spc_t', { seLinuxOptions: { type: 'spc_t' } },
    at('securityContext.seLinuxOptions.type: Forbidden: must not be "spc_t"; allowed: container_t, container_init_t, container_kvm_t, container_engine_t or empty (Pod Security baseline:latest, check seLinuxOptions) (rule no-privileged-equivalents)')],
]

t.test('default policy: privileged-equivalents sent as a raw PUT are refused, and a confined one passes', async (t) => {
  const { cluster } = e()
  const ns = await freshNamespace(cluster, 'equivalents')
  await createPod(cluster, ns, {})
  const put = async (securityContext: JsonObject) => cluster.kubectl(['replace', '--raw', ephemeralContainersPath(ns, 'target'), '-f', '-'], {
    input: JSON.stringify(await withEphemeralContainers(cluster, ns, 'target', [{ name: 'dbg', image: 'busybox:1.36', securityContext }])),
  })
  for (const [name, securityContext, message] of EQUIVALENTS) {
    const r = await put(securityContext)
    t.not(r.code, 0, `${name}: refused`)
    t.ok(r.stderr.includes(`${DENIED}${message}`), `${name}: with the check's message`, { stderr: r.stderr })
  }
  t.same(await ephemeralContainers(cluster, ns, 'target'), [], 'nothing was stored')
  const ok = await put({ seccompProfile: { type: 'RuntimeDefault' }, appArmorProfile: { type: 'RuntimeDefault' }, seLinuxOptions: { type: 'container_t' } })
  t.equal(ok.code, 0, 'RuntimeDefault profiles and container_t pass', { stderr: ok.stderr })
})

const PTRACE = at('securityContext.capabilities.add[0]: Forbidden: "SYS_PTRACE"')
const PTRACE_CASES: Array<[name: string, spec: JsonObject, target: string | undefined, message: string | undefined]> = [
  ['a hostPID pod', { hostPID: true }, 'app', `${PTRACE} reaches the node's processes (spec.hostPID: true) (rule no-ptrace-to-node)`],
  ['a pod whose target is privileged', { containers: [{ name: 'app', image: 'busybox:1.36', securityContext: { privileged: true } }] }, 'app',
    `${PTRACE} reaches container "app", which Pod Security baseline refuses (privileged) (rule no-ptrace-to-node)`],
  ['a pod sharing its process namespace with a privileged sidecar, whatever the target', {
    shareProcessNamespace: true,
    containers: [{ name: 'app', image: 'busybox:1.36' }, { name: 'agent', image: 'busybox:1.36', securityContext: { privileged: true } }],
  }, 'app', `${PTRACE} reaches container "agent", which Pod Security baseline refuses (privileged) (rule no-ptrace-to-node)`],
  ['a pod with a privileged container it does not target (no shared process namespace)', { containers: [{ name: 'app', image: 'busybox:1.36', securityContext: { privileged: true } }] }, undefined, undefined],
]

for (const [name, spec, target, message] of PTRACE_CASES) {
  t.test(`default policy: kubectl debug --profile=general in ${name} is ${message === undefined ? 'allowed' : 'denied'}`, async (t) => {
    const { cluster } = e()
    const ns = await freshNamespace(cluster, 'ptrace')
    await createPod(cluster, ns, spec)
    const r = await debug(ns, 'general', target === undefined ? [] : [`--target=${target}`])
    if (message === undefined) {
      t.equal(r.code, 0, 'kubectl debug exits 0', { stderr: r.stderr })
      t.equal((await ephemeralContainers(cluster, ns, 'target')).length, 1, 'stored')
      return
    }
    t.not(r.code, 0, 'kubectl debug fails')
    t.ok(r.stderr.includes(`${DENIED}${message}\n`), 'denied by no-ptrace-to-node', { stderr: r.stderr })
    t.same(await ephemeralContainers(cluster, ns, 'target'), [], 'nothing is stored')
    const baseline = await debug(ns, 'baseline', target === undefined ? [] : [`--target=${target}`])
    t.equal(baseline.code, 0, '--profile=baseline, which adds nothing to trace with, is allowed there', { stderr: baseline.stderr })
  })
}
