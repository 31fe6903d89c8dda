// `ephemeral-guard audit` against a real kube-apiserver: debug containers added with kubectl debug
// before any webhook exists (so nothing stopped them), statuses written through pods/status (there is
// no kubelet), the default policy and a candidate one, every output, PolicyReports validated by the
// wgpolicyk8s.io CRDs, and a 10,000-pod scale run with the audit process's memory measured.
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t from 'tap'
import { parse as parseYaml } from 'yaml'
import { createKubeApi, forEachPage } from '../../src/cluster/api.js'
import { runAudit } from '../../src/audit/run.js'
import type { JsonObject } from '../../src/kube/types.js'
import { DEFAULT_POLICY_FILE, loadPolicyFile } from '../../src/policy/load.js'
import { createNamespace, E2E_DIR, kubectlOk, REPO_ROOT } from './support/cluster.js'
import { fileCluster } from './support/setup.js'
import { poll, run, sleep, type RunResult } from './support/process.js'
import { guardNetwork } from './support/network-guard.js'

// Loopback only: fails this file on any socket or Service that could reach off this machine.
guardNetwork(t)

const { dataDir, cluster: c } = fileCluster(t, 'audit')
let crdDir = ''

t.before(async () => {
  const crds = await run('bash', [join(E2E_DIR, 'policyreport-crds.sh')], { timeoutMs: 10 * 60_000 })
  if (crds.code !== 0) throw new Error(`policyreport-crds.sh failed:\n${crds.stderr}`)
  crdDir = crds.stdout.trim().split('\n').pop()!
})

const MAIN = join(REPO_ROOT, 'dist/main.js')
/**
 * `node ARGS` in a clean environment, as an admin would run it: tap's process tracking injects its
 * loader into every child through NODE_OPTIONS (which more than doubles the child's memory and time);
 * `env -i` drops it.
 */
const cleanNode = (args: readonly string[]): [string, string[]] =>
  ['env', ['-i', `PATH=${process.env['PATH'] ?? ''}`, `HOME=${process.env['HOME'] ?? ''}`, process.execPath, ...args]]
const audit = (args: readonly string[]): Promise<RunResult> =>
  run(...cleanNode([MAIN, 'audit', '--kubeconfig', c().info.kubeconfig, ...args]), { timeoutMs: 120_000 })
const json = (r: RunResult): JsonObject => JSON.parse(r.stdout) as JsonObject
const items = (doc: JsonObject): JsonObject[] => doc['items'] as JsonObject[]
const byContainer = (doc: JsonObject): Record<string, JsonObject> => Object.fromEntries(items(doc).map((i) => [i['container'], i]))
const iso = (msAgo: number): string => new Date(Date.now() - msAgo).toISOString().replace(/\.\d+Z$/, 'Z')
const H = 3_600_000

const provenance = (user: string, msAgo: number): string[] => [
  `--env=EPHEMERAL_GUARD_REQUESTED_BY=${user}`, `--env=EPHEMERAL_GUARD_REQUESTED_AT=${iso(msAgo)}`, '--env=EPHEMERAL_GUARD_POLICY=default@4f375725b52d',
]

async function pod(ns: string, name: string): Promise<void> {
  const body = { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }] } }
  await kubectlOk(c(), ['-n', ns, 'create', '-f', '-'], { input: JSON.stringify(body) })
}
const debug = (ns: string, target: string, container: string, profile: string, image: string, extra: string[] = []) =>
  kubectlOk(c(), ['-n', ns, 'debug', `pod/${target}`, `--image=${image}`, `--profile=${profile}`, '-c', container, ...extra])

const CANDIDATE = `apiVersion: ephemeral-guard.dev/v1alpha1
kind: EphemeralContainerPolicy
metadata: {name: candidate}
spec:
  rules:
    - name: no-privileged
      securityContext: {allowPrivileged: false}
    - name: trusted-images
      images: {allow: ["docker.io/library/busybox"]}
    - name: sre-only
      mode: warn
      match: {namespaces: ["audit-web"]}
      subjects: {users: ["bob"]}
`
let candidate = ''

