// Certificate rotation without restart and without dropped connections; bad pairs keep the old one;
// every reload keeps the full TLS settings (ciphers, client CA); --client-ca refuses other clients.
import t, { type Test } from 'tap'
import { X509Certificate } from 'node:crypto'
import { Agent } from 'node:https'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type ConnectionOptions, type SecureContextOptions } from 'node:tls'
import { generateCertificates } from '../../src/certs/generate.js'
import { createLogger } from '../../src/log.js'
import { defaultPolicy } from '../../src/policy/default.js'
import { startServer, type RunningServer } from '../../src/server/listen.js'
import { Metrics } from '../../src/server/metrics.js'
import { CertificateReloader, checkTlsMaterial, loadTlsMaterial } from '../../src/server/tls-reload.js'
import { TlsMaterialError } from '../../src/errors.js'
import { profileContainer, admissionReview } from '../support/reviews.js'
import { logSink, testCertificates } from '../support/server.js'
import { httpsCall, parsePrometheus, secretVolume, serialOf, sleep, valueOf, weakRsaPair, type HttpsResult } from './helpers.js'

const body = JSON.stringify(admissionReview({ added: [profileContainer('general')] }))
const rotated = generateCertificates({ caName: 'ephemeral-guard rotated CA', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })
const apiServerClient = generateCertificates({ caName: 'kube-apiserver client CA', dnsNames: ['kube-apiserver'], clientAuth: true })

async function start(t: Test, files: { certFile: string; keyFile: string; clientCaFile?: string }, tlsReloadIntervalMs: number) {
  const sink = logSink()
  const metrics = new Metrics({ version: 'test', processMetrics: false })
  const server = await startServer({
    host: '127.0.0.1', port: 0, tls: files, tlsReloadIntervalMs, policy: () => defaultPolicy,
    logger: createLogger({ destination: sink.stream }), metrics,
  })
  t.teardown(() => server.shutdown({ delayMs: 0, drainTimeoutMs: 1000 }))
  const address = server.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { server, url: `https://127.0.0.1:${address.port}`, port: address.port, logs: sink.records, metrics }
}

const metricValue = async (metrics: Metrics, name: string, labels: Record<string, string>) => valueOf(parsePrometheus((await metrics.text()).body), name, labels)

/**
 * Connects, sends GET /healthz and waits for the answer: resolves with the negotiated cipher and the
 * server's certificate serial, or with the error (with TLS 1.3 a refused client certificate is only
 * reported after the handshake, when the first read fails).
 */
function handshake(port: number, o: ConnectionOptions): Promise<{ ok: true; cipher: string; serial: string } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', ...o }, () => {
      s.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
    })
    let answer = ''
    s.on('data', (c: Buffer) => { answer += c.toString() })
    s.on('end', () => resolve(answer.startsWith('HTTP/1.1 200')
      ? { ok: true, cipher: s.getCipher().name, serial: s.getPeerCertificate().serialNumber.toUpperCase() }
      : { ok: false, error: `answered ${JSON.stringify(answer.slice(0, 40))}` }))
    s.on('error', (e) => resolve({ ok: false, error: e.message }))
  })
}

