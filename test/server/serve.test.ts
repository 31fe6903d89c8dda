// startWebhook, the one assembly of `serve`, in-process: the policy file watched with its metrics,
// development certificates, the "ephemeral-guard serving" line, /readyz, and stop(); a server that
// cannot start leaves nothing running.
import t from 'tap'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../src/log.js'
import { Metrics } from '../../src/server/metrics.js'
import { startWebhook, type ServeConfig } from '../../src/server/serve.js'
import { policyText, policyVolume } from '../support/volume.js'
import { logSink, testCertificates } from '../support/server.js'
import { httpCall, httpsCall, parsePrometheus, secretVolume, valueOf } from './helpers.js'
import { eventually } from '../cli/serve-process.js'

const base = (logger: ServeConfig['logger']): Omit<ServeConfig, 'tls'> => ({
  host: '127.0.0.1', port: 0, ops: { host: '127.0.0.1', port: 0 }, tlsReloadIntervalMs: 0, env: {}, logger,
  metrics: new Metrics({ version: 'test', processMetrics: false }),
})

t.test('a watched policy file and development certificates: serving, /readyz, reload metrics, stop', async (t) => {
  const sink = logSink()
  const policy = policyVolume(policyText('strict', false))
  const devCerts = mkdtempSync(join(tmpdir(), 'eg-dev-'))
  const config: ServeConfig = { ...base(createLogger({ destination: sink.stream })), tls: { devCerts }, policyFile: policy.file, policyPollMs: 10 }
  const webhook = await startWebhook(config)
  t.teardown(() => webhook.stop({ delayMs: 0, drainTimeoutMs: 1000 }))
  t.match(sink.records.find((r) => r.msg === 'created development certificates; trust the CA bundle to call the webhook'), { certFile: join(devCerts, 'tls.crt') })
  const serving = sink.records.find((r) => r.msg === 'ephemeral-guard serving')
  t.match(serving, { policy: 'strict', clientCertificates: 'not requested', metricsPort: webhook.server.ops?.address.port })
  const ops = `http://127.0.0.1:${webhook.server.ops!.address.port}`
  t.match(JSON.parse((await httpCall(`${ops}/readyz`)).body), { status: 'ok', policy: { name: 'strict', source: policy.file }, certificate: {} })
  const samples = parsePrometheus((await httpCall(`${ops}/metrics`)).body)
  t.equal(valueOf(samples, 'ephemeral_guard_policy_info', { name: 'strict' }), 1)

  // Reload metrics follow the watcher (polled every 10 ms here; waited for, never timed).
  const metrics = config.metrics!
  const reloads = async (result: string) => valueOf(parsePrometheus((await metrics.text()).body), 'ephemeral_guard_policy_reloads_total', { result })
  policy.publish('kind: Broken\n')
  await eventually('a failed policy reload in metrics', async () => (await reloads('failure')) === 1, 60_000)
  policy.publish(policyText('lenient', true))
  await eventually('a policy reload in metrics', async () => (await reloads('success')) === 1, 60_000)
  t.same(parsePrometheus((await metrics.text()).body).filter((s) => s.name === 'ephemeral_guard_policy_info').map((s) => s.labels['name']), ['lenient'], 'policy_info follows the policy in force')
  const report = await webhook.stop({ delayMs: 0, drainTimeoutMs: 1000 })
  t.same(report, { forced: false })
})

