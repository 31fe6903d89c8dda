import t from 'tap'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../src/log.js'
import { PolicyWatcher } from '../../src/policy/watch.js'
import { admit } from '../../src/admission/admit.js'
import { decodeReview } from '../../src/admission/decode.js'
import { parsePolicy } from '../../src/policy/load.js'
import type { AdmissionReview } from '../../src/kube/types.js'
import { profileContainer, admissionReview } from '../support/reviews.js'
import { policyText, policyVolume } from '../support/volume.js'
import { call, logSink, startTestServer } from '../support/server.js'

const INVALID = 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: broken}\nspec: {rules: [{name: r, imagez: {}}]}\n'


t.test('check(): unchanged, reloaded, invalid keeps the last good, read failures', async (t) => {
  const { file, publish } = policyVolume(policyText('first', true))
  const sink = logSink()
  const w = PolicyWatcher.open(file, createLogger({ destination: sink.stream }))
  t.equal(w.check(), 'unchanged')
  publish(policyText('second', false))
  t.equal(w.check(), 'pending', 'a change is applied on the second equal read')
  t.equal(w.current().name, 'first')
  t.equal(w.check(), 'reloaded')
  t.equal(w.current().name, 'second')
  t.match(sink.records.at(-1), { msg: 'policy reloaded', policy: 'second' })
  publish(INVALID)
  t.equal(w.check(), 'pending')
  t.equal(w.check(), 'invalid')
  t.equal(w.current().name, 'second', 'last good policy stays')
  t.match(w.status(), { name: 'second', reloadError: { problems: ['spec.rules[0].imagez: unknown field'] } })
  t.match(sink.records.at(-1), { level: 'error', msg: 'policy reload failed; keeping the last good policy', problems: ['spec.rules[0].imagez: unknown field'] })
  const logged = sink.records.length
  t.equal(w.check(), 'unchanged', 'a bad version is reported once')
  t.equal(sink.records.length, logged)
  publish(policyText('third', true))
  t.equal(w.check(), 'pending')
  t.equal(w.check(), 'reloaded')
  t.notOk(w.status().reloadError, 'a good version clears the error')
  rmSync(file)
  t.equal(w.check(), 'invalid')
  t.match(w.status().reloadError?.problems[0], /cannot read/)
  t.equal(w.check(), 'invalid', 'still missing')
  symlinkSync('..data/policy.yaml', file)
  t.equal(w.check(), 'unchanged')
  t.notOk(w.status().reloadError, 'the file is back with the same content')
})

t.test('issue 12 finding 4: a half-written file is not applied; content applies after two equal reads', async (t) => {
  // An in-place rewrite (truncate, then write in pieces) exposes prefixes of the new text, and most
  // prefixes of a policy are valid, weaker policies: this one loses the securityContext line.
  const dir = mkdtempSync(join(tmpdir(), 'eg-policy-'))
  const file = join(dir, 'policy.yaml')
  const v1 = policyText('v1', false)
  const v2 = policyText('v2', false)
  const truncated = v2.slice(0, v2.indexOf('    securityContext'))
  const privileged = JSON.parse(JSON.stringify(admissionReview({ added: [profileContainer('sysadmin')] })))
  t.equal(admit(decodeReview(privileged), 'validate', parsePolicy(truncated, 'x').policy).review.response?.allowed, true, 'the truncated text is a valid policy that allows privileged containers')
  writeFileSync(file, v1)
  const w = PolicyWatcher.open(file, createLogger({ destination: logSink().stream }))
  const events: string[] = []
  w.onReload((e) => events.push(`${e.result} ${e.policy.name}`))
  writeFileSync(file, truncated)
  t.equal(w.check(), 'pending', 'first read of the truncated text: only noted')
  t.equal(w.current().name, 'v1', 'the truncated text is not applied')
  writeFileSync(file, v2)
  t.equal(w.check(), 'pending', 'the text changed between two polls: only noted')
  t.equal(w.current().name, 'v1')
  t.same(events, [], 'nothing applied, nothing reported')
  t.equal(w.check(), 'reloaded', 'the same text on the next poll: applied')
  t.equal(w.current().name, 'v2')
  t.equal(w.check(), 'unchanged')
  writeFileSync(file, truncated)
  t.equal(w.check(), 'pending')
  writeFileSync(file, v2)
  t.equal(w.check(), 'unchanged', 'back to the text in force before a change was confirmed: nothing to do')
  t.equal(w.check(), 'unchanged')
  writeFileSync(file, INVALID)
  t.equal(w.check(), 'pending')
  t.equal(w.check(), 'invalid', 'a stable invalid text is reported')
  t.equal(w.current().name, 'v2')
  rmSync(file)
  t.equal(w.check(), 'invalid', 'a read failure is reported at once (nothing is applied)')
  writeFileSync(file, v1)
  t.equal(w.check(), 'pending', 'a read failure between two reads restarts the count')
  t.equal(w.check(), 'reloaded')
  t.same(events, ['success v2', 'failure v2', 'failure v2', 'success v1'])
})