t.test('setup: debug containers added before any webhook is installed', async (t) => {
  for (const ns of ['audit-shop', 'audit-web', 'audit-clean']) await createNamespace(c(), ns)
  await pod('audit-shop', 'cart')
  await pod('audit-shop', 'idle')
  await pod('audit-web', 'front')
  await pod('audit-clean', 'api')
  await debug('audit-shop', 'cart', 'sysdbg', 'sysadmin', 'busybox:1.36')
  await debug('audit-shop', 'cart', 'gen', 'general', 'busybox:1.36', provenance('alice', 48 * H))
  await debug('audit-shop', 'cart', 'net', 'netadmin', 'nicolaka/netshoot:v0.13', provenance('bob', 1 * H))
  await debug('audit-web', 'front', 'rdbg', 'restricted', 'busybox:1.36', provenance('alice', 2 * H))
  await debug('audit-clean', 'api', 'ok', 'general', 'busybox:1.36', provenance('carol', 5 * 60_000))
  // No kubelet here: write what one would report, through the status subresource.
  const status = {
    status: {
      ephemeralContainerStatuses: [
        { name: 'sysdbg', image: 'busybox:1.36', imageID: '', ready: false, restartCount: 0, state: { running: { startedAt: iso(30 * H) } } },
        { name: 'gen', image: 'busybox:1.36', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: iso(48 * H), finishedAt: iso(47 * H) } } },
        { name: 'net', image: 'nicolaka/netshoot:v0.13', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } },
      ],
    },
  }
  await kubectlOk(c(), ['-n', 'audit-shop', 'patch', 'pod', 'cart', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)])
  candidate = join(dataDir, 'candidate.yaml')
  writeFileSync(candidate, CANDIDATE)
  const list = JSON.parse(await kubectlOk(c(), ['get', 'pods', '-A', '-o', 'json'])) as JsonObject
  t.equal(items(list).length, 4, 'four pods in the cluster')
})

t.test('the policy in force (the built-in default), -A, JSON: who added what, when, its state, and the verdict', async (t) => {
  const r = await audit(['-A', '-o', 'json'])
  t.equal(r.code, 1, 'exit 1: something violates', { stderr: r.stderr })
  t.equal(r.stderr, '', 'no progress on stderr when it is not a terminal')
  const doc = json(r)
  // No policy CRDs and no ephemeral-guard ConfigMap in this cluster: the built-in default is in force.
  t.match(doc, { kind: 'EphemeralContainerAudit', policy: { name: 'default', source: 'built-in default', inForce: [/^default@[0-9a-f]{12}$/] }, scope: { allNamespaces: true } })
  t.same(doc['summary'], { pods: 4, podsWithEphemeralContainers: 3, ephemeralContainers: 5, verdicts: { deny: 2, warn: 0, audit: 0, unverified: 0, pass: 3, exempt: 0, error: 0 }, recycle: 0 })
  t.same(items(doc).map((i) => [i['namespace'], i['pod'], i['container'], i['verdict']]), [
    ['audit-clean', 'api', 'ok', 'pass'],
    ['audit-shop', 'cart', 'sysdbg', 'deny'],
    ['audit-shop', 'cart', 'gen', 'pass'],
    ['audit-shop', 'cart', 'net', 'deny'],
    ['audit-web', 'front', 'rdbg', 'pass'],
  ], 'sorted by namespace, pod, position')
  const f = byContainer(doc)
  t.same((f['sysdbg']!['violations'] as JsonObject[]).map((v) => v['message']), ['spec.ephemeralContainers[0].securityContext.privileged: Forbidden: privileged debug containers are not allowed (rule no-privileged)'])
  t.same((f['net']!['violations'] as JsonObject[]).map((v) => v['rule']), ['allowed-capabilities', 'allowed-capabilities'])
  t.match((f['net']!['violations'] as JsonObject[])[0]!['message'], 'spec.ephemeralContainers[2].securityContext.capabilities.add[0]: Forbidden: capability "NET_ADMIN" is not allowed')
  t.same([f['sysdbg']!['requestedBy'], f['gen']!['requestedBy'], f['net']!['requestedBy'], f['rdbg']!['requestedBy']], [undefined, 'alice', 'bob', 'alice'])
  t.equal(f['net']!['admittedUnder'], 'default@4f375725b52d')
  t.same([f['sysdbg']!['state'], f['gen']!['state'], f['net']!['state'], f['rdbg']!['state']], ['running', 'terminated', 'waiting', 'unknown'])
  t.same([f['gen']!['stateDetail'], f['net']!['stateDetail']], ['Completed, exit 0', 'ImagePullBackOff'])
  t.same([f['sysdbg']!['ageSource'], f['gen']!['ageSource'], f['rdbg']!['ageSource']], ['started-at', 'requested-at', 'requested-at'])
  t.ok(Math.abs(Number(f['sysdbg']!['ageSeconds']) - 30 * 3600) < 120, 'sysdbg: 30 h, from the status\' startedAt')
  t.ok(Math.abs(Number(f['gen']!['ageSeconds']) - 48 * 3600) < 120, 'gen: 48 h, from EPHEMERAL_GUARD_REQUESTED_AT')
  t.match(f['ok'], { podUid: /^[0-9a-f-]{36}$/, image: 'busybox:1.36', index: 0, recycle: false, notes: [] })
})

