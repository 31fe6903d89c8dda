// `serve` flags for operations, run as shipped (the compiled bin in a child process): metrics and
// probes on --metrics-port, policy and certificate reloads seen in metrics, --client-ca, usage errors.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { generateCertificates } from '../../src/certs/generate.js'
import type { AdmissionReview } from '../../src/kube/types.js'
import { profileContainer, admissionReview } from '../support/reviews.js'
import { policyText, policyVolume } from '../support/volume.js'
import { testCertificates } from '../support/server.js'
import { httpCall, httpsCall, scrape, secretVolume, serialOf, valueOf } from '../server/helpers.js'
import { BIN, eventually, startServe } from './serve-process.js'

// Child processes on a shared 2-core machine: each start of the bin takes a second or more.
t.setTimeout(180_000)



const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
const sysadmin = JSON.stringify(admissionReview({ added: [profileContainer('sysadmin')] }))

t.test('metrics port: decisions, policy reloads and certificate rotation, scraped over HTTP', async (t) => {
  const a = await testCertificates()
  const b = await generateCertificates({ caName: 'rotated CA', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })
  const secret = secretVolume({ 'tls.crt': a.cert, 'tls.key': a.key })
  const policy = policyVolume(policyText('strict', false))
  const serve = await startServe(['--tls-cert', secret.path('tls.crt'), '--tls-key', secret.path('tls.key'), '--policy', policy.file, '--tls-reload-interval', '0.1', '--shutdown-delay', '0'])
  t.teardown(() => { serve.child.kill('SIGKILL') })
  t.not(serve.metricsPort, 9090, '--metrics-port 0 takes a free port and logs it')
  const ca = [a.caCert, b.caCert]

  let samples = await scrape(serve.opsUrl)
  t.equal(valueOf(samples, 'ephemeral_guard_build_info', { version }), 1, 'build info names the package version')
  const strictHash = (serve.logs.find((r) => r.msg === 'ephemeral-guard serving')?.['hash']) as string
  t.equal(valueOf(samples, 'ephemeral_guard_policy_info', { name: 'strict', hash: strictHash }), 1)
  t.equal(valueOf(samples, 'ephemeral_guard_admission_decisions_total', { webhook: 'validate', outcome: 'denied' }), 0)

  for (let i = 0; i < 3; i++) t.equal((await httpsCall(`${serve.url}/validate?timeout=5s`, { ca, method: 'POST', body: sysadmin })).status, 200)
  samples = await scrape(serve.opsUrl)
  t.equal(valueOf(samples, 'ephemeral_guard_admission_decisions_total', { webhook: 'validate', outcome: 'denied' }), 3)
  t.equal(valueOf(samples, 'ephemeral_guard_rule_violations_total', { webhook: 'validate', rule: 'privileged', mode: 'enforce' }), 3)
  t.equal(valueOf(samples, 'ephemeral_guard_admission_duration_seconds_count', { webhook: 'validate' }), 3)

  policy.publish('kind: Broken\n')
  await eventually('a failed policy reload in metrics', async () =>
    valueOf(await scrape(serve.opsUrl), 'ephemeral_guard_policy_reloads_total', { result: 'failure' }) === 1)
  policy.publish(policyText('lenient', true))
  await eventually('a policy reload in metrics', async () =>
    valueOf(await scrape(serve.opsUrl), 'ephemeral_guard_policy_reloads_total', { result: 'success' }) === 1)
  samples = await scrape(serve.opsUrl)
  t.same(samples.filter((s) => s.name === 'ephemeral_guard_policy_info').map((s) => s.labels['name']), ['lenient'], 'policy_info follows the policy in force')
  const allowed = (await httpsCall(`${serve.url}/validate`, { ca, method: 'POST', body: sysadmin })).body
  t.equal((JSON.parse(allowed) as AdmissionReview).response?.allowed, true)

  t.equal((await httpsCall(`${serve.url}/healthz`, { ca, agent: false })).serial, serialOf(a.cert))
  secret.publish({ 'tls.crt': b.cert, 'tls.key': b.key })
  await eventually('the rotated certificate on new connections', async () => (await httpsCall(`${serve.url}/healthz`, { ca, agent: false })).serial === serialOf(b.cert))
  samples = await scrape(serve.opsUrl)
  t.equal(valueOf(samples, 'ephemeral_guard_certificate_reloads_total', { result: 'success' }), 1)

  t.equal((await httpCall(`${serve.opsUrl}/healthz`)).status, 200)
  t.equal((await httpCall(`${serve.opsUrl}/readyz`)).status, 200)
  serve.child.kill('SIGTERM')
  t.equal(await serve.exited, 0)
})

