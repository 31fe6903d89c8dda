import t from 'tap'
import { connect } from 'node:tls'
import { createLogger } from '../../src/log.js'
import { defaultPolicy } from '../../src/policy/default.js'
import { type Policy } from '../../src/decision/types.js'
import { buildApp, BODY_LIMIT_BYTES, lazyChildLogger } from '../../src/server/app.js'
import type { AdmissionReview } from '../../src/kube/types.js'
import { debugContainer, profileContainer, admissionReview } from '../support/reviews.js'
import { call, logSink, startTestServer, type TestServer } from '../support/server.js'

let server: TestServer
t.before(async () => { server = await startTestServer() })
t.teardown(async () => { await server.app.close() })

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(server, 'POST', path, typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), headers)

const decisions = () => server.logs.filter((r) => r.msg === 'admission decision')

t.test('answers 200 with an AdmissionReview of the same version, uid echoed', async (t) => {
  for (const apiVersion of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const) {
    for (const path of ['/validate', '/mutate']) {
      const r = admissionReview({ added: [profileContainer('general')], apiVersion })
      const res = await post(path, r)
      t.equal(res.status, 200, `${apiVersion} ${path}`)
      t.match(res.headers['content-type'], /^application\/json/)
      const answer = res.json() as AdmissionReview
      t.equal(answer.apiVersion, apiVersion)
      t.equal(answer.kind, 'AdmissionReview')
      t.equal(answer.response?.uid, r.request.uid)
      t.equal(answer.response?.allowed, true)
      t.equal(answer.response?.patchType, path === '/mutate' ? 'JSONPatch' : undefined)
    }
  }
})

t.test('denies sysadmin and netadmin with a message naming the field', async (t) => {
  const sys = (await post('/validate', admissionReview({ added: [profileContainer('sysadmin')] }))).json() as AdmissionReview
  t.equal(sys.response?.allowed, false)
  t.equal(sys.response?.status?.code, 403)
  t.match(sys.response?.status?.message, /spec\.ephemeralContainers\[0\]\.securityContext\.privileged: Forbidden/)
  const net = (await post('/validate', admissionReview({ added: [profileContainer('netadmin')] }))).json() as AdmissionReview
  t.match(net.response?.status?.message, /capabilities\.add\[0\]: Forbidden: capability "NET_ADMIN" is not allowed/)
  t.match(net.response?.status?.message, /capabilities\.add\[1\]: Forbidden: capability "NET_RAW" is not allowed/)
})

t.test('accepts application/json with a charset', async (t) => {
  const res = await post('/validate', admissionReview({ added: [debugContainer()] }), { 'content-type': 'application/json; charset=utf-8' })
  t.equal(res.status, 200)
})