t.test('a candidate policy, as a table: what it would deny', async (t) => {
  const r = await audit(['-A', '--policy', candidate, '-o', 'table'])
  t.equal(r.code, 1, { stderr: r.stderr })
  const lines = r.stdout.split('\n')
  t.match(lines[0], /^NAMESPACE +POD +CONTAINER +IMAGE +REQUESTER +AGE +STATE +VERDICT +RULES$/)
  const rows = lines.slice(1, 6).map((l) => l.split(/ {2,}/))
  t.same(rows.map((r) => [r[0], r[1], r[2], r[3], r[4], r[6], r[7], r[8]]), [
    ['audit-clean', 'api', 'ok', 'busybox:1.36', 'carol', 'unknown', 'pass', '-'],
    ['audit-shop', 'cart', 'sysdbg', 'busybox:1.36', '<unknown>', 'running', 'deny', 'no-privileged'],
    ['audit-shop', 'cart', 'gen', 'busybox:1.36', 'alice', 'terminated', 'pass', '-'],
    ['audit-shop', 'cart', 'net', 'nicolaka/netshoot:v0.13', 'bob', 'waiting', 'deny', 'trusted-images'],
    ['audit-web', 'front', 'rdbg', 'busybox:1.36', 'alice', 'unknown', 'warn', 'sre-only'],
  ])
  t.same(rows.map((r) => r[5]), ['5m', '30h', '2d', '60m', '2h'], 'AGE column, kubectl style')
  t.ok(lines.includes('  audit-shop/cart net: spec.ephemeralContainers[2].image: Invalid value: "nicolaka/netshoot:v0.13": is not allowed; allowed images: docker.io/library/busybox (rule trusted-images)'), 'the webhook\'s message, in the details')
  t.ok(lines.includes('  audit-web/front rdbg: spec.ephemeralContainers: Forbidden: user "alice" may not add ephemeral containers here (rule sre-only) [warn]'))
  t.match(r.stdout, /\n5 ephemeral containers in 3 of 4 pods: 2 deny, 1 warn, 2 pass; policy candidate \([0-9a-f]{12}\)\n$/)
})

t.test('on a terminal: the table by default, progress on stderr', async (t) => {
  const cmd = `env -i PATH="$PATH" ${process.execPath} ${MAIN} audit --kubeconfig ${c().info.kubeconfig} -n audit-shop`
  const r = await run('script', ['-qec', cmd, '/dev/null'], { timeoutMs: 60_000 })
  t.match(r.stdout, /NAMESPACE +POD +CONTAINER/, 'a table, without -o')
  t.match(r.stdout, /\rscanned 2 pods, 3 ephemeral containers/, 'progress, then cleared')
  t.match(r.stdout, /3 ephemeral containers in 1 of 2 pods: 2 deny, 1 pass/)
})

t.test('-n with nothing violating: exit 0, and JSON when stdout is no terminal', async (t) => {
  const r = await audit(['-n', 'audit-clean'])
  t.equal(r.code, 0, { stderr: r.stderr })
  const doc = json(r)
  t.same(doc['scope'], { namespace: 'audit-clean' })
  t.same(items(doc).map((i) => [i['container'], i['verdict'], i['requestedBy']]), [['ok', 'pass', 'carol']])
})

t.test('--older-than flags tainted pods to recycle (exit 1), in YAML', async (t) => {
  const r = await audit(['-n', 'audit-shop', '--older-than', '24h', '-o', 'yaml'])
  t.equal(r.code, 1)
  const doc = parseYaml(r.stdout) as JsonObject
  t.equal(doc['olderThan'], '24h')
  t.same(items(doc).map((i) => [i['container'], i['recycle']]), [['sysdbg', true], ['gen', true], ['net', false]])
  const clean = await audit(['-n', 'audit-clean', '--older-than', '1m'])
  t.equal(clean.code, 1, 'a compliant container older than --older-than still asks for a recycle')
  t.same(items(json(clean)).map((i) => i['recycle']), [true])
  t.equal((await audit(['-n', 'audit-clean', '--older-than', '1h30m'])).code, 0)
})

