// Issue 12, finding 2, over real HTTPS on loopback: reviews adding thousands of privileged containers
// are answered with a small 403 under max-new-containers, /healthz and /readyz keep answering while
// they are processed, and the request's deadline bounds the decision. No durations are asserted.
import t from 'tap'
import { createLogger } from '../../src/log.js'
import { defaultPolicy } from '../../src/policy/default.js'
import { buildApp } from '../../src/server/app.js'
import type { AdmissionReview } from '../../src/kube/types.js'
import { debugContainer, profileContainer, admissionReview } from '../support/reviews.js'
import { call, logSink, startTestServer, type HttpResult, type TestServer } from '../support/server.js'

let server: TestServer
t.before(async () => { server = await startTestServer() })
t.teardown(async () => { await server.app.close() })

const MESSAGE = /^spec\.ephemeralContainers: Forbidden: at most 100 new ephemeral containers per request; this request adds 9000, none of them judged \(rule max-new-containers\)$/

function bigReview(): string {
  const added = Array.from({ length: 9000 }, (_, i) => profileContainer('sysadmin', { name: `debugger-${String(i).padStart(5, '0')}`, image: `registry.example.com/debug/tools:1.${i}` }))
  return JSON.stringify(admissionReview({ added }))
}

t.test('four concurrent multi-MiB reviews: bounded 403 answers, health endpoints answer meanwhile', async (t) => {
  const body = bigReview()
  t.ok(body.length > 2 * 1024 * 1024, `the review is ${(body.length / 1048576).toFixed(1)} MiB`)
  const big: Array<Promise<HttpResult>> = []
  const health: Array<Promise<HttpResult>> = []
  for (let i = 0; i < 4; i++) {
    big.push(call(server, 'POST', `/${i % 2 === 0 ? 'validate' : 'mutate'}?timeout=10s`, body))
    health.push(call(server, 'GET', '/healthz'), call(server, 'GET', '/readyz'))
  }
  const answers = await Promise.all(big)
  answers.forEach((res, i) => {
    const webhook = i % 2 === 0 ? 'validate' : 'mutate'
    t.equal(res.status, 200, `${webhook} ${i}: 200`)
    t.ok(Buffer.byteLength(res.body) < 1024, `${webhook} ${i}: answer of ${Buffer.byteLength(res.body)} bytes`)
    const r = (res.json() as AdmissionReview).response
    if (webhook === 'validate') {
      t.equal(r?.allowed, false)
      t.equal(r?.status?.code, 403)
      t.equal(r?.status?.reason, 'Forbidden')
      t.match(r?.status?.message, MESSAGE)
    } else {
      t.equal(r?.allowed, true, 'mutate: nothing patched')
      t.notOk(r?.patch)
      t.equal(r?.warnings, undefined, 'mutate: no warning repeating the denial')
    }
  })
  for (const res of await Promise.all(health)) {
    t.equal(res.status, 200, 'health endpoint answered')
    t.match(res.json(), { status: 'ok' })
  }
  const decisions = server.logs.filter((r) => r.msg === 'admission decision' && Array.isArray(r['rules']) && (r['rules'] as string[]).includes('max-new-containers'))
  t.equal(decisions.length, 4, 'each decision logged under the rule')
})

t.test('a decision still going when the deadline passes stops and refuses the request', async (t) => {
  // A clock that jumps 10 s between the request's arrival and the decision: no waiting in the test.
  let calls = 0
  const app = buildApp({ logger: createLogger({ destination: logSink().stream }), policy: () => defaultPolicy, context: { now: () => new Date(1_000_000 + (calls++ === 0 ? 0 : 10_000)) } })
  t.teardown(() => app.close())
  const r = admissionReview({ added: [debugContainer()] })
  const res = await app.inject({ method: 'POST', url: '/validate?timeout=5s', payload: r, headers: { 'content-type': 'application/json' } })
  t.equal(res.statusCode, 200)
  t.same((res.json() as AdmissionReview).response, {
    uid: r.request.uid, allowed: false,
    status: { status: 'Failure', code: 504, reason: 'Timeout', message: "ephemeral-guard: the request's deadline passed 5500 ms ago while deciding; work stopped and the request is refused" },
  })
  calls = 0
  const noTimeout = await app.inject({ method: 'POST', url: '/validate', payload: r, headers: { 'content-type': 'application/json' } })
  t.equal((noTimeout.json() as AdmissionReview).response?.allowed, true, 'without ?timeout= no deadline applies')
})
