// startServer as serve runs it: certificates from files, the operations port, and the shutdown sequence.
import t, { type Test } from 'tap'
import { Agent } from 'node:https'
import { connect, type TLSSocket } from 'node:tls'
import { connect as tcpConnect, type Socket } from 'node:net'
import { createLogger } from '../../src/log.js'
import { defaultPolicy } from '../../src/policy/default.js'
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, OPS_MAX_CONNECTIONS, startServer } from '../../src/server/listen.js'
import { Metrics } from '../../src/server/metrics.js'
import type { AdmissionReview } from '../../src/kube/types.js'
import { profileContainer, admissionReview } from '../support/reviews.js'
import { logSink, testCertificates } from '../support/server.js'
import { httpCall, httpsCall, secretVolume, sleep } from './helpers.js'

const body = JSON.stringify(admissionReview({ added: [profileContainer('general')] }))

async function start(t: Test, o: { ops?: boolean; maxConnections?: number; handshakeTimeoutMs?: number } = {}) {
  const certs = await testCertificates()
  const volume = secretVolume({ 'tls.crt': certs.cert, 'tls.key': certs.key })
  const sink = logSink()
  const server = await startServer({
    host: '127.0.0.1', port: 0, tls: { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key') },
    policy: () => defaultPolicy, logger: createLogger({ destination: sink.stream }),
    metrics: new Metrics({ version: 'test', processMetrics: false }),
    ...(o.ops === false ? {} : { ops: { host: '127.0.0.1', port: 0 } }),
    ...(o.maxConnections === undefined ? {} : { maxConnections: o.maxConnections }),
    ...(o.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: o.handshakeTimeoutMs }),
    status: () => ({ policy: { name: defaultPolicy.name } }),
  })
  const address = server.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    server, port: address.port, url: `https://127.0.0.1:${address.port}`, ca: certs.caCert, logs: sink.records,
    opsUrl: server.ops ? `http://127.0.0.1:${server.ops.address.port}` : '',
  }
}

/**
 * A POST /validate whose body arrives in two parts, `gapMs` apart, on a connection of its own;
 * resolves with the raw HTTP answer.
 */
/**
 * A review whose body stops after 100 bytes: `firstPart` resolves once they are written, and the rest
 * is written when `sendRest()` is called (or never).
 */
function slowReview(port: number, ca: string): { answer: Promise<string>; firstPart: Promise<void>; sendRest: () => void } {
  let sendRest = (): void => {}
  let wrote: () => void = () => {}
  const firstPart = new Promise<void>((resolve) => { wrote = resolve })
  const answer = new Promise<string>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      s.write(`POST /validate HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 100)}`, () => wrote())
      sendRest = () => { if (!s.destroyed) s.write(body.slice(100)) }
    })
    let answer = ''
    s.on('data', (c: Buffer) => { answer += c.toString() })
    s.on('end', () => resolve(answer))
    s.on('close', () => resolve(answer))
    s.on('error', reject)
  })
  return { answer, firstPart, sendRest: () => sendRest() }
}

t.test('HTTPS from certificate files; TLS 1.2 clients served; probes and metrics on the operations port', async (t) => {
  const { server, port, url, ca, opsUrl } = await start(t)
  t.teardown(() => server.shutdown({ delayMs: 0, drainTimeoutMs: 1000 }))
  t.equal((await httpsCall(`${url}/readyz`, { ca })).status, 200)
  const protocol = await new Promise<string | null>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost', maxVersion: 'TLSv1.2' }, () => { resolve(s.getProtocol()); s.end() })
    s.on('error', reject)
  })
  t.equal(protocol, 'TLSv1.2', 'TLS 1.2 clients are served')
  t.equal((await httpCall(`${opsUrl}/healthz`)).status, 200)
  t.match(JSON.parse((await httpCall(`${opsUrl}/readyz`)).body), { status: 'ok', policy: { name: 'default' } })
  t.match((await httpCall(`${opsUrl}/metrics`)).body, /ephemeral_guard_build_info\{version="test"/)
})

t.test('an operations port already in use: startServer fails and closes the HTTPS listener', async (t) => {
  const first = await start(t)
  t.teardown(() => first.server.shutdown({ delayMs: 0, drainTimeoutMs: 1000 }))
  const certs = await testCertificates()
  const volume = secretVolume({ 'tls.crt': certs.cert, 'tls.key': certs.key })
  await t.rejects(startServer({
    host: '127.0.0.1', port: 0, tls: { certFile: volume.path('tls.crt'), keyFile: volume.path('tls.key') },
    policy: () => defaultPolicy, logger: createLogger({ destination: logSink().stream }),
    ops: { host: '127.0.0.1', port: first.server.ops!.address.port },
  }), { code: 'EADDRINUSE' })
})