t.test('errors: one line on stderr, exit 2, never a stack trace', async (t) => {
  const kc = readFileSync(c().info.kubeconfig, 'utf8').replace(c().info.server, 'https://127.0.0.1:1')
  const unreachable = join(dataDir, 'unreachable.kubeconfig')
  writeFileSync(unreachable, kc)
  const cases: Array<[string, string[], RegExp]> = [
    ['unreachable cluster', ['--kubeconfig', unreachable, '-A'], /^ephemeral-guard audit: cannot reach the API server at https:\/\/127\.0\.0\.1:1: ECONNREFUSED/],
    ['bad policy', ['-A', '--policy', join(REPO_ROOT, 'package.json')], /^ephemeral-guard audit: .*package\.json: invalid policy:\n  \(document\): must have required property 'apiVersion'/],
    ['missing policy', ['-A', '--policy', '/nonexistent.yaml'], /^ephemeral-guard audit: \/nonexistent\.yaml: invalid policy:\n  \(file\): cannot read/],
    ['unknown context', ['-A', '--context', 'nope'], /^ephemeral-guard audit: context "nope" not found in the kubeconfig\n$/],
    ['missing kubeconfig', ['--kubeconfig', '/nonexistent', '-A'], /^ephemeral-guard audit: --kubeconfig \/nonexistent: no such file\n$/],
    ['a namespace that does not exist', ['-n', 'does-not-exist'], /^ephemeral-guard audit: namespace "does-not-exist" not found\n$/],
    ['no namespace choice', [], /^ephemeral-guard audit: needs -n NAMESPACE or -A \(all namespaces\)\nRun ephemeral-guard audit --help for usage\.\n$/],
    ['bad duration', ['-A', '--older-than', '3 days'], /^ephemeral-guard audit: --older-than: invalid duration "3 days"/],
    ['--apply without the CRD', ['-A', '-o', 'json', '--apply'], /^ephemeral-guard audit: the PolicyReport CRD \(wgpolicyk8s\.io\/v1alpha2\) is not installed/],
  ]
  for (const [name, args, message] of cases) {
    const r = await run(...cleanNode([MAIN, 'audit', ...(args.includes('--kubeconfig') ? [] : ['--kubeconfig', c().info.kubeconfig]), ...args]), { timeoutMs: 60_000 })
    t.equal(r.code, 2, `${name}: exit 2`)
    t.match(r.stderr, message, `${name}: the message`)
    t.notMatch(r.stderr, /\n\s+at /, `${name}: no stack trace`)
    t.equal(r.stdout, '', `${name}: nothing printed before the error (--apply checks the CRD first)`)
  }
})

const getReports = async (): Promise<JsonObject[]> => items(JSON.parse(await kubectlOk(c(), ['get', 'policyreports.wgpolicyk8s.io', '-A', '-o', 'json'])) as JsonObject)

