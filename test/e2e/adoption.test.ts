// A new admin's path against a real API server: the packed tarball installed with npm install -g into
// an empty prefix (offline, from npm's cache), its kubectl plugin found and run by the real kubectl
// (`kubectl ephemeral-guard audit -A`), the cluster flags (--as, a missing namespace, doctor -o json
// counts), and the debug container `review --pod`/`test` build, compared with what real `kubectl debug`
// sends for every profile (a cluster without webhooks, so the stored container is kubectl's plus the
// API server's defaults).
import t from 'tap'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { debugContainer, PROFILES } from '../../src/admission/build.js'
import type { JsonObject } from '../../src/kube/types.js'
import { createNamespace, createTargetPod, ephemeralContainers, getPod, REPO_ROOT } from './support/cluster.js'
import { fileCluster } from './support/setup.js'
import { run, type RunResult } from './support/process.js'
import { guardNetwork } from './support/network-guard.js'

guardNetwork(t)

const { dataDir, cluster: c } = fileCluster(t, 'adoption')
const prefix = join(dataDir, 'prefix')
const home = join(dataDir, 'home')
mkdirSync(home, { recursive: true })

/** A command in a clean environment (no tap loader in NODE_OPTIONS), with the installed bins first on PATH. */
const clean = (command: string, args: readonly string[], extra: readonly string[] = []): Promise<RunResult> =>
  run('env', ['-i', `PATH=${join(prefix, 'bin')}:${c().binDir}:${process.env['PATH'] ?? ''}`, `HOME=${home}`, ...extra, command, ...args], { timeoutMs: 300_000, cwd: home })