t.test('--client-ca: only clients with a certificate from that CA reach the webhook; probes stay on the metrics port', async (t) => {
  const server = await testCertificates()
  const apiServer = await generateCertificates({ caName: 'kube-apiserver client CA', dnsNames: ['kube-apiserver'], clientAuth: true })
  const secret = secretVolume({ 'tls.crt': server.cert, 'tls.key': server.key, 'client-ca.crt': apiServer.caCert })
  const serve = await startServe(['--tls-cert', secret.path('tls.crt'), '--tls-key', secret.path('tls.key'), '--client-ca', secret.path('client-ca.crt'), '--shutdown-delay', '0'])
  t.teardown(() => { serve.child.kill('SIGKILL') })
  t.match(serve.logs.find((r) => r.msg === 'ephemeral-guard serving'), { clientCertificates: 'required' })
  const ok = await httpsCall(`${serve.url}/validate`, { ca: server.caCert, cert: apiServer.cert, key: apiServer.key, method: 'POST', body: sysadmin })
  t.equal(ok.status, 200, 'the API server, with its client certificate, is answered')
  await t.rejects(httpsCall(`${serve.url}/validate`, { ca: server.caCert, method: 'POST', body: sysadmin }), 'a client without a certificate is refused')
  t.equal((await httpCall(`${serve.opsUrl}/readyz`)).status, 200, 'the readiness probe needs no client certificate on the metrics port')
  t.equal((await httpCall(`${serve.opsUrl}/healthz`)).status, 200)
  const samples = await scrape(serve.opsUrl)
  t.ok((valueOf(samples, 'ephemeral_guard_certificate_expiry_timestamp_seconds', { certificate: 'client-ca' }) ?? 0) > Date.now() / 1000, 'the client CA expiry is exported')
  serve.child.kill('SIGTERM')
  t.equal(await serve.exited, 0)
})

t.test('SIGTERM then a second signal: the rest of the shutdown delay is skipped', async (t) => {
  const a = await testCertificates()
  const secret = secretVolume({ 'tls.crt': a.cert, 'tls.key': a.key })
  const serve = await startServe(['--tls-cert', secret.path('tls.crt'), '--tls-key', secret.path('tls.key'), '--shutdown-delay', '60'])
  t.teardown(() => { serve.child.kill('SIGKILL') })
  const started = Date.now()
  serve.child.kill('SIGTERM')
  await eventually('readiness to fail', async () => (await httpCall(`${serve.opsUrl}/readyz`)).status === 503)
  t.equal((await httpsCall(`${serve.url}/validate`, { ca: a.caCert, method: 'POST', body: sysadmin, agent: false })).status, 200, 'still answering during the delay')
  serve.child.kill('SIGINT')
  t.equal(await serve.exited, 0)
  t.ok(Date.now() - started < 10_000, 'did not wait out the 60 s delay')
  t.ok(serve.logs.some((r) => r.msg === 'skipping the rest of the shutdown delay'))
  t.ok(serve.logs.some((r) => r.msg === 'stopped'), 'the last log line is flushed before exit')
})

t.test('SIGINT (Ctrl-C) stops without the shutdown delay', async (t) => {
  const a = await testCertificates()
  const secret = secretVolume({ 'tls.crt': a.cert, 'tls.key': a.key })
  const serve = await startServe(['--tls-cert', secret.path('tls.crt'), '--tls-key', secret.path('tls.key'), '--shutdown-delay', '60'])
  t.teardown(() => { serve.child.kill('SIGKILL') })
  const started = Date.now()
  serve.child.kill('SIGINT')
  t.equal(await serve.exited, 0)
  t.ok(Date.now() - started < 10_000, 'did not wait out the 60 s delay')
})

t.test('usage and startup errors: exit 2 with a clear message, no stack trace', async (t) => {
  const a = await testCertificates()
  const secret = secretVolume({ 'tls.crt': a.cert, 'tls.key': a.key, 'other.key': (await generateCertificates({ caName: 'x', dnsNames: ['x'] })).key, 'junk.crt': 'junk' })
  const tls = ['--tls-cert', secret.path('tls.crt'), '--tls-key', secret.path('tls.key')]
  const busy = createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => busy.close())
  const busyPort = String((busy.address() as { port: number }).port)
  const cases: Array<[string[], RegExp]> = [
    [[...tls, '--metrics-port', 'x'], /--metrics-port must be a port number, got x/],
    [[...tls, '--metrics-port', '70000'], /--metrics-port must be a port number/],
    [[...tls, '--shutdown-delay=-1'], /--shutdown-delay must be a number of seconds from 0 to 3600, got -1/],
    [[...tls, '--drain-timeout', ''], /--drain-timeout must be a number of seconds/],
    [[...tls, '--tls-reload-interval', 'soon'], /--tls-reload-interval must be a number of seconds/],
    [[...tls, '--max-connections', '0'], /--max-connections must be a whole number from 1 to 65536, got 0/],
    [[...tls, '--max-connections', '1.5'], /--max-connections must be a whole number from 1 to 65536, got 1\.5/],
    [[...tls, '--tls-handshake-timeout', '0'], /--tls-handshake-timeout must be more than 0 seconds/],
    [[...tls, '--tls-handshake-timeout', 'x'], /--tls-handshake-timeout must be a number of seconds/],
    [['--tls-cert', secret.path('junk.crt'), '--tls-key', secret.path('tls.key')], /junk\.crt holds no PEM certificate/],
    [['--tls-cert', secret.path('tls.crt'), '--tls-key', secret.path('other.key')], /the private key in .*other\.key does not match the certificate/],
    [[...tls, '--client-ca', secret.path('missing.crt')], /cannot read the client CA .*missing\.crt/],
    [[...tls, '--metrics-host', '127.0.0.1', '--metrics-port', busyPort], /^ephemeral-guard serve: 127\.0\.0\.1:\d+ is already in use .*; choose a free port with --metrics-port\n/],
  ]
  for (const [args, message] of cases) {
    const res = spawnSync(process.execPath, [BIN, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], { encoding: 'utf8', timeout: 15_000 })
    t.equal(res.status, 2, args.join(' '))
    t.match(res.stderr, message)
    t.notMatch(res.stderr, /\n\s+at /, 'no stack trace')
  }
})