t.test('PolicyReports: valid against the wgpolicyk8s.io CRDs, applied, and cleared when nothing is left', async (t) => {
  await kubectlOk(c(), ['apply', '--server-side', '-f', crdDir])
  await kubectlOk(c(), ['wait', '--for=condition=Established', '--timeout=60s', 'crd/policyreports.wgpolicyk8s.io', 'crd/clusterpolicyreports.wgpolicyk8s.io'])
  const r = await audit(['-A', '--policy', candidate, '-o', 'policyreport', '--older-than', '24h'])
  t.equal(r.code, 1, { stderr: r.stderr })
  const list = json(r)
  const reports = items(list)
  t.same(reports.map((x) => [(x['metadata'] as JsonObject)['namespace'], (x['metadata'] as JsonObject)['name'], x['summary']]), [
    ['audit-clean', 'ephemeral-guard-candidate', { pass: 1, fail: 0, warn: 0, error: 0, skip: 0 }],
    ['audit-shop', 'ephemeral-guard-candidate', { pass: 1, fail: 2, warn: 2, error: 0, skip: 0 }],
    ['audit-web', 'ephemeral-guard-candidate', { pass: 0, fail: 0, warn: 1, error: 0, skip: 0 }],
  ])
  // Strict field validation: any field the CRD's schema does not declare is an error, not a silent drop.
  const strict = await c().kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: r.stdout })
  t.equal(strict.code, 0, 'the API server accepts every report under strict validation', { stderr: strict.stderr })
  t.equal((strict.stdout.match(/created \(server dry run\)/g) ?? []).length, 3)

  // Strict validation reports unknown fields: prove the check bites.
  const broken = structuredClone(list)
  ;(items(broken)[0]!['results'] as JsonObject[])[0]!['bogus'] = 'x'
  const refused = await c().kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: JSON.stringify(broken) })
  t.not(refused.code, 0, 'an unknown field is refused')
  t.match(refused.stderr, /unknown field \\?"bogus\\?"/)

  // The reports printed by this run are the ones it applies.
  const applied = await audit(['-A', '--policy', candidate, '-o', 'policyreport', '--older-than', '24h', '--apply'])
  t.equal(applied.code, 1, { stderr: applied.stderr })
  const appliedReports = items(json(applied))
  t.match(applied.stderr, 'policyreport audit-shop/ephemeral-guard-candidate applied')
  const stored = await getReports()
  t.same(stored.map((x) => (x['metadata'] as JsonObject)['namespace']), ['audit-clean', 'audit-shop', 'audit-web'])
  for (const [i, s] of stored.entries()) {
    t.same(s['results'], appliedReports[i]!['results'], `${String((s['metadata'] as JsonObject)['namespace'])}: results stored exactly as produced (nothing pruned)`)
    t.same(s['summary'], appliedReports[i]!['summary'])
    t.match(s['metadata'], { labels: { 'app.kubernetes.io/managed-by': 'ephemeral-guard', 'ephemeral-guard.dev/policy': 'candidate' } })
  }
  const shop = (stored[1]!['results'] as JsonObject[]).map((x) => [x['policy'], x['rule'], x['result'], (x['properties'] as JsonObject)['container']])
  t.same(shop, [
    ['candidate', 'no-privileged', 'fail', 'sysdbg'],
    ['ephemeral-guard', 'tainted-pod', 'warn', 'sysdbg'],
    ['candidate', 'all-rules', 'pass', 'gen'],
    ['ephemeral-guard', 'tainted-pod', 'warn', 'gen'],
    ['candidate', 'trusted-images', 'fail', 'net'],
  ])
  const printed = await kubectlOk(c(), ['get', 'policyreports', '-n', 'audit-shop'])
  t.match(printed, /ephemeral-guard-candidate +1 +2 +2 +0 +0/, 'kubectl shows PASS FAIL WARN ERROR SKIP')

  // The clean pod goes away: its namespace's report is deleted by the next --apply.
  await kubectlOk(c(), ['-n', 'audit-clean', 'delete', 'pod', 'api', '--wait=false'])
  await poll('pod audit-clean/api to be gone', async () => ((await c().kubectl(['-n', 'audit-clean', 'get', 'pod', 'api'])).code !== 0 ? true : undefined), { timeoutMs: 30_000 })
  const again = await audit(['-A', '--policy', candidate, '-o', 'json', '--apply'])
  t.match(again.stderr, 'policyreport audit-clean/ephemeral-guard-candidate deleted (no ephemeral containers left)')
  t.same((await getReports()).map((x) => (x['metadata'] as JsonObject)['namespace']), ['audit-shop', 'audit-web'])
  // -n writes a report for its namespace even when empty, so an old one is cleared rather than left.
  const empty = await audit(['-n', 'audit-clean', '--policy', candidate, '-o', 'policyreport', '--apply'])
  t.equal(empty.code, 0)
  const quiet = (await getReports()).find((x) => (x['metadata'] as JsonObject)['namespace'] === 'audit-clean')
  t.same(quiet?.['summary'], { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 })
})

// --- scale ---------------------------------------------------------------------------------------

const SCALE_NAMESPACES = 10
const PODS_PER_NAMESPACE = 1000
const DEBUGGED_EVERY = 10
const CONCURRENCY = 48

/** Runs `fn` over `inputs` with at most `limit` in flight. */
async function pool<T>(inputs: readonly T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < inputs.length) await fn(inputs[next++]!)
  }))
}

