// Graceful shutdown under load, with the compiled bin as a Deployment runs it: two replicas behind an
// emulated Service (endpoints follow /readyz on the metrics port, as the kubelet and the endpoints
// controller do); SIGTERM one of them while requests flow. No request may fail.
import t from 'tap'
import { Agent } from 'node:https'
import { connect } from 'node:tls'
import { profileContainer, admissionReview } from '../support/reviews.js'
import { testCertificates } from '../support/server.js'
import { httpCall, httpsCall, secretVolume, sleep, type HttpsResult } from '../server/helpers.js'
import { startServe, type ServeProcess } from './serve-process.js'

t.setTimeout(180_000)

const DELAY_S = 2
const body = JSON.stringify(admissionReview({ added: [profileContainer('general')] }))

/** A review whose body arrives in two parts `gapMs` apart on a connection of its own; resolves with the raw answer. */
function slowReview(port: number, ca: string, gapMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      s.write(`POST /validate?timeout=5s HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 100)}`)
      setTimeout(() => s.write(body.slice(100)), gapMs)
    })
    let answer = ''
    s.on('data', (c: Buffer) => { answer += c.toString() })
    s.on('close', () => resolve(answer))
    s.on('error', reject)
  })
}

t.test('SIGTERM under load: no failed request, exit 0 within the delay plus a bounded drain', async (t) => {
  const certs = await testCertificates()
  const secret = secretVolume({ 'tls.crt': certs.cert, 'tls.key': certs.key })
  const args = ['--tls-cert', secret.path('tls.crt'), '--tls-key', secret.path('tls.key'), '--shutdown-delay', String(DELAY_S), '--drain-timeout', '5']
  const [a, b] = await Promise.all([startServe(args), startServe(args)]) as [ServeProcess, ServeProcess]
  t.teardown(() => { a.child.kill('SIGKILL'); b.child.kill('SIGKILL') })
  const ca = certs.caCert
  const agents = new Map([a, b].map((s) => [s, new Agent({ keepAlive: true, maxSockets: 4 })]))
  t.teardown(() => { for (const agent of agents.values()) agent.destroy() })

  // The Service: replicas whose readiness probe (every 100 ms) last answered 200.
  const endpoints = new Set([a, b])
  let probing = true
  const prober = (async () => {
    while (probing) {
      for (const s of [a, b]) {
        const ready = await httpCall(`${s.opsUrl}/readyz`).then((r) => r.status === 200, () => false)
        if (!ready) endpoints.delete(s)
      }
      await sleep(100)
    }
  })()

  let running = true
  let next = 0
  const results: Array<{ to: ServeProcess; result: HttpsResult | Error }> = []
  const send = (to: ServeProcess, agent: Agent) =>
    httpsCall(`${to.url}/validate?timeout=5s`, { ca, method: 'POST', body, agent }).catch((e: Error) => e).then((result) => {
      results.push({ to, result })
      return result
    })
  const worker = async (): Promise<void> => {
    while (running) {
      const ready = [...endpoints]
      const to = ready[next++ % ready.length]!
      await send(to, agents.get(to)!)
      await sleep(5)
    }
  }
  // The API server's open keep-alive connection to the terminating replica: connections already
  // established bypass the Service's endpoints, so it keeps being used until we close it.
  const stickyAgent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => stickyAgent.destroy())
  let stickyClosedAfterMs = -1
  let sigtermAt = 0
  const sticky = async (): Promise<void> => {
    while (running) {
      const r = await send(a, stickyAgent)
      if (!(r instanceof Error) && r.headers['connection'] === 'close') {
        stickyClosedAfterMs = Date.now() - sigtermAt
        return
      }
      await sleep(20)
    }
  }

  const workers = [...Array.from({ length: 6 }, worker), sticky()]
  await sleep(1000)
  sigtermAt = Date.now()
  a.child.kill('SIGTERM')
  // A request still being uploaded when the listener closes (the delay ends at DELAY_S).
  await sleep(DELAY_S * 1000 - 300)
  const inFlight = slowReview(a.port, ca, 900)
  const code = await a.exited
  const exitedAfterMs = Date.now() - sigtermAt
  await sleep(500)
  running = false
  probing = false
  await Promise.all([...workers, prober])

  const failures = results.filter(({ result }) => result instanceof Error || result.status !== 200)
  t.same(failures.map(({ to, result }) => `${to === a ? 'A' : 'B'}: ${result instanceof Error ? result.message : result.status}`), [], 'no request failed')
  const toA = results.filter(({ to }) => to === a).length
  const toB = results.filter(({ to }) => to === b).length
  t.ok(toA > 20 && toB > 20, `both replicas served (A ${toA}, B ${toB} of ${results.length} requests)`)
  t.ok(stickyClosedAfterMs >= 0 && stickyClosedAfterMs < DELAY_S * 1000, `the open connection to A was answered with Connection: close ${stickyClosedAfterMs} ms after SIGTERM`)
  const answer = await inFlight
  t.match(answer, /^HTTP\/1\.1 200 OK/, 'the request in flight at the close was answered')
  t.equal(code, 0, 'exit code 0')
  t.ok(exitedAfterMs >= DELAY_S * 1000 && exitedAfterMs < DELAY_S * 1000 + 4000, `exited ${exitedAfterMs} ms after SIGTERM (delay ${DELAY_S} s)`)
  const msgs = a.logs.map((r) => r.msg)
  t.ok(['shutting down', 'shutting down: not ready; still answering during the delay', 'closing the listener; draining in-flight requests', 'stopped'].every((m) => msgs.includes(m)), 'the shutdown sequence is logged')
  t.match(a.logs.find((r) => r.msg === 'stopped'), { forced: false })
  b.child.kill('SIGTERM')
  t.equal(await b.exited, 0)
})