t.test('loadTlsMaterial: clear errors for unusable files, never a half-usable pair', async (t) => {
  const a = await testCertificates()
  const b = await rotated
  const files = { certFile: 'tls.crt', keyFile: 'tls.key', clientCaFile: 'ca.crt' }
  const cases: Array<[string, { cert: string; key: string; clientCa?: string }, RegExp]> = [
    ['a certificate that does not parse', { cert: 'not a certificate', key: a.key }, /tls\.crt holds no PEM certificate/],
    ['a truncated certificate', { cert: a.cert.slice(0, 200), key: a.key }, /tls\.crt holds no PEM certificate/],
    ['a key that does not parse', { cert: a.cert, key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }, /tls\.key holds no PEM private key/],
    ['a key of another certificate', { cert: a.cert, key: b.key }, /the private key in tls\.key does not match the certificate in tls\.crt/],
    ['a client CA file without a certificate', { cert: a.cert, key: a.key, clientCa: 'nothing here' }, /ca\.crt holds no PEM certificate/],
    ['a client CA file with a broken certificate', { cert: a.cert, key: a.key, clientCa: `${a.caCert}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n` }, /ca\.crt holds a certificate that does not parse/],
  ]
  const weak = await weakRsaPair()
  cases.push(['a pair OpenSSL refuses to serve', { cert: weak.cert, key: weak.key }, /the certificate files cannot be used: .*ee key too small/])
  for (const [name, raw, message] of cases) {
    t.throws(() => checkTlsMaterial({ cert: Buffer.from(raw.cert), key: Buffer.from(raw.key), ...(raw.clientCa ? { clientCa: Buffer.from(raw.clientCa) } : {}) }, files), { name: 'TlsMaterialError', message }, name)
  }
  t.throws(() => loadTlsMaterial({ certFile: '/nonexistent/tls.crt', keyFile: '/nonexistent/tls.key' }), { name: 'TlsMaterialError', message: /cannot read the certificate \/nonexistent\/tls\.crt: ENOENT/ })
  t.type(new TlsMaterialError('x'), Error)
  const both = checkTlsMaterial({ cert: Buffer.from(a.cert), key: Buffer.from(a.key), clientCa: Buffer.from(`${a.caCert}${b.caCert}`) }, files)
  const caExpiries = [a.caCert, b.caCert].map((pem) => new Date(new X509Certificate(pem).validTo).getTime())
  t.equal(both.clientCaNotAfter?.getTime(), Math.min(...caExpiries), 'the earliest expiry of a CA bundle')
  t.equal(both.certificate.serialNumber.toUpperCase(), serialOf(a.cert))
})

t.test('rotation under concurrent requests: zero failures, new connections get the new certificate, open ones keep theirs', async (t) => {
  const a = await testCertificates()
  const b = await rotated
  const volume = secretVolume({ 'tls.crt': a.cert, 'tls.key': a.key })
  const { url, logs, metrics } = await start(t, { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key') }, 25)
  const ca = [a.caCert, b.caCert] // the caBundle holds both CAs during a CA rotation
  const held = new Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => held.destroy())
  const before = await httpsCall(`${url}/healthz`, { ca, agent: held })
  t.equal(before.serial, serialOf(a.cert))

  let running = true
  const results: Array<HttpsResult | Error> = []
  const worker = async (agent: Agent | false): Promise<void> => {
    while (running) results.push(await httpsCall(`${url}/validate`, { ca, method: 'POST', body, agent }).catch((e: Error) => e))
  }
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 4 })
  t.teardown(() => keepAlive.destroy())
  const workers = [...Array.from({ length: 4 }, () => worker(keepAlive)), ...Array.from({ length: 4 }, () => worker(false))]
  await sleep(300)
  volume.publish({ 'tls.crt': b.cert, 'tls.key': b.key })
  const deadline = Date.now() + 60_000 // a bound for a broken reload, not a speed: the loop ends as soon as the new serial serves
  while (Date.now() < deadline && (await httpsCall(`${url}/healthz`, { ca, agent: false })).serial !== serialOf(b.cert)) await sleep(20)
  await sleep(300)
  running = false
  await Promise.all(workers)

  const failures = results.filter((r) => r instanceof Error || r.status !== 200)
  t.same(failures, [], 'no request failed')
  t.ok(results.length > 40, `${results.length} requests during the rotation`)
  const serials = new Set(results.map((r) => (r as HttpsResult).serial))
  t.same([...serials].sort(), [serialOf(a.cert), serialOf(b.cert)].sort(), 'both certificates served, nothing else')
  t.equal((await httpsCall(`${url}/healthz`, { ca: b.caCert, agent: false })).serial, serialOf(b.cert), 'a new connection sees the new certificate')
  const after = await httpsCall(`${url}/healthz`, { ca, agent: held })
  t.ok(after.reused, 'the connection opened before the rotation is still open')
  t.equal(after.serial, serialOf(a.cert), 'and keeps the certificate it was made with')
  t.match(logs.find((r) => r.msg === 'certificate reloaded; new connections use it'), { level: 'info', serialNumber: new X509Certificate(b.cert).serialNumber })
  t.equal(await metricValue(metrics, 'ephemeral_guard_certificate_reloads_total', { result: 'success' }), 1)
  t.equal(await metricValue(metrics, 'ephemeral_guard_certificate_expiry_timestamp_seconds', { certificate: 'serving' }),
    Math.floor(new Date(new X509Certificate(b.cert).validTo).getTime() / 1000))
})

