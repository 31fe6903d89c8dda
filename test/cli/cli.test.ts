// The command line: in-process through runCli (what the bin runs), and a few smoke tests of the
// compiled bin in a child process (--version, serve's start, signals and exit codes).
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import type { AdmissionReview } from '../../src/kube/types.js'
import { debugContainer, profileContainer, admissionReview } from '../support/reviews.js'
import { call } from '../support/server.js'
import { startServe } from './serve-process.js'
import { cli } from '../support/cli.js'

// Child processes on a shared 2-core machine: each start of the bin takes a second or more.
t.setTimeout(120_000)

const BIN = new URL('../../dist/main.js', import.meta.url).pathname
const run = cli

t.test('--help and --version, in-process and from the bin', async (t) => {
  const help = await run(['--help'])
  t.equal(help.status, 0)
  t.match(help.stdout, /ephemeral-guard serve/)
  t.match(help.stdout, /ephemeral-guard review/)
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  t.equal((await run(['--version'])).stdout.trim(), pkg.version)
  const bin = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', timeout: 60_000 })
  t.equal(bin.status, 0)
  t.equal(bin.stdout.trim(), pkg.version, 'the bin prints the version')
  const usage = spawnSync(process.execPath, [BIN, 'review', '--nope'], { encoding: 'utf8', timeout: 60_000 })
  t.equal(usage.status, 2, 'the bin exits with the code runCli returns')
  t.match(usage.stderr, /^ephemeral-guard review: unknown option --nope\n/)
})

t.test('review: exit 0 allowed, 1 denied, 2 unusable, response on stdout', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'eg-review-'))
  const allowedFile = join(dir, 'allowed.json')
  const r = admissionReview({ added: [profileContainer('general')] })
  writeFileSync(allowedFile, JSON.stringify(r))
  const ok = await run(['review', allowedFile])
  t.equal(ok.status, 0)
  t.match(JSON.parse(ok.stdout) as AdmissionReview, { apiVersion: 'admission.k8s.io/v1', response: { uid: r.request.uid, allowed: true } })

  const denied = await run(['review', '-'], { input: JSON.stringify(admissionReview({ added: [profileContainer('sysadmin')] })) })
  t.equal(denied.status, 1)
  t.match((JSON.parse(denied.stdout) as AdmissionReview).response?.status?.message, /securityContext\.privileged: Forbidden/)

  const mutated = await run(['review', '--webhook', 'mutate'], { input: JSON.stringify(admissionReview({ added: [debugContainer()] })) })
  t.equal(mutated.status, 0)
  t.equal((JSON.parse(mutated.stdout) as AdmissionReview).response?.patchType, 'JSONPatch')

  const garbage = await run(['review'], { input: '{"kind": "AdmissionReview"' })
  t.equal(garbage.status, 2)
  t.equal(garbage.stdout, '')
  t.match(garbage.stderr, /not a usable AdmissionReview: body is not valid JSON/)

  const unevaluable = admissionReview({ added: [debugContainer()] })
  unevaluable.request.object = null
  const bad = await run(['review'], { input: JSON.stringify(unevaluable) })
  t.equal(bad.status, 2)
  t.match(bad.stderr, /cannot evaluate the request: request\.object must be a Pod/)
  t.equal((JSON.parse(bad.stdout) as AdmissionReview).response?.allowed, false, 'still answers, fail-closed')

  const missing = await run(['review', join(dir, 'nope.json')])
  t.equal(missing.status, 2)
  t.match(missing.stderr, /cannot read .*nope\.json/)
})

t.test('usage errors exit 2 with a hint', async (t) => {
  for (const args of [['frobnicate'], ['review', '--webhook', 'both'], ['review', 'a', 'b'], ['review', '--nope'], ['serve'], ['serve', '--port', 'x']]) {
    const res = await run(args)
    t.equal(res.status, 2, args.join(' '))
    t.match(res.stderr, /^ephemeral-guard( [a-z]+)?: /, 'says what is wrong')
    t.notMatch(res.stderr, /\n\s+at /, 'no stack trace')
  }
})

