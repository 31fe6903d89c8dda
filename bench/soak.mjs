// npm run soak: `serve` (the built dist/main.js) under a bounded mix of traffic while its policy and
// certificate files change, checking the invariants that must hold whatever the load:
//   0 wrong allows (a review that must be denied never is), 0 answers with a 5xx status,
//   /healthz always answers, the server's RSS stays under the Deployment's 256 MiB limit,
//   and every request is answered (so the other checks cannot pass on a dead server).
// It prints figures (requests by class, latencies, reloads, RSS) but asserts no speed: under a loaded
// machine it is slower, not wrong. Loopback only (127.0.0.1). SOAK_SECONDS (default 60) bounds it.
//
// Traffic classes (POST /validate unless said): allowed (a general-profile container), denied
// (privileged), forged (a future EPHEMERAL_GUARD_REQUESTED_AT: denied), regex (a value that makes a
// backtracking engine run for hours on the policy's env.require pattern: denied), mutate (POST /mutate
// of an allowed container), invalid JSON (400), large (a 6 MiB privileged review: denied),
// oversized (7 MiB + 1 KiB: 413).
// File changes: the policy is replaced atomically (rename) between two variants, and now and then
// rewritten in place through a weaker, still valid prefix, exposed for a moment as a careless writer
// would; the certificate directory is swapped as the kubelet swaps a Secret volume, between fresh
// certificates of one CA and, now and then, an expired one, which must be refused.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createCertificateAuthority, issueCertificate } from '../dist/certs/generate.js'

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60)
const WORKERS = 6
const RSS_LIMIT = 256 * 1048576 // the Deployment's memory limit (manifests: resources.limits.memory 256Mi)
const BODY_LIMIT = 7 * 1048576 // the server's bodyLimit (src/server/app.ts)
const DAY_MS = 86_400_000
const MAIN = new URL('../dist/main.js', import.meta.url).pathname

// Policy variants: both deny privileged containers and forged provenance, and require a ticket in the
// namespace "ticketed"; B adds a warn rule, so its hash differs and reloads are visible.
const policy = (name, extra = '') => `apiVersion: ephemeral-guard.dev/v1alpha1
kind: EphemeralContainerPolicy
metadata: {name: ${name}}
spec:
  mutations: {provenance: {enabled: true}}
  rules:
  - name: ticket
    match: {namespaces: [ticketed]}
    env: {require: [{name: TICKET, pattern: "^.*[0-9]+.*[0-9]+.*$"}]}
${extra}  - name: no-privileged
    securityContext: {allowPrivileged: false}
`
const POLICY_A = policy('soak-a')
const POLICY_B = policy('soak-b', '  - name: latest\n    mode: warn\n    images: {forbidTags: [latest]}\n')

// ---- Files: a policy file and a Secret-style certificate volume in a temporary directory.
const dir = mkdtempSync(join(tmpdir(), 'eg-soak-'))
const policyFile = join(dir, 'policy.yaml')
writeFileSync(policyFile, POLICY_A)
const tlsDir = join(dir, 'tls')
mkdirSync(tlsDir)
let tlsVersion = 0
function publishTls(pair) {
  const name = `..v${++tlsVersion}`
  mkdirSync(join(tlsDir, name))
  writeFileSync(join(tlsDir, name, 'tls.crt'), pair.cert)
  writeFileSync(join(tlsDir, name, 'tls.key'), pair.key)
  symlinkSync(name, join(tlsDir, '..data_tmp'))
  renameSync(join(tlsDir, '..data_tmp'), join(tlsDir, '..data'))
  if (tlsVersion > 2) rmSync(join(tlsDir, `..v${tlsVersion - 2}`), { recursive: true, force: true })
}
const ca = await createCertificateAuthority('ephemeral-guard soak CA', 30)
const leaf = (o = {}) => issueCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], days: 7, ...o })
const certs = [await leaf(), await leaf(), await leaf()] // [0] at start, then [1] and [2] in turn
const expired = await leaf({ notBefore: new Date(Date.now() - 10 * DAY_MS), days: 1 })
publishTls(certs[0])
for (const f of ['tls.crt', 'tls.key']) symlinkSync(join('..data', f), join(tlsDir, f))

// ---- The server.
const child = spawn(process.execPath, [MAIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--metrics-host', '127.0.0.1', '--metrics-port', '0',
  '--tls-cert', join(tlsDir, 'tls.crt'), '--tls-key', join(tlsDir, 'tls.key'), '--policy', policyFile,
  '--tls-reload-interval', '1', '--shutdown-delay', '0', '--drain-timeout', '5'], { stdio: ['ignore', 'pipe', 'pipe'] })