t.test('bad input gets a 400 with a clear message and no stack trace', async (t) => {
  const r = admissionReview({ added: [debugContainer()] })
  const withoutUid = structuredClone(r) as { request: { uid?: string } }
  delete withoutUid.request.uid
  const cases: Array<[string, string | Buffer, Record<string, string>, number, RegExp]> = [
    ['empty body', '', {}, 400, /body is empty|Body cannot be empty/],
    ['wrong content type', JSON.stringify(r), { 'content-type': 'text/plain' }, 400, /content-type must be application\/json/],
    ['malformed JSON', '{"apiVersion": ', {}, 400, /body is not valid JSON/],
    ['not an object', '[]', {}, 400, /AdmissionReview must be object/],
    ['missing request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), {}, 400, /must have required property 'request'/],
    ['missing uid', JSON.stringify(withoutUid), {}, 400, /request must have required property 'uid'/],
    ['empty uid', JSON.stringify({ ...r, request: { ...r.request, uid: '' } }), {}, 400, /request\.uid must NOT have fewer than 1 characters/],
    ['wrong apiVersion', JSON.stringify({ ...r, apiVersion: 'admission.k8s.io/v2' }), {}, 400, /apiVersion must be equal to one of the allowed values: \["admission.k8s.io\/v1","admission.k8s.io\/v1beta1"\]/],
    ['wrong kind', JSON.stringify({ ...r, kind: 'AdmissionRequest' }), {}, 400, /kind must be equal to constant: "AdmissionReview"/],
    ['deep nesting', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, {}, 400, /JSON nesting deeper than 100 levels/],
    ['deep nesting in the object', JSON.stringify(r).replace('"labels":{', `"labels":{"x":${'['.repeat(200)}${']'.repeat(200)},`), {}, 400, /JSON nesting deeper than 100 levels/],
    ['__proto__ key', JSON.stringify(r).replace('"labels":{', '"labels":{"__proto__":{"polluted":"yes"},'), {}, 400, /forbidden __proto__/],
    ['escaped __proto__ key', JSON.stringify(r).replace('"labels":{', '"labels":{"\\u005f_proto__":{"polluted":"yes"},'), {}, 400, /forbidden __proto__/],
    ['constructor.prototype', JSON.stringify(r).replace('"labels":{', '"labels":{"constructor":{"prototype":{"x":1}},'), {}, 400, /forbidden __proto__ or constructor\.prototype/],
  ]
  for (const [name, body, headers, status, message] of cases) {
    const res = await post('/validate', body, headers)
    t.equal(res.status, status, `${name}: status`)
    const answer = res.json() as { kind: string; message: string; code: number }
    t.equal(answer.kind, 'Status', `${name}: a Status body`)
    t.equal(answer.code, status)
    t.match(answer.message, message, `${name}: message`)
    t.notMatch(res.body, /\n\s+at |node_modules|\.ts:\d+/, `${name}: no stack trace`)
  }
  t.equal(({} as Record<string, unknown>)['polluted'], undefined, 'nothing was polluted')
})

t.test('a label named constructor is fine', async (t) => {
  const r = admissionReview({ added: [debugContainer()] })
  const body = JSON.stringify(r).replace('"labels":{', '"labels":{"constructor":"x",')
  const res = await post('/validate', body)
  t.equal(res.status, 200)
  t.equal((res.json() as AdmissionReview).response?.allowed, true)
})

t.test('body limit: a 3 + 3 MiB review is decided, 7 MiB + 1 byte is refused with 413', async (t) => {
  const big = 'x'.repeat(3 * 1024 * 1024 - 1024)
  const r = admissionReview({ added: [debugContainer()], annotations: { 'example.com/blob': big } })
  const text = JSON.stringify(r)
  t.ok(text.length > 6 * 1024 * 1024 && text.length < BODY_LIMIT_BYTES, 'about 6 MiB')
  const ok = await post('/validate', text)
  t.equal(ok.status, 200)
  t.equal((ok.json() as AdmissionReview).response?.allowed, true)
  const over = await post('/validate', Buffer.alloc(BODY_LIMIT_BYTES + 1, 0x20))
  t.equal(over.status, 413)
  t.match((over.json() as { message: string }).message, `request body is larger than ${BODY_LIMIT_BYTES} bytes`)
})

t.test('health and readiness', async (t) => {
  t.equal((await call(server, 'GET', '/healthz')).status, 200)
  t.equal((await call(server, 'GET', '/readyz')).status, 200)
  let ready = true
  const other = await startTestServer({ ready: () => ready })
  t.teardown(() => other.app.close())
  t.equal((await call(other, 'GET', '/readyz')).status, 200)
  ready = false
  const res = await call(other, 'GET', '/readyz')
  t.equal(res.status, 503)
  t.equal((await call(other, 'GET', '/healthz')).status, 200, 'liveness does not follow readiness')
})

t.test('unknown routes get a 404 Status', async (t) => {
  const res = await call(server, 'GET', '/nope?x=1')
  t.equal(res.status, 404)
  t.match(res.json(), { kind: 'Status', code: 404, message: 'no route GET /nope' })
})

t.test('one decision log line per review, never the object', async (t) => {
  const before = decisions().length
  const secret = 'SENTINEL-SECRET-9f3b'
  const r = admissionReview({ added: [debugContainer({ env: [{ name: 'TOKEN', value: secret }], securityContext: { privileged: true } })], dryRun: true, username: 'bob@example.com' })
  await post('/validate', r)
  const lines = decisions().slice(before)
  t.equal(lines.length, 1)
  t.match(lines[0], {
    level: 'info', uid: r.request.uid, namespace: 'shop', pod: 'cart-7d9f8b6c4-q2xkz', user: 'bob@example.com',
    webhook: 'validate', decision: 'denied', rules: ['no-privileged'], dryRun: true,
  })
  t.type(lines[0]?.['durationMs'], 'number')
  t.notOk(server.logText().includes(secret), 'the env value never reaches the logs')
})

t.test('a request that is not for ephemeral containers is allowed and logged as skipped', async (t) => {
  const r = admissionReview({ added: [debugContainer()] })
  delete r.request.subResource
  const before = decisions().length
  const res = (await post('/validate', r)).json() as AdmissionReview
  t.same(res.response, { uid: r.request.uid, allowed: true })
  t.match(decisions().slice(before)[0], { decision: 'skipped', note: /not an UPDATE of pods\/ephemeralcontainers: UPDATE pods/ })
})

t.test('an internal error fails closed over HTTP too', async (t) => {
  const broken: Policy = { name: 'broken', hash: '000000000000', exemption: () => undefined, checks: [{ id: 'boom', origin: 'policy', mode: 'enforce', run: () => { throw new Error('bug') } }] }
  const other = await startTestServer({ policy: broken })
  t.teardown(() => other.app.close())
  const r = admissionReview({ added: [debugContainer()] })
  const res = await call(other, 'POST', '/validate', JSON.stringify(r))
  t.equal(res.status, 200)
  t.match(res.json(), { response: { uid: r.request.uid, allowed: false, status: { code: 500, reason: 'InternalError' } } })
})

t.test('an unexpected error in a route is a 500 Status without details', async (t) => {
  const sink = logSink()
  const app = buildApp({ logger: createLogger({ destination: sink.stream }), policy: () => defaultPolicy })
  app.get('/boom', async () => { throw new Error('secret internals') })
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/boom' })
  t.equal(res.statusCode, 500)
  t.same(res.json(), { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 500, reason: 'InternalError', message: 'internal error' })
  t.match(sink.records.find((r) => r.msg === 'request failed'), { level: 'error' }, 'logged for the operator')
})

t.test('TLS below 1.2 is refused', async (t) => {
  const port = Number(new URL(server.url).port)
  const error = await new Promise<Error | undefined>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca: server.ca, maxVersion: 'TLSv1.1', minVersion: 'TLSv1', servername: 'localhost' }, () => { socket.end(); resolve(undefined) })
    socket.on('error', resolve)
  })
  t.ok(error, 'handshake fails')
})