t.test('the built-in policy and certificate files: /readyz names the built-in policy', async (t) => {
  const sink = logSink()
  const certs = await testCertificates()
  const volume = secretVolume({ 'tls.crt': certs.cert, 'tls.key': certs.key, 'ca.crt': certs.caCert })
  const webhook = await startWebhook({ ...base(createLogger({ destination: sink.stream })), tls: { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key'), clientCaFile: volume.path('ca.crt') } })
  t.teardown(() => webhook.stop({ delayMs: 0, drainTimeoutMs: 1000 }))
  t.match(sink.records.find((r) => r.msg === 'ephemeral-guard serving'), { policy: 'default', clientCertificates: 'required' })
  t.match(JSON.parse((await httpCall(`http://127.0.0.1:${webhook.server.ops!.address.port}/readyz`)).body), { policy: { name: 'default', source: 'built-in' } })
  const address = webhook.server.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  await t.rejects(httpsCall(`https://127.0.0.1:${address.port}/healthz`, { ca: certs.caCert, agent: false }), 'a client without a certificate is refused')
})

t.test('a server that cannot start: the error, and the policy watcher stopped', async (t) => {
  const certs = await testCertificates()
  const volume = secretVolume({ 'tls.crt': certs.cert, 'tls.key': certs.key })
  const tls = { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key') }
  const first = await startWebhook({ ...base(createLogger({ destination: logSink().stream })), tls })
  t.teardown(() => first.stop({ delayMs: 0, drainTimeoutMs: 1000 }))
  const policy = policyVolume(policyText('strict', false))
  await t.rejects(startWebhook({ ...base(createLogger({ destination: logSink().stream })), tls, policyFile: policy.file, ops: { host: '127.0.0.1', port: first.server.ops!.address.port } }), { code: 'EADDRINUSE' })
  await t.rejects(startWebhook({ ...base(createLogger({ destination: logSink().stream })), tls: { certFile: volume.path('missing.crt'), keyFile: volume.path('tls.key') }, policyFile: policy.file }), { name: 'TlsMaterialError' })
})

t.test('--cluster-policies: not ready until both lists are read, then the policies in force in /readyz, metrics and logs', async (t) => {
  const { fakeInformer } = await import('../support/fake-informer.js')
  const { specHash } = await import('../../src/policy/policy-set.js')
  const sink = logSink()
  const certs = await testCertificates()
  const volume = secretVolume({ 'tls.crt': certs.cert, 'tls.key': certs.key })
  const informers = { ephemeralcontainerpolicies: fakeInformer(), debugpolicies: fakeInformer() }
  const spec = { rules: [{ name: 'no-privileged', securityContext: { allowPrivileged: false } }] }
  informers.ephemeralcontainerpolicies.state.next.push([{ apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'EphemeralContainerPolicy', metadata: { name: 'p', uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z' }, spec }])
  // The DebugPolicy list fails first: start-up waits its time, then listens, not ready.
  informers.debugpolicies.state.next.push(new Error('the server could not find the requested resource'), [])
  const config: ServeConfig = {
    ...base(createLogger({ destination: sink.stream })),
    tls: { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key') },
    clusterPolicies: true,
    clusterPolicyWaitMs: 10,
    policyInformers: async (r) => informers[r].informer,
  }
  const webhook = await startWebhook(config)
  t.teardown(() => webhook.stop({ delayMs: 0, drainTimeoutMs: 1000 }))
  const ops = `http://127.0.0.1:${webhook.server.ops!.address.port}`
  const first = await httpCall(`${ops}/readyz`)
  if (first.status === 503) t.match(JSON.parse(first.body), { status: 'not ready', message: "not ready: the cluster's policies are not read yet", policy: { source: 'cluster', informers: { debugpolicies: { lastError: 'the server could not find the requested resource' } } } })
  await eventually('/readyz to pass once the retry lists', async () => (await httpCall(`${ops}/readyz`)).status === 200, 60_000)
  const hash = specHash(spec)
  t.match(JSON.parse((await httpCall(`${ops}/readyz`)).body), { status: 'ok', policy: { source: 'cluster', ready: true, inForce: [{ policy: `EphemeralContainerPolicy/p@${hash}`, servedFrom: 'spec' }], notServed: [] } })
  const samples = parsePrometheus((await httpCall(`${ops}/metrics`)).body)
  t.equal(valueOf(samples, 'ephemeral_guard_policy_info', { name: 'p', hash }), 1)
  t.equal(valueOf(samples, 'ephemeral_guard_policies_not_served'), 0)
  t.ok((valueOf(samples, 'ephemeral_guard_policy_reloads_total', { result: 'success' }) ?? 0) >= 1)
  t.match(sink.records.find((r) => r.msg === 'cluster policies in force'), { policies: `p@${hash}` })
  // A change reaches metrics (and decisions: test/policy/cluster-source.test.ts, e2e cluster-policies).
  informers.debugpolicies.emit('add', { apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'DebugPolicy', metadata: { name: 'd', namespace: 'shop', uid: 'u2' }, spec: { rules: [{ name: 'r', images: { requireDigest: 'yes' } }] } })
  await eventually('the invalid DebugPolicy counted as not served', async () => valueOf(parsePrometheus((await httpCall(`${ops}/metrics`)).body), 'ephemeral_guard_policies_not_served') === 1, 60_000)
  t.same(informers.debugpolicies.state.stops, 0)
  await webhook.stop({ delayMs: 0, drainTimeoutMs: 1000 })
  t.equal(informers.debugpolicies.state.stops, 1, 'stop() stops the informers')
  t.equal(informers.ephemeralcontainerpolicies.state.stops, 1)
})

t.test('--cluster-policies needs a cluster, and excludes a policy file', async (t) => {
  const certs = await testCertificates()
  const volume = secretVolume({ 'tls.crt': certs.cert, 'tls.key': certs.key })
  const tls = { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key') }
  await t.rejects(startWebhook({ ...base(createLogger({ destination: logSink().stream })), tls, clusterPolicies: true }), { name: 'ClusterError', message: /--cluster-policies needs a cluster: --kubeconfig FILE, or run in a pod/ })
  await t.rejects(startWebhook({ ...base(createLogger({ destination: logSink().stream })), tls, clusterPolicies: true, policyFile: 'x.yaml' }), { name: 'ClusterError', message: /exclude each other/ })
})

t.test('--cluster-policies through a kubeconfig: the informers list both kinds from the API server it names', async (t) => {
  const { startFakeApiServer } = await import('../support/fake-apiserver.js')
  const spec = { rules: [{ name: 'digests', images: { requireDigest: true } }] }
  const api = await startFakeApiServer({
    '/apis/ephemeral-guard.dev/v1alpha1/ephemeralcontainerpolicies': [{ apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'EphemeralContainerPolicy', metadata: { name: 'from-api', uid: 'u1', creationTimestamp: '2026-01-01T00:00:00Z' }, spec }],
  })
  t.teardown(() => api.stop())
  const sink = logSink()
  const certs = await testCertificates()
  const volume = secretVolume({ 'tls.crt': certs.cert, 'tls.key': certs.key })
  const webhook = await startWebhook({
    ...base(createLogger({ destination: sink.stream })),
    tls: { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key') },
    clusterPolicies: true,
    kubeconfig: api.kubeconfig,
  })
  t.teardown(() => webhook.stop({ delayMs: 0, drainTimeoutMs: 1000 }))
  const ops = `http://127.0.0.1:${webhook.server.ops!.address.port}`
  await eventually('/readyz to pass', async () => (await httpCall(`${ops}/readyz`)).status === 200, 60_000)
  const { specHash } = await import('../../src/policy/policy-set.js')
  t.match(JSON.parse((await httpCall(`${ops}/readyz`)).body), { policy: { inForce: [{ policy: `EphemeralContainerPolicy/from-api@${specHash(spec)}` }] } })
  t.ok(api.requests.some((r) => r.startsWith('/apis/ephemeral-guard.dev/v1alpha1/debugpolicies?') && r.includes('watch=true')), 'DebugPolicy objects watched across namespaces')
})