const logCounts = new Map()
const COUNTED = ['policy reloaded', 'policy reload failed; keeping the last good policy', 'certificate reloaded; new connections use it', 'certificate reload failed; the current certificate keeps serving']
let serving
let partial = ''
let stderr = ''
child.stderr.on('data', (c) => { stderr += c })
child.stdout.on('data', (c) => {
  // Read every line (a full pipe would stall the server), parse only the few that matter.
  partial += c.toString('utf8')
  const lines = partial.split('\n')
  partial = lines.pop()
  for (const line of lines) {
    if (serving === undefined && line.includes('"ephemeral-guard serving"')) serving = JSON.parse(line)
    for (const msg of COUNTED) if (line.includes(`"msg":"${msg}"`)) logCounts.set(msg, (logCounts.get(msg) ?? 0) + 1)
  }
})
const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)))
const startDeadline = Date.now() + 60_000
while (serving === undefined) {
  if (child.exitCode !== null || Date.now() > startDeadline) throw new Error(`serve did not start: ${stderr}`)
  await new Promise((r) => setTimeout(r, 50))
}
const port = serving.addresses[0].port
const opsPort = serving.metricsPort

// ---- RSS of the server process, from /proc.
let maxRss = 0
let rssSamples = 0
const sampleRss = () => {
  try {
    const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1])
    if (Number.isFinite(kb)) { maxRss = Math.max(maxRss, kb * 1024); rssSamples++ }
  } catch { /* the process is gone: the checks below say so */ }
}
sampleRss()
const rssTimer = setInterval(sampleRss, 200)

// ---- Reviews.
const fixture = JSON.parse(readFileSync(new URL('../test/fixtures/admission-review/debug-general.json', import.meta.url), 'utf8'))
let uid = 0
function reviewWith(change) {
  const r = structuredClone(fixture)
  r.request.uid = `soak-${++uid}-0000-0000-0000-000000000000`
  const added = r.request.object.spec.ephemeralContainers.at(-1)
  change(r, added)
  return JSON.stringify(r)
}
const allowedBody = () => reviewWith(() => {})
const privileged = (_, c) => { c.securityContext = { privileged: true } }
const deniedBody = () => reviewWith(privileged)
const forgedBody = () => reviewWith((r, c) => {
  c.env = [{ name: 'EPHEMERAL_GUARD_REQUESTED_BY', value: r.request.userInfo.username }, { name: 'EPHEMERAL_GUARD_REQUESTED_AT', value: '2099-01-01T00:00:00Z' }]
})
const regexBody = () => reviewWith((r, c) => {
  r.request.namespace = 'ticketed'
  r.request.object.metadata.namespace = 'ticketed'
  r.request.oldObject.metadata.namespace = 'ticketed'
  c.env = [{ name: 'TICKET', value: `${'1'.repeat(4000)}\n` }]
})
// About 3 MiB in object and again in oldObject (the API server's object limit), privileged: denied.
const filler = 'x'.repeat(3 * 1048576 - 64 * 1024)
const largeBody = Buffer.from(reviewWith((r, c) => {
  privileged(r, c)
  r.request.object.metadata.annotations = { ...r.request.object.metadata.annotations, filler }
  r.request.oldObject.metadata.annotations = { ...r.request.oldObject.metadata.annotations, filler }
}))
if (largeBody.length >= BODY_LIMIT) throw new Error('the large review must stay under the body limit')
const oversizedBody = Buffer.alloc(BODY_LIMIT + 1024, 0x20)
const invalidBody = '{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {'

// expect: 'allowed' | 'denied' (a 200 AdmissionReview) or an HTTP status.
const CLASSES = {
  allowed: { weight: 30, path: '/validate', body: allowedBody, expect: 'allowed' },
  denied: { weight: 30, path: '/validate', body: deniedBody, expect: 'denied' },
  forged: { weight: 10, path: '/validate', body: forgedBody, expect: 'denied' },
  regex: { weight: 5, path: '/validate', body: regexBody, expect: 'denied' },
  mutate: { weight: 15, path: '/mutate', body: allowedBody, expect: 'allowed' },
  invalid: { weight: 6, path: '/validate', body: () => invalidBody, expect: 400 },
  large: { weight: 2, path: '/validate', body: () => largeBody, expect: 'denied' },
  oversized: { weight: 2, path: '/validate', body: () => oversizedBody, expect: 413 },
}
const pick = (() => {
  const table = Object.entries(CLASSES).flatMap(([name, c]) => Array(c.weight).fill(name))
  let i = 0
  // A fixed interleaving (a stride through the table), so every run sends the same mix.
  return () => table[(i = (i + 37) % table.length)]
})()

