// serve's terminal face: a busy port names the flag that moves it, and logs on a terminal are plain
// lines (JSON stays the format everywhere else: the Deployment's logs are not a terminal).
import t from 'tap'
import { mkdtempSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cli } from '../support/cli.js'
import { logDestination, plainLine } from '../../src/cli/serve.js'

t.setTimeout(120_000)

const occupy = async (): Promise<{ server: Server; port: number }> => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as { port: number }).port }
}

t.test('a port in use: one line naming the flag, exit 2, nothing left listening', async (t) => {
  const busy = await occupy()
  t.teardown(() => { busy.server.close() })
  const dir = mkdtempSync(join(tmpdir(), 'eg-busy-'))
  const https = await cli(['serve', '--dev-certs', dir, '--host', '127.0.0.1', '--port', String(busy.port), '--metrics-host', '127.0.0.1', '--metrics-port', '0'], { stdoutTTY: true })
  t.equal(https.status, 2)
  t.equal(https.stderr, `ephemeral-guard serve: 127.0.0.1:${busy.port} is already in use (another ephemeral-guard, or another program); choose a free port with --port\n`)
  t.match(https.stdout, /^\d\d:\d\d:\d\d INFO  created development certificates; trust the CA bundle to call the webhook certFile=\S+tls\.crt /m, 'the log on a terminal is plain')

  const metrics = await cli(['serve', '--dev-certs', dir, '--host', '127.0.0.1', '--port', '0', '--metrics-host', '127.0.0.1', '--metrics-port', String(busy.port)])
  t.equal(metrics.status, 2)
  t.match(metrics.stderr, new RegExp(`^ephemeral-guard serve: 127\\.0\\.0\\.1:${busy.port} is already in use .*; choose a free port with --metrics-port\\n$`))
})

t.test('plain lines: time, level, message, then the fields', async (t) => {
  t.equal(plainLine('{"level":"info","time":"2026-11-30T21:40:01.123Z","pid":1,"hostname":"h","name":"ephemeral-guard","msg":"ephemeral-guard serving","policy":"default","addresses":[{"port":8443}]}'),
    '21:40:01 INFO  ephemeral-guard serving policy=default addresses=[{"port":8443}]\n')
  t.equal(plainLine('{"level":"warn","msg":"x","note":"two words"}'), 'WARN  x note="two words"\n', 'values with spaces quoted')
  t.equal(plainLine('not json'), 'not json\n', 'anything else passes as it is')
  t.equal(plainLine('[1]'), '[1]\n')
  const written: string[] = []
  const dest = logDestination({ isTTY: true, write: (s: string) => written.push(s) })!
  dest.write('{"level":"error","msg":"a"}\n{"level":"info","msg":"b"}\n')
  t.same(written, ['ERROR a\n', 'INFO  b\n'])
  t.equal(logDestination({ write: () => true }), undefined, 'not a terminal: the JSON destination')
})

t.test('--cluster-policies with --policy is a usage error; without a cluster, one line', async (t) => {
  const both = await cli(['serve', '--dev-certs', 'certs', '--cluster-policies', '--policy', 'policies/default.yaml'])
  t.equal(both.status, 2)
  t.match(both.stderr, /^ephemeral-guard serve: --cluster-policies and --policy exclude each other: serve the cluster's policies or a file\n/)
  const dir = mkdtempSync(join(tmpdir(), 'eg-nocluster-'))
  const offline = await cli(['serve', '--dev-certs', dir, '--host', '127.0.0.1', '--port', '0', '--metrics-host', '127.0.0.1', '--metrics-port', '0', '--cluster-policies'])
  t.equal(offline.status, 2)
  t.match(offline.stderr, /^ephemeral-guard serve: --cluster-policies needs a cluster: --kubeconfig FILE, or run in a pod \(KUBERNETES_SERVICE_HOST set\)\n$/)
})