t.test('a bad new pair keeps the current one serving, logs an error and counts a failure', async (t) => {
  const a = await testCertificates()
  const b = await rotated
  const volume = secretVolume({ 'tls.crt': a.cert, 'tls.key': a.key })
  const { server, url, logs, metrics } = await start(t, { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key') }, 0)
  const ca = [a.caCert, b.caCert]
  const failed = () => logs.filter((r) => r.msg === 'certificate reload failed; the current certificate keeps serving')
  t.equal(server.certificates.check(), 'unchanged')

  const bad: Array<[string, Record<string, string>, RegExp]> = [
    ['unparsable certificate', { 'tls.crt': 'garbage', 'tls.key': a.key }, /holds no PEM certificate/],
    ['key of another certificate', { 'tls.crt': a.cert, 'tls.key': b.key }, /does not match the certificate/],
    ['half-written key', { 'tls.crt': b.cert, 'tls.key': b.key.slice(0, 60) }, /holds no PEM private key/],
    ['key file missing', { 'tls.crt': b.cert }, /cannot read the private key .*ENOENT/],
  ]
  for (const [name, files, error] of bad) {
    volume.publish(files)
    // A read failure is reported at once; content is judged when two reads a poll apart agree.
    if (files['tls.key'] !== undefined) t.equal(server.certificates.check(), 'pending', `${name}: first read`)
    t.equal(server.certificates.check(), 'invalid', name)
    t.match(failed().at(-1), { level: 'error', error, serving: { serialNumber: new X509Certificate(a.cert).serialNumber } }, `${name}: logged`)
    const res = await httpsCall(`${url}/validate`, { ca, method: 'POST', body, agent: false })
    t.equal(res.status, 200, `${name}: still answering`)
    t.equal(res.serial, serialOf(a.cert), `${name}: with the current certificate`)
  }
  const logged = failed().length
  t.equal(server.certificates.check(), 'invalid', 'still missing')
  t.equal(failed().length, logged, 'a failure is logged once, not at every poll')
  t.equal(await metricValue(metrics, 'ephemeral_guard_certificate_reloads_total', { result: 'failure' }), bad.length)
  t.equal(await metricValue(metrics, 'ephemeral_guard_certificate_reloads_total', { result: 'success' }), 0)

  volume.publish({ 'tls.crt': b.cert, 'tls.key': b.key })
  t.equal(server.certificates.check(), 'pending')
  t.equal(server.certificates.check(), 'reloaded', 'a good pair after bad ones is taken')
  t.equal((await httpsCall(`${url}/healthz`, { ca, agent: false })).serial, serialOf(b.cert))
  t.equal(server.certificates.material.certificate.serialNumber.toUpperCase(), serialOf(b.cert), 'the material in use is the new one')
})

t.test('every reload keeps the full TLS settings: AEAD-only TLS 1.2 suites and client-certificate checks', async (t) => {
  const a = await testCertificates()
  const b = await rotated
  const client = await apiServerClient
  const volume = secretVolume({ 'tls.crt': a.cert, 'tls.key': a.key, 'ca.crt': client.caCert })
  const { server, port, url } = await start(t, { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key'), clientCaFile: volume.path('ca.crt') }, 0)
  const ca = [a.caCert, b.caCert]
  const trusted = { ca, cert: client.cert, key: client.key }
  const stranger = await generateCertificates({ caName: 'someone else', dnsNames: ['kube-apiserver'], clientAuth: true })

  const check = async (phase: string, serial: string): Promise<void> => {
    const ok = await handshake(port, trusted)
    t.match(ok, { ok: true, serial }, `${phase}: the API server's client certificate is accepted`)
    const cbc = await handshake(port, { ...trusted, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA256' })
    t.match(cbc, { ok: false }, `${phase}: a TLS 1.2 client offering only a CBC suite is refused`)
    const aead = await handshake(port, { ...trusted, maxVersion: 'TLSv1.2' })
    t.match(aead, { ok: true, cipher: /GCM|CHACHA20/ }, `${phase}: TLS 1.2 negotiates an AEAD suite`)
    t.match(await handshake(port, { ca }), { ok: false }, `${phase}: a client without a certificate is refused`)
    t.match(await handshake(port, { ca, cert: stranger.cert, key: stranger.key }), { ok: false }, `${phase}: a certificate of another CA is refused`)
    const res = await httpsCall(`${url}/validate`, { ...trusted, method: 'POST', body, agent: false })
    t.equal(res.status, 200, `${phase}: the API server is answered`)
  }
  await check('before a reload', serialOf(a.cert))
  volume.publish({ 'tls.crt': b.cert, 'tls.key': b.key, 'ca.crt': client.caCert })
  t.equal(server.certificates.check(), 'pending')
  t.equal(server.certificates.check(), 'reloaded')
  await check('after a reload', serialOf(b.cert))
})

const DAY_MS = 86_400_000
const expired = generateCertificates({ caName: 'expired CA', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], notBefore: new Date(Date.now() - 10 * DAY_MS), days: 1 })
const notYetValid = generateCertificates({ caName: 'future CA', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], notBefore: new Date(Date.now() + DAY_MS), days: 30 })

t.test('issue 12 finding 9: an expired or not-yet-valid certificate never replaces a valid one', async (t) => {
  const a = await testCertificates()
  const old = await expired
  const future = await notYetValid
  const volume = secretVolume({ 'tls.crt': a.cert, 'tls.key': a.key })
  const { server, url, logs, metrics } = await start(t, { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key') }, 0)
  const ca = [a.caCert, old.caCert, future.caCert]
  const failed = () => logs.filter((r) => r.msg === 'certificate reload failed; the current certificate keeps serving')
  const cases: Array<[string, { cert: string; key: string }, RegExp]> = [
    ['expired', old, /the certificate in .*tls\.crt has expired: notAfter /],
    ['not yet valid', future, /the certificate in .*tls\.crt is not valid yet: notBefore /],
  ]
  for (const [name, pair, error] of cases) {
    volume.publish({ 'tls.crt': pair.cert, 'tls.key': pair.key })
    t.equal(server.certificates.check(), 'pending', `${name}: first read`)
    t.equal(server.certificates.check(), 'invalid', `${name}: refused`)
    t.match(failed().at(-1), { level: 'error', error, serving: { serialNumber: new X509Certificate(a.cert).serialNumber } }, `${name}: logged`)
    const res = await httpsCall(`${url}/validate`, { ca, method: 'POST', body, agent: false })
    t.equal(res.status, 200, `${name}: still answering`)
    t.equal(res.serial, serialOf(a.cert), `${name}: a new connection still gets the valid certificate`)
    const ready = await httpsCall(`${url}/readyz`, { ca, agent: false })
    t.equal(ready.status, 200, `${name}: still ready (the valid certificate serves)`)
    t.match(JSON.parse(ready.body), { certificate: { serialNumber: new X509Certificate(a.cert).serialNumber, reloadError: { message: /current certificate keeps serving/, error } } }, `${name}: /readyz shows the refused reload`)
    t.equal(server.certificates.check(), 'unchanged', `${name}: reported once`)
  }
  t.equal(failed().length, 2)
  t.equal(await metricValue(metrics, 'ephemeral_guard_certificate_reloads_total', { result: 'failure' }), 2)
  t.equal(await metricValue(metrics, 'ephemeral_guard_certificate_reloads_total', { result: 'success' }), 0)
  t.equal(await metricValue(metrics, 'ephemeral_guard_certificate_expiry_timestamp_seconds', { certificate: 'serving' }),
    Math.floor(new Date(new X509Certificate(a.cert).validTo).getTime() / 1000), 'the expiry metric is still the serving certificate\'s')
  const b = await rotated
  volume.publish({ 'tls.crt': b.cert, 'tls.key': b.key })
  server.certificates.check()
  t.equal(server.certificates.check(), 'reloaded', 'a valid pair is taken after refused ones')
  t.notOk(server.certificates.status().reloadError, 'and clears the error')
})

/** A secure-context target that records what it is given, for reloader tests without a server. */
const recorder = () => {
  const set: SecureContextOptions[] = []
  return { set, target: { setSecureContext: (o: SecureContextOptions) => { set.push(o) } } }
}

t.test('a certificate issued ahead of this clock is taken once it is valid, without a change of files', async (t) => {
  const a = await testCertificates()
  const future = await notYetValid
  const volume = secretVolume({ 'tls.crt': a.cert, 'tls.key': a.key })
  const files = { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key') }
  const sink = logSink()
  let now = new Date()
  const { set, target } = recorder()
  const reloader = new CertificateReloader(target, files, loadTlsMaterial(files), createLogger({ destination: sink.stream }), () => now)
  const events: string[] = []
  reloader.onReload((e) => events.push(e.result))
  volume.publish({ 'tls.crt': future.cert, 'tls.key': future.key })
  t.equal(reloader.check(), 'pending')
  t.equal(reloader.check(), 'invalid')
  t.equal(reloader.check(), 'unchanged', 'still not valid: quiet')
  t.equal(set.length, 0, 'the server context was not touched')
  now = new Date(Date.now() + 2 * DAY_MS)
  t.equal(reloader.check(), 'reloaded', 'valid now: taken')
  t.equal(set.length, 1)
  t.equal(reloader.material.certificate.serialNumber, new X509Certificate(future.cert).serialNumber)
  t.equal(reloader.check(), 'unchanged')
  t.same(events, ['failure', 'success'])
  now = new Date(Date.now() + 40 * DAY_MS)
  t.equal(reloader.check(), 'unchanged', 'the serving certificate expiring is not a reload (doctor and the expiry metric tell)')
})

t.test('certificate files: a change is taken only when two reads a poll apart agree (same rule as the policy)', async (t) => {
  const a = await testCertificates()
  const b = await rotated
  const dir = mkdtempSync(join(tmpdir(), 'eg-tls-'))
  const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') }
  writeFileSync(files.certFile, a.cert)
  writeFileSync(files.keyFile, a.key)
  const sink = logSink()
  const { set, target } = recorder()
  const reloader = new CertificateReloader(target, files, loadTlsMaterial(files), createLogger({ destination: sink.stream }))
  // Files rewritten in place, one after the other: the first poll sees the new certificate with the old key.
  writeFileSync(files.certFile, b.cert)
  t.equal(reloader.check(), 'pending', 'a changed read: only noted')
  writeFileSync(files.keyFile, b.key)
  t.equal(reloader.check(), 'pending', 'changed again: only noted')
  t.same(sink.records.filter((r) => r.level === 'error'), [], 'the mismatched pair was never judged, so nothing failed')
  t.equal(set.length, 0)
  t.equal(reloader.check(), 'reloaded', 'the same content on the next poll: taken')
  t.equal(reloader.material.certificate.serialNumber, new X509Certificate(b.cert).serialNumber)
  writeFileSync(files.certFile, a.cert)
  t.equal(reloader.check(), 'pending')
  writeFileSync(files.certFile, b.cert)
  t.equal(reloader.check(), 'unchanged', 'back to the content in use before a change was confirmed')
  rmSync(files.keyFile)
  t.equal(reloader.check(), 'invalid', 'a read failure is reported at once')
  t.match(reloader.status(), { reloadError: { error: /cannot read the private key/ } })
  writeFileSync(files.keyFile, b.key)
  t.equal(reloader.check(), 'unchanged', 'the files are back as they were')
  t.notOk(reloader.status().reloadError, 'and the error is cleared')
})