const stats = Object.fromEntries(Object.keys(CLASSES).map((k) => [k, { sent: 0, asExpected: 0, unexpected: 0, transportErrors: 0, latencies: [] }]))
let wrongAllows = 0
let status5xx = 0
const firstProblems = []
const note = (what) => { if (firstProblems.length < 10) firstProblems.push(what) }

const agent = new Agent({ keepAlive: true, maxSockets: WORKERS })
function call(path, payload, o = {}) {
  return new Promise((resolve) => {
    const started = performance.now()
    const req = request({
      host: '127.0.0.1', port, path, method: o.method ?? 'POST', agent: o.agent ?? agent, ca: ca.cert, servername: 'localhost',
      headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      timeout: 60_000, // a hang guard only, far above any deadline
    }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }))
      res.on('error', (e) => resolve({ error: e.message, ms: performance.now() - started }))
    })
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')))
    req.on('error', (e) => resolve({ error: e.message, ms: performance.now() - started }))
    req.end(payload)
  })
}

async function send(name) {
  const c = CLASSES[name]
  const s = stats[name]
  s.sent++
  // As the API server calls: with its deadline (10 s, the default timeoutSeconds).
  const res = await call(`${c.path}?timeout=10s`, c.body())
  s.latencies.push(res.ms)
  if (res.error !== undefined) {
    // The server may answer 413 and close while a 7 MiB body is still being sent: the client then sees
    // the connection reset. That is a refusal too (413 in the server's log), not a failure.
    if (name === 'oversized' && /EPIPE|ECONNRESET|socket hang up/.test(res.error)) { s.asExpected++; return }
    s.transportErrors++
    note(`${name}: ${res.error}`)
    return
  }
  if (res.status >= 500) { status5xx++; note(`${name}: HTTP ${res.status} ${res.body.slice(0, 120)}`) }
  let ok
  if (typeof c.expect === 'number') ok = res.status === c.expect
  else {
    let allowed
    try { allowed = res.status === 200 ? JSON.parse(res.body).response?.allowed : undefined } catch { allowed = undefined }
    if (c.expect === 'denied' && allowed === true) { wrongAllows++; note(`${name}: allowed`) }
    ok = allowed === (c.expect === 'allowed')
  }
  if (ok) s.asExpected++
  else { s.unexpected++; note(`${name}: HTTP ${res.status} ${res.body.slice(0, 160)}`) }
}

// ---- /healthz, continuously, on the webhook port (new connection each time: it also sees each
// certificate rotation) and on the metrics port.
const health = { checks: 0, misses: 0, latencies: [] }
async function pollHealth(stopAt) {
  while (performance.now() < stopAt) {
    const res = await call('/healthz', undefined, { method: 'GET', agent: false })
    health.checks++
    health.latencies.push(res.ms)
    if (res.error !== undefined || res.status !== 200) { health.misses++; note(`healthz: ${res.error ?? `HTTP ${res.status}`}`) }
    await new Promise((r) => setTimeout(r, 100))
  }
}

// ---- File changes.
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
const changes = { policyRenames: 0, policyInPlace: 0, certRotations: 0, expiredCerts: 0 }
let policyInForce = POLICY_A
async function changeFiles(stopAt) {
  // Every 3 s a change, alternately to the policy and to the certificate, so each file changes every
  // 6 s: longer than a change takes to be confirmed (two equal reads: 2-4 s for the policy).
  let step = 0
  while (performance.now() < stopAt) {
    await new Promise((r) => setTimeout(r, 3000))
    step++
    if (step % 2 === 1) {
      if (step % 6 === 5) {
        // In place, as a careless writer does: the weaker prefix is exposed for 1 s, half the 2 s poll,
        // so two consecutive reads (at least 2 s apart) never both see it and the stable-read rule
        // never applies it; without that rule a poll lands in the window about every other time, and
        // the privileged reviews answered meanwhile are wrong allows. A synchronous wait, so this
        // process's own event-loop delays cannot stretch the window (it pauses the clients for 1 s).
        writeFileSync(policyFile, policyInForce.slice(0, policyInForce.indexOf('  - name: no-privileged')))
        sleepSync(1000)
        writeFileSync(policyFile, policyInForce)
        changes.policyInPlace++
      } else {
        policyInForce = policyInForce === POLICY_A ? POLICY_B : POLICY_A
        const tmp = join(dir, '.policy.yaml.tmp')
        writeFileSync(tmp, policyInForce)
        renameSync(tmp, policyFile)
        changes.policyRenames++
      }
    } else if (step % 6 === 0) {
      publishTls(expired)
      changes.expiredCerts++
    } else {
      publishTls(certs[1 + (changes.certRotations++ % (certs.length - 1))])
    }
  }
}