function apiClient(): (method: string, path: string, body: unknown, contentType?: string) => Promise<number> {
  const { info } = c()
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: readFileSync(info.caFile), cert: readFileSync(info.clientCertFile), key: readFileSync(info.clientKeyFile) })
  return (method, path, body, contentType = 'application/json') => new Promise((resolve, reject) => {
    const req = request(`${info.server}${path}`, { method, agent, headers: { 'content-type': contentType } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}

interface Measured { readonly code: number | null; readonly ms: number; readonly peakRssMb: number; readonly doc: JsonObject }

/** Runs audit with stdout to a file, sampling VmHWM (peak resident set) of the process from /proc. */
function measuredAudit(args: readonly string[], out: string, nodeArgs: readonly string[] = []): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    // env execs node in place: the pid is the audit process's.
    const child = spawn(...cleanNode([...nodeArgs, MAIN, 'audit', '--kubeconfig', c().info.kubeconfig, '-o', 'json', ...args]), { stdio: ['ignore', 'pipe', 'pipe'] })
    const chunks: Buffer[] = []
    const errors: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => chunks.push(b))
    child.stderr.on('data', (b: Buffer) => errors.push(b))
    let peakKb = 0
    const sample = (): void => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
        const hwm = status.split('\n').find((l) => l.startsWith('VmHWM:'))
        if (hwm) peakKb = Math.max(peakKb, Number(hwm.split(/\s+/)[1]))
      } catch { /* exited */ }
    }
    const timer = setInterval(sample, 20)
    child.on('error', reject)
    child.on('exit', () => { clearInterval(timer) })
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      const text = Buffer.concat(chunks).toString('utf8')
      writeFileSync(out, text)
      try {
        resolve({ code, ms, peakRssMb: peakKb / 1024, doc: JSON.parse(text) as JsonObject })
      } catch {
        reject(new Error(`audit ${args.join(' ')} ${nodeArgs.join(' ')} exited ${code} without a JSON document:\n${Buffer.concat(errors).toString('utf8').slice(-2000)}`))
      }
    })
  })
}