t.test('shutdown: not ready at once, answers during the delay with Connection: close, drains in-flight requests', async (t) => {
  const { server, port, url, ca, opsUrl, logs } = await start(t)
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const warm = await httpsCall(`${url}/validate`, { ca, agent, method: 'POST', body })
  t.equal(warm.headers['connection'], 'keep-alive')

  // A delay far longer than the test: `hurry` ends it once the slow request below is in flight, so
  // nothing here depends on how fast the machine is.
  const hurry = new AbortController()
  const done = server.shutdown({ delayMs: 600_000, drainTimeoutMs: 600_000, hurry: hurry.signal })
  t.equal(server.ready(), false)
  t.equal((await httpCall(`${opsUrl}/readyz`)).status, 503, 'readiness fails at once on the operations port')
  t.match(JSON.parse((await httpCall(`${opsUrl}/readyz`)).body), { code: 503, reason: 'ServiceUnavailable', message: 'not ready: shutting down' })
  t.equal((await httpsCall(`${url}/readyz`, { ca, agent: false })).status, 503, 'and on the HTTPS port')
  t.equal((await httpCall(`${opsUrl}/healthz`)).status, 200, 'liveness holds: the kubelet must not restart us')

  const during = await httpsCall(`${url}/validate`, { ca, agent, method: 'POST', body })
  t.equal(during.status, 200, 'a request on the open keep-alive connection is answered during the delay')
  t.ok(during.reused)
  t.equal(during.headers['connection'], 'close', 'with Connection: close, so the client reconnects elsewhere')
  t.equal((await httpsCall(`${url}/validate`, { ca, agent: false, method: 'POST', body })).status, 200, 'a new connection during the delay is answered')

  // A request whose body is still arriving when the listener closes must be answered.
  const inFlight = slowReview(port, ca)
  await inFlight.firstPart // started during the delay
  hurry.abort()
  while (!logs.some((r) => r.msg === 'closing the listener; draining in-flight requests')) await sleep(10)
  await t.rejects(httpsCall(`${url}/healthz`, { ca, agent: false }), { code: 'ECONNREFUSED' }, 'no new connections after the delay')
  inFlight.sendRest()
  const answer = await inFlight.answer
  t.match(answer, /^HTTP\/1\.1 200 OK/, 'the in-flight request is answered')
  t.match(answer, /connection: close/i)
  t.equal((JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as AdmissionReview).response?.allowed, true)
  t.same(await done, { forced: false }, 'drained, not cut')
  await t.rejects(httpCall(`${opsUrl}/healthz`), { code: 'ECONNREFUSED' }, 'the operations port closes last')
  t.same(logs.filter((r) => ['shutting down: not ready; still answering during the delay', 'closing the listener; draining in-flight requests', 'stopped'].includes(r.msg ?? '')).map((r) => r.msg),
    ['shutting down: not ready; still answering during the delay', 'closing the listener; draining in-flight requests', 'stopped'])
})

t.test('shutdown: a request that never completes is cut at the drain timeout', async (t) => {
  const { server, port, ca, logs } = await start(t, { ops: false })
  const stalled = slowReview(port, ca) // its body is never completed
  await stalled.firstPart
  const started = Date.now()
  t.same(await server.shutdown({ delayMs: 0, drainTimeoutMs: 300 }), { forced: true })
  // Timers never fire early, so the lower bound holds however busy the machine is.
  t.ok(Date.now() - started >= 300, 'not cut before the drain timeout')
  t.equal(await stalled.answer, '', 'the stalled connection was closed without an answer')
  t.match(logs.find((r) => r.msg === 'drain timeout: closing the connections still open'), { level: 'warn', drainTimeoutMs: 300 })
})

t.test('shutdown: a second signal (hurry) skips the rest of the delay', async (t) => {
  const { server } = await start(t)
  const hurry = new AbortController()
  const started = Date.now()
  const done = server.shutdown({ delayMs: 600_000, drainTimeoutMs: 1000, hurry: hurry.signal })
  await sleep(100)
  hurry.abort()
  await done
  // The delay is ten minutes, far beyond the test's timeout: reaching here means it was skipped.
  t.ok(Date.now() - started < 600_000, 'stopped without waiting out the delay')
})

/** A plain TCP connection to 127.0.0.1:port, once connected; `closed` resolves when the server closes it. */
async function rawConnection(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = tcpConnect(port, '127.0.0.1')
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
  socket.on('error', () => {}) // a reset is a close too
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  return { socket, closed }
}

