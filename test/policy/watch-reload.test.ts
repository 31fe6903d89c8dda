// Issue 18: a large policy is compiled off the request path. While a 3,000-rule policy compiles (on
// reload, and at start), the event loop keeps answering: requests sent over real HTTPS during the
// reload are decided by the policy in force until the new one is whole, then by the new one. Nothing
// here measures time: "during" means before the reload is logged and its promise settles. Latencies
// are printed as comments, for the record only.
import t from 'tap'
import { createServer } from 'node:net'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createLogger } from '../../src/log.js'
import { PolicyWatcher } from '../../src/policy/watch.js'
import { MAX_POLICY_BYTES, MAX_POLICY_RULES, parsePolicy, parsePolicyAsync } from '../../src/policy/load.js'
import { PolicyError } from '../../src/errors.js'
import { startWebhook } from '../../src/server/serve.js'
import { Metrics } from '../../src/server/metrics.js'
import type { AdmissionReview } from '../../src/kube/types.js'
import { admissionReview, profileContainer } from '../support/reviews.js'
import { bigPolicyText } from '../support/big-policy.js'
import { policyText, policyVolume } from '../support/volume.js'
import { call, logSink, startTestServer } from '../support/server.js'
import { httpCall } from '../server/helpers.js'

t.setTimeout(600_000) // a 3,000-rule compile takes seconds, more on a loaded machine

const RULES = 3000
const big = bigPolicyText('big', RULES)
const privileged = JSON.stringify(admissionReview({ added: [profileContainer('sysadmin')] }))

t.test('a 3,000-rule reload: requests are answered during it by the old policy, then by the new one', async (t) => {
  const { file, publish } = policyVolume(policyText('old', true)) // the old policy allows privileged
  const sink = logSink()
  const w = PolicyWatcher.open(file, createLogger({ destination: sink.stream }))
  const server = await startTestServer({ policy: w.current })
  t.teardown(() => server.app.close())
  const reloadLogged = (): boolean => sink.records.some((r) => r.msg === 'policy reloaded')

  publish(big)
  t.equal(await w.checkAsync(), 'pending')
  // One client sends request after request, from before the reload starts until after it is done.
  // A request counts as answered during the reload if it was sent after the reload started and its
  // answer came before the reload was logged and settled.
  let reloadStarted = false
  let settled = false
  const during: number[] = []
  let firstAnswer: () => void = () => {}
  const answering = new Promise<void>((resolve) => { firstAnswer = resolve })
  const client = (async () => {
    while (!settled) {
      const sentDuring = reloadStarted
      const started = performance.now()
      const res = await call(server, 'POST', '/validate', privileged)
      const latency = performance.now() - started
      firstAnswer()
      if (!sentDuring || settled || reloadLogged()) continue
      t.equal(res.status, 200)
      t.equal((res.json() as AdmissionReview).response?.allowed, true, 'decided by the old policy while the new one compiles')
      during.push(latency)
    }
  })()
  await answering
  reloadStarted = true
  const reload = w.checkAsync().finally(() => { settled = true })
  t.equal(await w.checkAsync(), 'unchanged', 'a poll while the compile runs does not start another')
  await client
  t.equal(await reload, 'reloaded')
  t.ok(during.length >= 1, `requests were answered during the reload (${during.length})`)
  const compiling = sink.records.findIndex((r) => r.msg === 'policy changed; compiling it while the policy in force keeps serving')
  t.match(sink.records[compiling], { source: file, bytes: Buffer.byteLength(big) })
  t.ok(compiling < sink.records.findIndex((r) => r.msg === 'policy reloaded'), 'the compile is logged when it starts and when it ends')
  const record = sink.records.find((r) => r.msg === 'policy reloaded')
  t.match(record, { policy: 'big', compileMs: Number })
  t.comment(`observed: compile of ${RULES} rules ${String(record?.['compileMs'])} ms; ${during.length} requests answered during it, slowest ${Math.round(Math.max(...during))} ms`)
  t.equal(w.current().name, 'big')
  const res = await call(server, 'POST', '/validate', privileged)
  t.equal((res.json() as AdmissionReview).response?.allowed, false, 'the new policy decides once it is whole')
  t.match((res.json() as AdmissionReview).response?.status?.message, /no-privileged/)
})

t.test('serve with a 3,000-rule policy: neither port answers until it is compiled, and the event loop stays free', async (t) => {
  const { file } = policyVolume(big)
  const sink = logSink()
  // A free port for the operations port, so it can be probed before startWebhook reports it.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const opsPort = (probe.address() as { port: number }).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  let started = false
  const starting = startWebhook({
    host: '127.0.0.1', port: 0, ops: { host: '127.0.0.1', port: opsPort }, tlsReloadIntervalMs: 0, env: {},
    logger: createLogger({ destination: sink.stream }), metrics: new Metrics({ version: 'test', processMetrics: false }),
    tls: { devCerts: mkdtempSync(join(tmpdir(), 'eg-dev-')) }, policyFile: file,
  }).finally(() => { started = true })
  let refused = 0
  while (!sink.records.some((r) => r.msg === 'policy compiled')) {
    const probed = await httpCall(`http://127.0.0.1:${opsPort}/readyz`).then(() => 'answered', (e: NodeJS.ErrnoException) => e.code)
    if (sink.records.some((r) => r.msg === 'policy compiled')) break
    t.equal(probed, 'ECONNREFUSED', '/readyz does not answer while the policy compiles')
    refused++
  }
  t.ok(refused >= 1, `probes ran while the first policy compiled (${refused}): the event loop was not held`)
  t.notOk(started && refused === 0)
  const webhook = await starting
  t.teardown(() => webhook.stop({ delayMs: 0, drainTimeoutMs: 1000 }))
  const compiled = sink.records.findIndex((r) => r.msg === 'policy compiled')
  t.match(sink.records[compiled], { policy: 'big', rules: RULES + 1, compileMs: Number })
  t.ok(compiled < sink.records.findIndex((r) => r.msg === 'ephemeral-guard serving'), 'serving only after the compile')
  const ready = await httpCall(`http://127.0.0.1:${opsPort}/readyz`)
  t.equal(ready.status, 200)
  t.match(JSON.parse(ready.body), { status: 'ok', policy: { name: 'big' } })
})