t.test(`scale: ${SCALE_NAMESPACES * PODS_PER_NAMESPACE} pods audited in under 30 s with flat memory`, async (t) => {
  const api = apiClient()
  const created = Date.now()
  const namespaces = Array.from({ length: SCALE_NAMESPACES }, (_, i) => `scale-${i}`)
  for (const ns of namespaces) await createNamespace(c(), ns)
  const pods = namespaces.flatMap((ns) => Array.from({ length: PODS_PER_NAMESPACE }, (_, i) => ({ ns, name: `p-${String(i).padStart(4, '0')}`, debugged: i % DEBUGGED_EVERY === 0 })))
  let failures = 0
  await pool(pods, CONCURRENCY, async (p) => {
    const body = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: p.name, labels: { app: 'scale', tier: p.name.slice(-1) } },
      spec: { containers: [{ name: 'app', image: 'registry.example.com/shop/cart:2.4', command: ['/cart', '--listen=:8080'], env: [{ name: 'MODE', value: 'production' }] }] },
    }
    for (let attempt = 0; ; attempt++) {
      const s = await api('POST', `/api/v1/namespaces/${p.ns}/pods`, body)
      if (s === 201) break
      if (attempt >= 5) { failures++; break }
      await sleep(200 * (attempt + 1))
    }
    if (!p.debugged) return
    const patch = { spec: { ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File', securityContext: { privileged: p.name.endsWith('00') } }] } }
    const s = await api('PATCH', `/api/v1/namespaces/${p.ns}/pods/${p.name}/ephemeralcontainers`, patch, 'application/strategic-merge-patch+json')
    if (s !== 200) failures++
  })
  t.equal(failures, 0, 'every pod and debug container created')
  const createSeconds = (Date.now() - created) / 1000

  const small = await measuredAudit(['-n', 'scale-0'], join(dataDir, 'scale-small.json'))
  const large = await measuredAudit(['-A'], join(dataDir, 'scale-large.json'))
  // With V8's old space capped at 80 MB the whole cluster must still be audited: about 46 MB is the
  // loaded code and policy, and a page of 500 pods needs some 10-15 MB while it is judged, but holding
  // the 10,000 listed pods at once would need 40 MB or more on top (see the in-process control below).
  const capped = await measuredAudit(['-A'], join(dataDir, 'scale-capped.json'), ['--max-old-space-size=80'])
  const summary = large.doc['summary'] as JsonObject
  const debugged = SCALE_NAMESPACES * PODS_PER_NAMESPACE / DEBUGGED_EVERY
  // Besides the scale pods: audit-shop/cart and idle, audit-web/front (audit-clean/api was deleted above).
  t.equal(summary['pods'], SCALE_NAMESPACES * PODS_PER_NAMESPACE + 3, 'every pod listed, across 21 pages of 500')
  t.equal(summary['ephemeralContainers'], debugged + 4)
  t.equal((summary['verdicts'] as JsonObject)['deny'], SCALE_NAMESPACES * PODS_PER_NAMESPACE / 100 + 2, 'the privileged ones (p-xx00) denied')
  t.equal(large.code, 1)
  t.equal((small.doc['summary'] as JsonObject)['pods'], PODS_PER_NAMESPACE)
  t.ok(large.ms < 30_000, `audit -A of ${summary['pods']} pods took ${(large.ms / 1000).toFixed(1)} s (< 30 s)`)
  // Flat memory: ten times the pods (and debug containers) may not cost more than a modest, fixed
  // amount on top of the single-namespace run: pages are dropped as soon as they are judged.
  t.equal(capped.code, 1, 'audit -A with an 80 MB heap completes (exit 1: the privileged debug containers)')
  t.same(capped.doc['summary'], large.doc['summary'], 'and finds the same')
  // Uncapped, V8 lets the heap grow lazily with the garbage a longer run makes (reported, not judged).
  // Capped, ten times the pods stay below one namespace's audit plus what holding the listed pods
  // would cost (the control below: 40 MB or more). Resident memory also moves with the machine's load
  // (sockets, TLS buffers, GC timing: +13 to +21 MB seen while other e2e files ran), so the precise
  // flatness check is the live heap per page further down.
  t.ok(capped.peakRssMb < small.peakRssMb + 40, `peak RSS ${capped.peakRssMb.toFixed(0)} MB for 10,003 pods (80 MB heap cap) vs ${small.peakRssMb.toFixed(0)} MB for 1,000 (< +40 MB)`)

  // The same audit in this process, the live heap measured after each page with a full GC: it may
  // grow only by the findings (about 1,000 small records), not by the pods. As a control, the same
  // pages held in an array show what retaining them would cost.
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const api2 = createKubeApi({ kubeconfig: c().info.kubeconfig })
  const heap: number[] = []
  gc()
  const before = process.memoryUsage().heapUsed
  await runAudit(api2, { scope: {}, policy: { ...loadPolicyFile(DEFAULT_POLICY_FILE), source: 'built-in default' }, now: () => new Date(), progress: () => { gc(); heap.push(process.memoryUsage().heapUsed) } })
  const growthMb = (heap.at(-1)! - heap[0]!) / 1e6
  const held: JsonObject[] = []
  gc()
  const beforeHeld = process.memoryUsage().heapUsed
  await forEachPage(api2, '/api/v1/pods', 500, (page) => held.push(...page))
  gc()
  const heldMb = (process.memoryUsage().heapUsed - beforeHeld) / 1e6
  t.equal(heap.length, 21, 'judged in 21 pages')
  t.ok(growthMb < 5, `live heap grew ${growthMb.toFixed(1)} MB from the first page to the last (${((heap[0]! - before) / 1e6).toFixed(1)} MB after the first)`)
  t.ok(heldMb > 5 * Math.max(growthMb, 1), `holding the ${held.length} pods would take ${heldMb.toFixed(1)} MB: the measurement would see it`)
  t.comment(`scale figures: created ${pods.length} pods (${debugged} with a debug container) in ${createSeconds.toFixed(1)} s; ` +
    `audit -n scale-0 (1,000 pods): ${(small.ms / 1000).toFixed(2)} s, peak RSS ${small.peakRssMb.toFixed(1)} MB; ` +
    `audit -A (${String(summary['pods'])} pods): ${(large.ms / 1000).toFixed(2)} s, peak RSS ${large.peakRssMb.toFixed(1)} MB; ` +
    `with --max-old-space-size=80: ${(capped.ms / 1000).toFixed(2)} s, peak RSS ${capped.peakRssMb.toFixed(1)} MB; ` +
    `in-process live heap growth over 21 pages ${growthMb.toFixed(2)} MB, vs ${heldMb.toFixed(1)} MB to hold the pods`)
})