/** A TLS connection that trusts the test CA; resolves once the handshake is done. */
function tlsConnection(port: number, ca: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => resolve(s))
    s.on('error', reject)
  })
}

/** Waits until a log record satisfies `hit`: the server's own report, no timing guess. */
async function logged(logs: ReadonlyArray<Record<string, unknown>>, hit: (r: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for (;;) {
    const r = logs.find(hit)
    if (r) return r
    await sleep(10)
  }
}

t.test('a connection that never completes TLS is closed at the handshake timeout; one that did stays open', async (t) => {
  const { server, port, ca, url } = await start(t, { ops: false, handshakeTimeoutMs: 300 })
  t.teardown(() => server.shutdown({ delayMs: 0, drainTimeoutMs: 1000 }))
  const tlsSocket = await tlsConnection(port, ca)
  t.teardown(() => tlsSocket.destroy())
  const silent = await rawConnection(port) // never sends a ClientHello
  // A client that trickles the first bytes of a ClientHello: bytes do not extend the deadline.
  const trickling = await rawConnection(port)
  const hello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])
  let sent = 0
  const drip = setInterval(() => { if (sent < hello.length && !trickling.socket.destroyed) trickling.socket.write(hello.subarray(sent, ++sent)) }, 50)
  t.teardown(() => clearInterval(drip))
  await silent.closed
  t.pass('the silent connection was closed by the server')
  await trickling.closed
  clearInterval(drip)
  t.ok(sent < hello.length, 'the trickling connection was closed before it could finish its ClientHello')
  t.notOk(tlsSocket.destroyed, 'a connection that completed TLS is not affected by the handshake timeout')
  t.equal((await httpsCall(`${url}/healthz`, { ca, agent: false })).status, 200, 'new clients are served')
})

t.test('the handshake timeout defaults to 10 s (not Node\'s 120 s)', async (t) => {
  const { server } = await start(t, { ops: false })
  t.teardown(() => server.shutdown({ delayMs: 0, drainTimeoutMs: 1000 }))
  t.equal(DEFAULT_HANDSHAKE_TIMEOUT_MS, 10_000)
  // Node keeps the option under a symbol of tls.Server; waiting 10 s for a close would say the same, slower.
  const tlsServer = server.app.server as unknown as Record<symbol, unknown>
  const key = Object.getOwnPropertySymbols(tlsServer).find((k) => k.description === 'handshake-timeout')
  t.equal(key === undefined ? undefined : tlsServer[key], DEFAULT_HANDSHAKE_TIMEOUT_MS, 'the HTTPS server was given the default')
  t.equal(server.app.server.maxConnections, DEFAULT_MAX_CONNECTIONS)
  t.equal(server.ops, undefined)
})

t.test('connections beyond --max-connections are closed as they arrive; open ones keep working', async (t) => {
  const { server, port, url, ca, logs, opsUrl } = await start(t, { maxConnections: 2, handshakeTimeoutMs: 600_000 })
  t.teardown(() => server.shutdown({ delayMs: 0, drainTimeoutMs: 1000 }))
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  t.equal((await httpsCall(`${url}/validate`, { ca, agent, method: 'POST', body })).status, 200, 'the first connection, kept alive')
  const idle = await rawConnection(port) // the second: open, silent (the handshake timeout is far away)
  t.teardown(() => idle.socket.destroy())
  const third = await rawConnection(port)
  await third.closed
  t.pass('a third connection is closed by the server at once')
  await t.rejects(httpsCall(`${url}/healthz`, { ca, agent: false }), 'a new HTTPS client is refused while the limit is reached')
  const warn = await logged(logs, (r) => r['msg'] === 'connection limit reached: closing new connections')
  t.match(warn, { level: 'warn', port: 'https', maxConnections: 2 })
  const again = await httpsCall(`${url}/validate`, { ca, agent, method: 'POST', body })
  t.equal(again.status, 200, 'the open keep-alive connection is still answered')
  t.ok(again.reused)
  t.equal(logs.filter((r) => r['msg'] === 'connection limit reached: closing new connections').length, 1, 'refusals within a minute are logged once')
  idle.socket.destroy()
  await idle.closed
  // Closing one frees a place: the server counts it once its close is processed, so retry until then.
  for (;;) {
    const r = await httpsCall(`${url}/healthz`, { ca, agent: false }).catch(() => undefined)
    if (r) {
      t.equal(r.status, 200, 'a place freed is taken again')
      break
    }
    await sleep(10)
  }
  t.equal(server.ops?.server.maxConnections, OPS_MAX_CONNECTIONS, 'the operations port has its own limit')
  t.equal((await httpCall(`${opsUrl}/healthz`)).status, 200)
})