t.before(async () => {
  // npm's cache holds every dependency (npm ci filled it); --offline: nothing is fetched.
  const packed = await run('npm', ['pack', '--json', '--pack-destination', dataDir], { cwd: REPO_ROOT, timeoutMs: 300_000 })
  if (packed.code !== 0) throw new Error(`npm pack failed: ${packed.stderr}`)
  const tarball = join(dataDir, (JSON.parse(packed.stdout) as [{ filename: string }])[0].filename)
  const installed = await run('npm', ['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, tarball], { cwd: dataDir, timeoutMs: 300_000 })
  if (installed.code !== 0) throw new Error(`npm install -g failed: ${installed.stderr}`)
})

t.test('kubectl finds the plugin and runs it: kubectl ephemeral-guard audit -A', async (t) => {
  const list = await clean('kubectl', ['plugin', 'list'])
  t.match(list.stdout, new RegExp(`${join(prefix, 'bin', 'kubectl-ephemeral_guard').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`), 'kubectl plugin list names it')
  const ns = await createNamespace(c(), 'adoption-audit')
  await createTargetPod(c(), ns)
  const r = await clean('kubectl', ['ephemeral-guard', 'audit', '-A', '-o', 'json', '--kubeconfig', c().info.kubeconfig])
  t.equal(r.code, 0, r.stderr)
  t.match(JSON.parse(r.stdout) as JsonObject, { scope: {}, summary: { ephemeralContainers: 0 } })
  const help = await clean('kubectl', ['ephemeral-guard', '--help'])
  t.match(help.stdout, /ephemeral-guard audit/)
})

t.test('cluster flags: --as impersonates, a missing namespace is an error, no kubeconfig is said plainly', async (t) => {
  const kc = ['--kubeconfig', c().info.kubeconfig]
  const forbidden = await clean('ephemeral-guard', ['audit', '-A', '--as', 'nobody', '--as-group', 'nogroup', ...kc])
  t.equal(forbidden.code, 2)
  t.match(forbidden.stderr, /^ephemeral-guard audit: GET \/api\/v1\/pods\?limit=500: pods is forbidden: User "nobody" cannot list resource "pods"/, 'the request went as --as')
  const missing = await clean('ephemeral-guard', ['audit', '-n', 'does-not-exist', ...kc])
  t.equal(missing.code, 2)
  t.equal(missing.stderr, 'ephemeral-guard audit: namespace "does-not-exist" not found\n')
  t.equal(missing.stdout, '')
  const none = await clean('ephemeral-guard', ['doctor'])
  t.equal(none.code, 2)
  t.match(none.stderr, /^ephemeral-guard doctor: no kubeconfig: KUBECONFIG is not set, \S+\/\.kube\/config does not exist and this is not a pod; pass --kubeconfig FILE or set KUBECONFIG\n$/)
  const doctorAs = await clean('ephemeral-guard', ['doctor', '--as', 'nobody', ...kc])
  t.equal(doctorAs.code, 2)
  t.match(doctorAs.stderr, /User "nobody" cannot/)
})

t.test('doctor -o json counts what it read; -o yaml says the same', async (t) => {
  const kc = ['--kubeconfig', c().info.kubeconfig]
  const json = await clean('ephemeral-guard', ['doctor', '-o', 'json', ...kc])
  t.equal(json.code, 1, 'nothing installed: problems')
  const doc = JSON.parse(json.stdout) as { checked: Record<string, unknown>; problems: unknown }
  t.same(doc.checked, { validatingWebhookConfigurations: 0, mutatingWebhookConfigurations: 0, validatingAdmissionPolicies: 0, validatingAdmissionPolicyBindings: 0 })
  t.type(doc.problems, 'number')
  const yaml = await clean('ephemeral-guard', ['doctor', '-o', 'yaml', ...kc])
  t.match(yaml.stdout, /^checked:\n {2}validatingWebhookConfigurations: 0\n/)
})

const byEnvName = (c: JsonObject | undefined): JsonObject | undefined =>
  c === undefined ? c : { ...c, env: [...((c['env'] ?? []) as JsonObject[])].sort((a, b) => String(a['name']).localeCompare(String(b['name']))) }

/** What `kubectl debug` sends, stored without webhooks, next to what ephemeral-guard builds from the same flags. */
t.test('the debug container of review --pod and test equals what kubectl debug sends, for every profile', async (t) => {
  const ns = await createNamespace(c(), 'adoption-kubectl')
  await createTargetPod(c(), ns)
  const pod = await getPod(c(), ns, 'target')
  for (const profile of Object.keys(PROFILES)) {
    const flags = { image: 'busybox:1.36', profile, target: 'app', name: `dbg-${profile}`, env: ['A=1,C=3', 'B=two=2', 'A=4'] }
    const r = await c().kubectl(['-n', ns, 'debug', 'pod/target', `--image=${flags.image}`, `--profile=${profile}`, `--target=${flags.target}`, '-c', flags.name, ...flags.env.map((e) => `--env=${e}`)])
    t.equal(r.code, 0, `${profile}: kubectl debug`, { stderr: r.stderr })
    const stored = (await ephemeralContainers(c(), ns, 'target')).find((x) => x['name'] === flags.name)
    // kubectl sends --env in Go's map order, which is random: compared by name.
    t.same(byEnvName(debugContainer(pod, flags)), byEnvName(stored), `--profile=${profile}: the same container`)
  }
  const plain = await c().kubectl(['-n', ns, 'debug', 'pod/target', '--image=busybox', '-c', 'plain'])
  t.equal(plain.code, 0, plain.stderr)
  const stored = (await ephemeralContainers(c(), ns, 'target')).find((x) => x['name'] === 'plain')
  t.same(debugContainer(pod, { image: 'busybox', name: 'plain' }), stored, 'no flags: the default profile, the API server\'s pull policy')
})

t.test('a policy test from the installed package runs outside the clone', async (t) => {
  const examples = join(prefix, 'lib', 'node_modules', 'ephemeral-guard', 'policies', 'tests')
  t.ok(existsSync(join(examples, 'default.test.yaml')))
  const r = await clean('ephemeral-guard', ['test', examples])
  t.equal(r.code, 0, r.stdout)
  t.match(r.stdout, /4 passed, 0 failed\n$/)
  const file = join(home, 'pod.yaml')
  writeFileSync(file, readFileSync(join(examples, 'pod.yaml')))
  const review = await clean('ephemeral-guard', ['review', '--pod', file, '--image', 'busybox', '--profile', 'netadmin'])
  t.equal(review.code, 1)
})