// ---- Run.
const loadBefore = loadavg()[0]
const started = performance.now()
const stopAt = started + SECONDS * 1000
const worker = async () => { while (performance.now() < stopAt) await send(pick()) }
await Promise.all([...Array.from({ length: WORKERS }, worker), pollHealth(stopAt), changeFiles(stopAt)])
const elapsedS = (performance.now() - started) / 1000
sampleRss()
clearInterval(rssTimer)
agent.destroy()

const metrics = await new Promise((resolve) => {
  import('node:http').then(({ get }) => get({ host: '127.0.0.1', port: opsPort, path: '/metrics' }, (res) => {
    let text = ''
    res.on('data', (c) => { text += c })
    res.on('end', () => resolve(text))
  }).on('error', () => resolve('')))
})
const metric = (name, labels) => {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels))
  return line === undefined ? 'n/a' : line.slice(line.lastIndexOf(' ') + 1)
}
const alive = child.exitCode === null
child.kill('SIGTERM')
const exitCode = await exited
rmSync(dir, { recursive: true, force: true })

// ---- Figures.
const pct = (xs, q) => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]
}
const f = (x) => (Number.isNaN(x) ? '-' : x.toFixed(1))
const total = Object.values(stats).reduce((n, s) => n + s.sent, 0)
console.log(`soak: ${elapsedS.toFixed(1)} s, ${WORKERS} concurrent clients + /healthz poller, Node ${process.version}, load average ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`)
console.log(`requests ${total} (${(total / elapsedS).toFixed(0)}/s)`)
for (const [name, s] of Object.entries(stats)) {
  console.log(`  ${name.padEnd(10)} sent ${String(s.sent).padStart(6)}  as expected ${String(s.asExpected).padStart(6)}  unexpected ${s.unexpected}  transport errors ${s.transportErrors}  p50 ${f(pct(s.latencies, 0.5))} ms  p99 ${f(pct(s.latencies, 0.99))} ms  max ${f(pct(s.latencies, 1))} ms`)
}
console.log(`healthz: ${health.checks} checks, ${health.misses} misses, p99 ${f(pct(health.latencies, 0.99))} ms, max ${f(pct(health.latencies, 1))} ms`)
console.log(`file changes: policy ${changes.policyRenames} atomic replacements, ${changes.policyInPlace} in-place rewrites through a weaker prefix; certificates ${changes.certRotations} rotations, ${changes.expiredCerts} expired`)
console.log(`server log: ${COUNTED.map((m) => `"${m}" ${logCounts.get(m) ?? 0}`).join(', ')}`)
console.log(`metrics: policy reloads success ${metric('ephemeral_guard_policy_reloads_total', 'result="success"')} failure ${metric('ephemeral_guard_policy_reloads_total', 'result="failure"')}; certificate reloads success ${metric('ephemeral_guard_certificate_reloads_total', 'result="success"')} failure ${metric('ephemeral_guard_certificate_reloads_total', 'result="failure"')}`)
console.log(`server RSS: max ${(maxRss / 1048576).toFixed(1)} MiB over ${rssSamples} samples (limit ${RSS_LIMIT / 1048576} MiB); exit code after SIGTERM ${exitCode}`)
if (firstProblems.length > 0) console.log(`first problems:\n  ${firstProblems.join('\n  ')}`)

const unanswered = Object.values(stats).reduce((n, s) => n + s.transportErrors, 0)
const checks = [
  ['0 wrong allows', wrongAllows === 0, `${wrongAllows} reviews that must be denied were allowed`],
  ['0 5xx answers', status5xx === 0, `${status5xx} answers with a 5xx status`],
  ['/healthz always answered', health.misses === 0 && health.checks > 0 && alive, `${health.misses} of ${health.checks} missed${alive ? '' : '; the server died'}`],
  [`RSS under ${RSS_LIMIT / 1048576} MiB`, rssSamples > 0 && maxRss < RSS_LIMIT, `max ${(maxRss / 1048576).toFixed(1)} MiB`],
  ['every request answered', total > 0 && unanswered === 0, `${unanswered} of ${total} requests got no answer`],
]
for (const [name, ok, why] of checks) console.log(`${ok ? 'ok    ' : 'FAILED'} ${name}${ok ? '' : `: ${why}`}`)
const failed = checks.filter(([, ok]) => !ok).length
console.log(`${checks.length - failed} passed, ${failed} failed`)
process.exitCode = failed > 0 ? 1 : 0