t.test('serve --dev-certs: creates a CA and a localhost certificate, serves, stops on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'eg-dev-'))
  const child = spawn(process.execPath, [BIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--metrics-port', '0', '--shutdown-delay', '0', '--dev-certs', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  let out = ''
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /"address":"127\.0\.0\.1","family":"IPv4","port":(\d+)/.exec(out)
      if (m) resolve(Number(m[1]))
    })
    child.on('exit', () => reject(new Error(`exited early: ${out}`)))
  })
  t.match(out, /created development certificates; trust the CA bundle/)
  const cert = new X509Certificate(readFileSync(join(dir, 'tls.crt')))
  t.match(cert.subjectAltName, /DNS:localhost/)
  t.match(cert.subjectAltName, /IP Address:127\.0\.0\.1/)
  t.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1', 'ECDSA P-256')
  t.ok(cert.verify(new X509Certificate(readFileSync(join(dir, 'ca.crt'))).publicKey), 'signed by the CA')
  t.equal((await call({ url: `https://localhost:${port}`, ca: readFileSync(join(dir, 'ca.crt'), 'utf8') }, 'GET', '/healthz')).status, 200)
  const code = await new Promise<number | null>((resolve) => { child.on('exit', resolve); child.kill('SIGTERM') })
  t.equal(code, 0, 'clean exit on SIGTERM')
  // A second start reuses the certificates. (Not spawnSync with a timeout: it stops reading the
  // child's stdout when the timeout fires, and a child still logging its shutdown then blocks.)
  const again = await startServe(['--dev-certs', dir, '--shutdown-delay', '0'])
  t.teardown(() => { again.child.kill('SIGKILL') })
  t.ok(again.logs.some((r) => r.msg === 'using development certificates'))
  again.child.kill('SIGTERM')
  t.equal(await again.exited, 0)
})

t.test('policy check and policy schema', async (t) => {
  const ok = await run(['policy', 'check', 'policies/examples/production.yaml'])
  t.equal(ok.status, 0)
  t.match(ok.stdout, /policy "production" \([0-9a-f]{12}\) is valid: 6 rules/)
  const dir = mkdtempSync(join(tmpdir(), 'eg-policy-'))
  const bad = join(dir, 'bad.yaml')
  writeFileSync(bad, 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: x}\nspec: {mode: block, rules: [{name: r, images: {allow: ["a//b"]}}]}\n')
  const invalid = await run(['policy', 'check', bad])
  t.equal(invalid.status, 1)
  t.match(invalid.stderr, /invalid policy:\n  spec\.mode: must be one of "enforce", "warn", "audit"/)
  const schema = await run(['policy', 'schema', 'policies/default.yaml'])
  t.equal(schema.status, 0)
  const printed = JSON.parse(schema.stdout) as { policy: string; rules: Array<{ rule: string; checks: Array<{ name: string; description: string }> }> }
  t.equal(printed.policy, 'default')
  t.same(printed.rules.map((r) => r.rule), ['no-privileged', 'no-privilege-escalation', 'allowed-capabilities', 'no-privileged-equivalents', 'no-ptrace-to-node', 'image-reference'])
  t.same(printed.rules[0]?.checks, [{ name: 'securityContext', description: 'not privileged' }])
  t.equal((await run(['policy', 'schema', bad])).status, 1)
  t.equal((await run(['policy', 'lint', bad])).status, 2, 'unknown subcommand')
  t.equal((await run(['policy', 'check'])).status, 2, 'missing FILE')
})

t.test('review and serve with --policy', async (t) => {
  const body = JSON.stringify(admissionReview({ added: [profileContainer('sysadmin', { env: [{ name: 'DEBUG_TICKET', value: 'INC-1' }] })], groups: ['incident-responders'] }))
  t.equal((await run(['review', '--policy', 'policies/examples/break-glass.yaml'], { input: body })).status, 0, 'break-glass allows with a ticket')
  t.equal((await run(['review'], { input: body })).status, 1, 'the default policy does not')
  const dir = mkdtempSync(join(tmpdir(), 'eg-policy-'))
  const bad = join(dir, 'bad.yaml')
  writeFileSync(bad, 'kind: Nope\n')
  const refused = await run(['review', '--policy', bad], { input: body })
  t.equal(refused.status, 2)
  t.match(refused.stderr, /invalid policy/)
  const serve = spawnSync(process.execPath, [BIN, 'serve', '--dev-certs', mkdtempSync(join(tmpdir(), 'eg-dev-')), '--port', '0', '--metrics-port', '0', '--policy', bad], { encoding: 'utf8', timeout: 10_000 })
  t.equal(serve.status, 2, 'serve refuses to start on an invalid policy')
  t.match(serve.stderr, /\(document\): must have required property 'apiVersion'/)
})
