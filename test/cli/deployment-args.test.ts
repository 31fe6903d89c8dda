// The Deployment's container args, as manifests/base/deployment.yaml writes them, start the real
// serve (only the mounted paths and the ports are rewritten for a test machine, and --kubeconfig names
// a stand-in API server on loopback in place of the pod's service account), and its probes' paths
// answer on the port the probes name.
import t from 'tap'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { generateCertificates } from '../../src/certs/generate.js'
import { PACKAGE_ROOT } from '../../src/paths.js'
import { eventually, startServe } from './serve-process.js'
import { startFakeApiServer } from '../support/fake-apiserver.js'

t.setTimeout(120_000)

interface Container { args: string[]; ports: Array<{ name: string; containerPort: number }>; readinessProbe: { httpGet: { path: string; port: string } }; livenessProbe: { httpGet: { path: string; port: string } } }

t.test('serve starts with the Deployment\'s args and answers its probes', async (t) => {
  const docs = parseAllDocuments(readFileSync(join(PACKAGE_ROOT, 'manifests/base/deployment.yaml'), 'utf8')).map((d) => d.toJSON() as Record<string, unknown>)
  const deployment = docs.find((d) => d['kind'] === 'Deployment') as { spec: { template: { spec: { containers: Container[] } } } }
  const container = deployment.spec.template.spec.containers[0]!
  const dir = mkdtempSync(join(tmpdir(), 'eg-deploy-'))
  const certs = await generateCertificates({ caName: 'test CA', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })
  writeFileSync(join(dir, 'tls.crt'), certs.cert)
  writeFileSync(join(dir, 'tls.key'), certs.key)
  // Mounted paths to the test directory; ports to free ones (startServe's own --port/--metrics-port
  // come first, so the Deployment's would win: drop those two).
  const args = container.args
    .filter((a) => !a.startsWith('--port=') && !a.startsWith('--metrics-port='))
    .map((a) => a.replace('/etc/ephemeral-guard/tls/', `${dir}/`))
  t.equal(args.length, container.args.length - 2, 'the Deployment sets --port and --metrics-port')
  t.ok(args.includes('--cluster-policies'), 'the cluster\'s policy objects are served')
  const api = await startFakeApiServer()
  t.teardown(() => api.stop())
  const serve = await startServe([...args, '--kubeconfig', api.kubeconfig])
  t.teardown(() => { serve.child.kill('SIGKILL') })
  await eventually('the cluster\'s policies to be read', () => serve.logs.some((r) => r.msg === 'cluster policies in force'), 30_000)
  t.match(serve.logs.find((r) => r.msg === 'cluster policies in force'), { policies: /^default@[0-9a-f]{12}$/ }, 'no policy object: the built-in policy is in force')
  t.ok(api.requests.some((r) => r.startsWith('/apis/ephemeral-guard.dev/v1alpha1/debugpolicies')), 'DebugPolicy objects listed across namespaces')
  for (const probe of [container.readinessProbe, container.livenessProbe]) {
    t.equal(probe.httpGet.port, 'metrics', 'probes name the metrics port')
    const res = await fetch(`${serve.opsUrl}${probe.httpGet.path}`)
    t.equal(res.status, 200, `${probe.httpGet.path} on the metrics port`)
  }
  serve.child.kill('SIGINT')
  t.equal(await serve.exited, 0, 'stops cleanly')
})