t.test('onReload: listeners hear each logged reload attempt, with the policy then in force', async (t) => {
  const { file, publish } = policyVolume(policyText('first', true))
  const w = PolicyWatcher.open(file, createLogger({ destination: logSink().stream }))
  const events: Array<{ result: string; policy: string }> = []
  w.onReload((e) => events.push({ result: e.result, policy: e.policy.name }))
  w.check()
  publish(policyText('second', false))
  w.check()
  w.check()
  publish(INVALID)
  w.check()
  w.check()
  w.check()
  rmSync(file)
  w.check()
  w.check()
  t.same(events, [
    { result: 'success', policy: 'second' },
    { result: 'failure', policy: 'second' },
    { result: 'failure', policy: 'second' },
  ], 'unchanged content is silent; a bad version and a read failure are heard once each')
})

t.test('reload under concurrent requests: no failed request, each decided by one whole policy', async (t) => {
  const { file, publish } = policyVolume(policyText('first', true))
  const w = PolicyWatcher.open(file, createLogger({ destination: logSink().stream }))
  w.start(5)
  t.teardown(() => w.stop())
  const server = await startTestServer({ policy: w.current, status: () => ({ policy: w.status() }) })
  t.teardown(() => server.app.close())
  const body = JSON.stringify(admissionReview({ added: [profileContainer('sysadmin')] }))
  const results: Array<{ status: number; allowed: boolean | undefined }> = []
  const versions = [policyText('deny', false), INVALID, policyText('allow', true), policyText('deny-again', false)]
  for (let round = 0; round < versions.length; round++) {
    const batch = Array.from({ length: 40 }, () => call(server, 'POST', '/validate', body))
    publish(versions[round]!)
    for (const res of await Promise.all(batch)) results.push({ status: res.status, allowed: (res.json() as AdmissionReview).response?.allowed })
    await new Promise((r) => setTimeout(r, 30))
  }
  t.equal(results.length, 160)
  t.ok(results.every((r) => r.status === 200 && typeof r.allowed === 'boolean'), 'every request answered with a decision')
  t.ok(results.some((r) => r.allowed) && results.some((r) => !r.allowed), 'both policies were in force at some point')
  // The timer compiles off the request path (checkAsync): the last version is in force once compiled.
  while (w.current().name !== 'deny-again') await new Promise((r) => setTimeout(r, 10))
  const final = (await call(server, 'POST', '/validate', body)).json() as AdmissionReview
  t.equal(final.response?.allowed, false, 'the last valid version is in force')
  const ready = await call(server, 'GET', '/readyz')
  t.equal(ready.status, 200)
  t.match(ready.json(), { status: 'ok', policy: { name: 'deny-again' } })
})

t.test('/readyz shows a failed reload and stays ready', async (t) => {
  const { file, publish } = policyVolume(policyText('first', true))
  const w = PolicyWatcher.open(file, createLogger({ destination: logSink().stream }))
  const server = await startTestServer({ policy: w.current, status: () => ({ policy: w.status() }) })
  t.teardown(() => server.app.close())
  publish(INVALID)
  w.check()
  w.check()
  const ready = await call(server, 'GET', '/readyz')
  t.equal(ready.status, 200)
  t.match(ready.json(), { status: 'ok', policy: { name: 'first', reloadError: { message: /last good policy stays in force/, problems: ['spec.rules[0].imagez: unknown field'] } } })
})

t.test('open(): a missing or invalid file is a policy error, so serve refuses to start', async (t) => {
  const logger = createLogger({ destination: logSink().stream })
  t.throws(() => PolicyWatcher.open('/nonexistent/policy.yaml', logger), { name: 'PolicyError', problems: [/cannot read/] })
  const { file, publish } = policyVolume(policyText('first', true))
  publish(INVALID)
  t.throws(() => PolicyWatcher.open(file, logger), { name: 'PolicyError', problems: ['spec.rules[0].imagez: unknown field'] })
})
