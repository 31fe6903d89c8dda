// Metrics scraped over HTTP from the operations port, parsed, and checked to move with real requests.
import t from 'tap'
import { X509Certificate } from 'node:crypto'
import { Gauge } from 'prom-client'
import { createLogger } from '../../src/log.js'
import { parsePolicy } from '../../src/policy/load.js'
import { startServer, type RunningServer } from '../../src/server/listen.js'
import { Metrics } from '../../src/server/metrics.js'
import { startOpsServer } from '../../src/server/ops-server.js'
import { debugContainer, profileContainer, admissionReview } from '../support/reviews.js'
import { logSink, testCertificates } from '../support/server.js'
import { httpCall, httpsCall, parsePrometheus, scrape, secretVolume, valueOf, type Sample } from './helpers.js'

const POLICY = `apiVersion: ephemeral-guard.dev/v1alpha1
kind: EphemeralContainerPolicy
metadata: {name: metrics-test}
spec:
  rules:
  - name: no-privileged
    securityContext: {allowPrivileged: false}
  - name: image-hygiene
    mode: audit
    images: {forbidTags: ["latest"]}
  - name: drop-all
    mode: warn
    securityContext: {requireDropAll: true}
`
const policy = parsePolicy(POLICY, 'metrics-test.yaml').policy

