// Issue 18, policy compile off the request path, against the real API server: serve reloads a
// 3,000-rule policy while the API server keeps calling the webhooks (server-side dry runs of a
// privileged debug container). The server's own log is the clock: its records are written in the
// order things happen in the server, so decisions logged between "policy changed; compiling ..."
// and "policy reloaded" were made during the compile. Nothing here measures time; latencies are
// printed as comments only.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import t from 'tap'
import { createTargetPod, ephemeralContainersPath, freshNamespace, withEphemeralContainers } from './support/cluster.js'
import { poll } from './support/process.js'
import { fileEnvironment } from './support/setup.js'
import { SYSADMIN, VALIDATING_WEBHOOK } from './support/webhook.js'
import { guardNetwork } from './support/network-guard.js'
import { bigPolicyText } from '../support/big-policy.js'

guardNetwork(t)

const RULES = 3000
const COMPILING = 'policy changed; compiling it while the policy in force keeps serving'
const policyDir = mkdtempSync(join(tmpdir(), 'ephemeral-guard-e2e-reload-'))
const policyFile = join(policyDir, 'policy.yaml')
/** Replaces the policy file in one step (rename), as a ConfigMap's symlink swap does. */
const writePolicy = (text: string): void => {
  const next = join(policyDir, 'next.yaml')
  writeFileSync(next, text)
  renameSync(next, policyFile)
}
// Refuses privileged containers only in the probe-* namespaces the setup checks the webhooks with.
writePolicy('apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: small}\nspec:\n  rules:\n  - name: probe-only\n    match: {namespaces: ["probe-*"]}\n    securityContext: {allowPrivileged: false}\n')
t.teardown(() => rmSync(policyDir, { recursive: true, force: true }))

const e = fileEnvironment(t, { serveArgs: () => ['--policy', policyFile] })

t.test(`a ${RULES}-rule reload: the API server's calls are answered during the compile by the old policy, then by the new one`, async (t) => {
  const { cluster, webhook } = e()
  const ns = await freshNamespace(cluster, 'reload')
  await createTargetPod(cluster, ns)
  const path = `${ephemeralContainersPath(ns, 'target')}?dryRun=All`
  const privileged = await withEphemeralContainers(cluster, ns, 'target', [SYSADMIN])
  const first = await cluster.api('PUT', path, privileged)
  t.equal(first.status, 200, 'the small policy allows a privileged container here', { body: first.body })

  writePolicy(bigPolicyText('big', RULES)) // its last rule, no-privileged, refuses it
  const latencies: number[] = []
  // A guard against a hang only (the file's own timeout would end it too): the reload must be logged.
  const giveUp = Date.now() + 600_000
  while (!webhook.logs.some((r) => r.msg === 'policy reloaded' && r['policy'] === 'big')) {
    if (Date.now() > giveUp) throw new Error('the 3,000-rule policy was never reloaded')
    const started = performance.now()
    const r = await cluster.api('PUT', path, privileged)
    latencies.push(performance.now() - started)
    t.ok(r.status === 200 || r.status === 403, `each call is answered with a decision (${r.status})`)
  }
  const logs = [...webhook.logs]
  const compiling = logs.findIndex((r) => r.msg === COMPILING)
  const reloaded = logs.findIndex((r) => r.msg === 'policy reloaded' && r['policy'] === 'big')
  t.ok(compiling >= 0 && compiling < reloaded, 'the server logged the start of the compile, then the reload')
  t.match(logs[reloaded], { compileMs: Number, source: policyFile })
  const during = logs.slice(compiling + 1, reloaded).filter((r) => r.msg === 'admission decision' && r['namespace'] === ns && r['webhook'] === 'validate')
  t.ok(during.length >= 1, `the validating webhook decided ${during.length} calls during the compile`)
  t.same([...new Set(during.map((r) => r['decision']))], ['allowed'], 'all by the policy in force before (the new one refuses them)')
  t.comment(`observed: compile of ${RULES} rules ${String(logs[reloaded]?.['compileMs'])} ms in the server; ${latencies.length} API calls meanwhile, the slowest ${Math.round(Math.max(...latencies))} ms`)

  const denied = await poll('the new policy to refuse a privileged container', async () => {
    const r = await cluster.api('PUT', path, privileged)
    return r.status === 403 ? r : undefined
  }, { timeoutMs: 30_000, intervalMs: 100 })
  t.match(String(denied.body['message']), new RegExp(`admission webhook "${VALIDATING_WEBHOOK.replaceAll('.', '\\.')}" denied the request: .*\\(rule no-privileged\\)`), 'the new policy decides once it is whole')
})