t.test("a request's logger is pino's child, made only when it is used", async (t) => {
  const sink = logSink()
  const parent = createLogger({ destination: sink.stream, level: 'info' })
  let made = 0
  const counting = Object.create(parent, { child: { value: (...a: Parameters<typeof parent.child>) => { made++; return parent.child(...a) } } }) as typeof parent
  const lazy = lazyChildLogger(counting, { reqId: 'req-1' }, {})
  t.equal(lazy.level, 'info', 'the level is the parent\'s until the child exists')
  t.equal(made, 0, 'nothing made yet')
  lazy.debug('not logged at info')
  lazy.warn({ code: 400 }, 'request refused')
  t.equal(made, 1, 'made on first use')
  t.equal(lazy.isLevelEnabled('warn'), true)
  t.match(lazy.bindings(), { reqId: 'req-1' })
  lazy.child({ more: 1 }).error('deeper')
  lazy.level = 'error'
  t.equal(lazy.level, 'error')
  lazy.warn('now below the level')
  lazy.info('below')
  lazy.trace('below')
  lazy.silent('never')
  lazy.error('an error')
  lazy.fatal('a fatal one')
  lazy.flush()
  t.equal(made, 1, 'made once')
  t.match(sink.records, [
    { level: 'warn', reqId: 'req-1', code: 400, msg: 'request refused' }, { level: 'error', reqId: 'req-1', more: 1, msg: 'deeper' },
    { level: 'error', reqId: 'req-1', msg: 'an error' }, { level: 'fatal', reqId: 'req-1', msg: 'a fatal one' },
  ])
  t.equal(sink.records.length, 4)
  t.equal(lazyChildLogger(parent, {}, { level: 'warn' }).level, 'warn', 'a level given for the child')
})

t.test('routes take no schema: Fastify\'s schema compilers are never loaded', async (t) => {
  const app = buildApp({ logger: createLogger({ destination: logSink().stream }), policy: () => defaultPolicy })
  app.post('/with-schema', { schema: { body: { type: 'object' } } }, async () => ({}))
  await t.rejects(async () => { await app.ready() }, /ephemeral-guard routes take no schema/)
})