t.test('size limits: at most MAX_POLICY_BYTES bytes and MAX_POLICY_RULES rules, a clear error', async (t) => {
  t.equal(MAX_POLICY_RULES, 5000)
  t.equal(MAX_POLICY_BYTES, 2 * 1024 * 1024)
  t.ok(Buffer.byteLength(big) < MAX_POLICY_BYTES, 'a 3,000-rule policy with a schema per rule fits')
  const tooBig = `${policyText('padded', false)}${'#'.repeat(MAX_POLICY_BYTES)}\n`
  const tooBigError = new PolicyError('p.yaml', [`(document): the policy is ${Buffer.byteLength(tooBig)} bytes; at most ${MAX_POLICY_BYTES} bytes are accepted`])
  t.throws(() => parsePolicy(tooBig, 'p.yaml'), tooBigError)
  await t.rejects(parsePolicyAsync(tooBig, 'p.yaml'), tooBigError, 'the same error on reload, before any parse')
  const many = `apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: many}\nspec:\n  rules:\n${Array.from({ length: MAX_POLICY_RULES + 1 }, (_, i) => `  - {name: r${i}, images: {}}\n`).join('')}`
  t.throws(() => parsePolicy(many, 'p.yaml'), new PolicyError('p.yaml', [`spec.rules: ${MAX_POLICY_RULES + 1} rules; at most ${MAX_POLICY_RULES} are accepted`]))
  await t.rejects(parsePolicyAsync(many, 'p.yaml'), new PolicyError('p.yaml', [`spec.rules: ${MAX_POLICY_RULES + 1} rules; at most ${MAX_POLICY_RULES} are accepted`]), 'the same error on reload')
  const exactly = `apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: many}\nspec:\n  rules:\n${Array.from({ length: MAX_POLICY_RULES }, (_, i) => `  - {name: r${i}, images: {}}\n`).join('')}`
  t.equal(parsePolicy(exactly, 'p.yaml').rules.length, MAX_POLICY_RULES, 'exactly the limit is accepted')
})

t.test('the YAML parse on its thread: the same messages as on the event loop; a failed thread is a clear error', async (t) => {
  const cases = [
    ['a syntax error', 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: [unclosed\n'],
    ['a duplicate key', 'apiVersion: a\napiVersion: b\n'],
    ['an alias bomb', `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`).join('\n')}\n`],
  ] as const
  for (const [name, text] of cases) {
    const sync = (() => { try { parsePolicy(text, 'p.yaml') } catch (e) { return e as Error } })()
    t.ok(sync, `${name}: refused on the event loop`)
    const async = await parsePolicyAsync(text, 'p.yaml', { offThreadFromChars: 0 }).then(() => undefined, (e: unknown) => e as Error)
    t.equal(async?.message, sync?.message, `${name}: the same message off the thread`)
    t.same((async as PolicyError | undefined)?.problems, (sync as PolicyError | undefined)?.problems)
  }
  // A heap too small for the parser: the thread fails, the reload is refused with a clear error.
  const starved = await parsePolicyAsync(big, 'p.yaml', { yamlHeapMb: 1 }).then(() => undefined, (e: unknown) => e)
  t.type(starved, PolicyError)
  t.match((starved as PolicyError).problems, [/^\(document\): cannot be parsed: /])
})

t.test('parsePolicyAsync gives what parsePolicy gives: the same policy, the same errors', async (t) => {
  const text = bigPolicyText('small', 20)
  const sync = parsePolicy(text, 'p.yaml')
  const async = await parsePolicyAsync(text, 'p.yaml', { sliceMs: 0 }) // pauses at every step
  t.same(async.rules, sync.rules)
  t.equal(async.policy.hash, sync.policy.hash)
  t.equal(async.policy.checks.length, sync.policy.checks.length)
  const bad = text.replace('pattern: "^debugger-3"', 'pattern: "("')
  const error = (() => { try { parsePolicy(bad, 'p.yaml') } catch (e) { return e } })()
  t.type(error, PolicyError)
  await t.rejects(parsePolicyAsync(bad, 'p.yaml', { sliceMs: 0 }), error as Error)
  const thread = await parsePolicyAsync(text, 'p.yaml', { sliceMs: 0, offThreadFromChars: 0 })
  t.same(thread.rules, sync.rules, 'the same policy when its YAML is parsed on the worker thread')
  await t.rejects(parsePolicyAsync('kind: [unclosed\n', 'p.yaml'), new PolicyError('p.yaml', ['line 2, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]']), 'a small text parsed on the event loop: its error at its line and column')
})