let server: RunningServer
let url: string
let opsUrl: string
let ca: string
const sink = logSink()
t.before(async () => {
  const certs = await testCertificates()
  ca = certs.caCert
  const volume = secretVolume({ 'tls.crt': certs.cert, 'tls.key': certs.key })
  const metrics = new Metrics({ version: '9.8.7' })
  metrics.policyInForce(policy)
  server = await startServer({
    host: '127.0.0.1', port: 0, tls: { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key') }, tlsReloadIntervalMs: 0,
    policy: () => policy, logger: createLogger({ destination: sink.stream }), metrics, ops: { host: '127.0.0.1', port: 0 },
  })
  const address = server.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  url = `https://127.0.0.1:${address.port}`
  opsUrl = `http://127.0.0.1:${server.ops!.address.port}`
})
t.teardown(() => server.shutdown({ delayMs: 0, drainTimeoutMs: 1000 }))

const post = (path: string, body: unknown) => httpsCall(`${url}${path}`, { ca, method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) })
const delta = (before: Sample[], after: Sample[], name: string, labels: Record<string, string>): number =>
  (valueOf(after, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0)

t.test('decisions, rule violations by mode, latency and request errors move with real requests', async (t) => {
  const before = await scrape(opsUrl)
  const allowed = admissionReview({ added: [profileContainer('restricted')] })
  const denied = admissionReview({ added: [profileContainer('sysadmin', { image: 'busybox:latest' })] })
  const audited = admissionReview({ added: [profileContainer('restricted', { image: 'busybox' })] }) // no tag counts as latest
  t.equal((await post('/validate', allowed)).status, 200)
  t.equal((await post('/validate', denied)).status, 200)
  t.equal((await post('/validate', audited)).status, 200)
  t.equal((await post('/mutate', admissionReview({ added: [debugContainer()] }))).status, 200)
  t.equal((await post('/validate', '{"apiVersion": ')).status, 400)
  t.equal((await post('/mutate', { kind: 'AdmissionReview' })).status, 400)
  t.equal((await httpsCall(`${url}/nope`, { ca, method: 'POST', body: '{}' })).status, 404)
  const after = await scrape(opsUrl)

  const decisions = 'ephemeral_guard_admission_decisions_total'
  t.equal(delta(before, after, decisions, { webhook: 'validate', outcome: 'allowed' }), 2, 'allowed (the audited one too)')
  t.equal(delta(before, after, decisions, { webhook: 'validate', outcome: 'denied' }), 1)
  t.equal(delta(before, after, decisions, { webhook: 'mutate', outcome: 'patched' }), 1)
  t.equal(valueOf(after, decisions, { webhook: 'mutate', outcome: 'errored' }), 0, 'every outcome is exported from the start')

  const violations = 'ephemeral_guard_rule_violations_total'
  t.equal(delta(before, after, violations, { webhook: 'validate', rule: 'no-privileged', mode: 'enforce' }), 1)
  t.equal(delta(before, after, violations, { webhook: 'validate', rule: 'image-hygiene', mode: 'audit' }), 2, 'audit-mode violations are counted')
  t.equal(delta(before, after, violations, { webhook: 'validate', rule: 'drop-all', mode: 'warn' }), 1, 'and warn-mode ones')
  t.equal(delta(before, after, violations, { webhook: 'mutate', rule: 'drop-all', mode: 'warn' }), 1, 'per webhook')

  const latency = 'ephemeral_guard_admission_duration_seconds'
  t.equal(delta(before, after, `${latency}_count`, { webhook: 'validate' }), 3)
  t.equal(delta(before, after, `${latency}_bucket`, { webhook: 'validate', le: '+Inf' }), 3)
  t.ok(delta(before, after, `${latency}_bucket`, { webhook: 'validate', le: '1' }) === 3, 'each took under a second')
  t.ok(delta(before, after, `${latency}_sum`, { webhook: 'validate' }) > 0)

  const errors = 'ephemeral_guard_admission_request_errors_total'
  t.equal(delta(before, after, errors, { webhook: 'validate', reason: 'BadRequest' }), 1)
  t.equal(delta(before, after, errors, { webhook: 'mutate', reason: 'BadRequest' }), 1)
  t.equal(after.filter((s) => s.name === errors).length, 2, 'a 404 is not counted as a webhook call')

  const decided = sink.records.filter((r) => r.msg === 'admission decision')
  t.same(decided.find((r) => r['uid'] === audited.request.uid)?.['audited'], ['image-hygiene'], 'the decision log line names the audit-mode rules')
  t.match(decided.find((r) => r['uid'] === denied.request.uid), { decision: 'denied', rules: ['no-privileged', 'image-hygiene', 'drop-all'], audited: ['image-hygiene'], warned: ['drop-all'] },
    'and the warn-mode ones')
  t.notOk('audited' in (decided.find((r) => r['uid'] === allowed.request.uid) ?? {}), 'and has no such fields when nothing was violated')
})

t.test('policy, certificate, build and process metrics', async (t) => {
  const samples = await scrape(opsUrl)
  t.equal(valueOf(samples, 'ephemeral_guard_policy_info', { name: 'metrics-test', hash: policy.hash }), 1)
  t.equal(valueOf(samples, 'ephemeral_guard_policy_reloads_total', { result: 'failure' }), 0)
  const notAfter = new Date(new X509Certificate((await testCertificates()).cert).validTo).getTime() / 1000
  t.equal(valueOf(samples, 'ephemeral_guard_certificate_expiry_timestamp_seconds', { certificate: 'serving' }), Math.floor(notAfter))
  t.equal(valueOf(samples, 'ephemeral_guard_certificate_reloads_total', { result: 'success' }), 0)
  t.equal(valueOf(samples, 'ephemeral_guard_build_info', { version: '9.8.7', nodejs_version: process.versions.node }), 1)
  t.ok(valueOf(samples, 'nodejs_eventloop_lag_seconds') !== undefined, 'event-loop lag')
  t.ok(valueOf(samples, 'process_resident_memory_bytes') !== undefined, 'memory')
  const res = await httpCall(`${opsUrl}/metrics`)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  t.match(res.body, /# HELP ephemeral_guard_rule_violations_total Rules violated/)
  t.match(res.body, /# TYPE ephemeral_guard_admission_duration_seconds histogram/)
})

t.test('policyInForce replaces the previous policy_info series; reload results are counted', async (t) => {
  const m = new Metrics({ version: 'x', processMetrics: false })
  m.policyInForce({ name: 'a', hash: '111111111111' })
  m.policyInForce({ name: 'b', hash: '222222222222' })
  m.policyReload('success')
  m.policyReload('failure')
  m.policyReload('failure')
  const samples = parsePrometheus((await m.text()).body)
  t.same(samples.filter((s) => s.name === 'ephemeral_guard_policy_info').map((s) => s.labels), [{ name: 'b', hash: '222222222222' }])
  t.equal(valueOf(samples, 'ephemeral_guard_policy_reloads_total', { result: 'success' }), 1)
  t.equal(valueOf(samples, 'ephemeral_guard_policy_reloads_total', { result: 'failure' }), 2)
  t.equal(valueOf(samples, 'process_cpu_seconds_total'), undefined, 'no process metrics when turned off')
})

t.test('the operations port: 404, 405, no /metrics without metrics, 500 when a collector fails', async (t) => {
  const sink = logSink()
  const logger = createLogger({ destination: sink.stream })
  const bare = await startOpsServer({ host: '127.0.0.1', port: 0, logger })
  t.teardown(() => bare.close())
  const bareUrl = `http://127.0.0.1:${bare.address.port}`
  t.equal((await httpCall(`${bareUrl}/metrics`)).status, 404)
  t.equal((await httpCall(`${bareUrl}/readyz`)).status, 200, 'ready without a readiness function')
  t.equal((await httpCall(`${bareUrl}/healthz?verbose`)).status, 200)
  const missing = await httpCall(`${bareUrl}/validate`)
  t.equal(missing.status, 404)
  t.match(JSON.parse(missing.body), { kind: 'Status', reason: 'NotFound', message: 'no route GET /validate' })
  const post = await httpCall(`${bareUrl}/metrics`, 'POST')
  t.equal(post.status, 405)
  t.match(JSON.parse(post.body), { reason: 'MethodNotAllowed' })

  const broken = new Metrics({ version: 'x', processMetrics: false })
  new Gauge({ name: 'broken_collector', help: 'throws when collected', registers: [broken.registry], collect() { throw new Error('collector failed') } })
  const failing = await startOpsServer({ host: '127.0.0.1', port: 0, logger, metrics: broken })
  t.teardown(() => failing.close())
  const res = await httpCall(`http://127.0.0.1:${failing.address.port}/metrics`)
  t.equal(res.status, 500)
  t.match(JSON.parse(res.body), { reason: 'InternalError', message: 'internal error' })
  t.notMatch(res.body, /collector failed/, 'no internals in the answer')
  t.match(sink.records.find((r) => r.msg === 'operations request failed'), { level: 'error' })
})
