// ephemeral-guard as it ships (node dist/main.js serve) on 127.0.0.1 with a CA of the test's own, and
// the manifest's webhook configurations registered against it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { generateCertificates } from '../../../src/certs/generate.js'
import type { JsonObject } from '../../../src/kube/types.js'
import { ephemeralContainersPath, kubectlOk, REPO_ROOT, withEphemeralContainers, type Cluster } from './cluster.js'
import { poll, startService } from './process.js'

export type LogRecord = Record<string, unknown> & { msg?: string }

export interface WebhookServer {
  /** https://127.0.0.1:PORT */
  readonly url: string
  readonly port: number
  readonly caPem: string
  /** Every JSON line the server wrote on stdout, parsed. */
  readonly logs: LogRecord[]
  readonly exited: Promise<number>
  stop(): Promise<number>
}

// Seconds a webhook server may live, as for the harness.
const SERVER_MAX_SECONDS = 1800

export const VALIDATING_WEBHOOK = 'validate.ephemeral-guard.dev'
export const MUTATING_WEBHOOK = 'mutate.ephemeral-guard.dev'
export const CONFIGURATION_NAME = 'ephemeral-guard'
export const MANIFEST = join(REPO_ROOT, 'manifests/base/webhooks.yaml')

function healthz(url: string, ca: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${url}/healthz`, { ca, timeout: 2000 }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)) })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(0))
    req.end()
  })
}

/**
 * Writes a fresh CA and a serving certificate for 127.0.0.1 (src/certs/generate.ts) into `dir`, starts
 * `node dist/main.js serve` on a port the OS picks, reads the port from its "ephemeral-guard serving"
 * log line and waits for GET /healthz (verified against the CA) to answer 200. `extraArgs` go to serve
 * as they are (e.g. --policy FILE --kubeconfig FILE).
 */
export async function startWebhookServer(dir: string, extraArgs: readonly string[] = []): Promise<WebhookServer> {
  mkdirSync(dir, { recursive: true })
  const certs = await generateCertificates({ caName: 'ephemeral-guard e2e CA', dnsNames: [], ipAddresses: ['127.0.0.1'] })
  const certFile = join(dir, 'tls.crt')
  const keyFile = join(dir, 'tls.key')
  writeFileSync(join(dir, 'ca.crt'), certs.caCert)
  writeFileSync(certFile, certs.cert)
  writeFileSync(keyFile, certs.key, { mode: 0o600 })

  const service = startService(process.execPath, [join(REPO_ROOT, 'dist/main.js'), 'serve', '--host', '127.0.0.1', '--port', '0', '--metrics-host', '127.0.0.1', '--metrics-port', '0', '--shutdown-delay', '0', '--tls-cert', certFile, '--tls-key', keyFile, ...extraArgs], {
    maxSeconds: SERVER_MAX_SECONDS,
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'info' },
  })
  const logs: LogRecord[] = []
  service.onLine((line) => {
    if (line.trim() === '') return
    try { logs.push(JSON.parse(line) as LogRecord) } catch { logs.push({ msg: '(not JSON)', line }) }
  })
  let died = false
  void service.exited.then(() => { died = true })
  try {
    const port = await poll('the "ephemeral-guard serving" log line', async () => {
      if (died) throw new Error(`ephemeral-guard exited before serving:\n${service.stderr()}${service.stdout()}`)
      const serving = logs.find((r) => r.msg === 'ephemeral-guard serving')
      const addresses = serving?.['addresses'] as Array<{ address: string; port: number }> | undefined
      return addresses?.find((a) => a.address === '127.0.0.1')?.port
    }, { timeoutMs: 30_000, intervalMs: 50 })
    const url = `https://127.0.0.1:${port}`
    await poll(`${url}/healthz to answer 200`, async () => ((await healthz(url, certs.caCert)) === 200 ? true : undefined), { timeoutMs: 30_000, intervalMs: 100 })
    return { url, port, caPem: certs.caCert, logs, exited: service.exited, stop: () => service.stop() }
  } catch (e) {
    await service.stop()
    throw e
  }
}

/** The grant webhooks' name, in both configurations (paths /validate-grants and /mutate-grants). */
export const GRANT_WEBHOOK = 'grants.ephemeral-guard.dev'

/** The path each webhook of manifests/base/webhooks.yaml calls (the grant webhooks: by configuration). */
const PATH_OF_WEBHOOK: Readonly<Record<string, string>> = {
  [VALIDATING_WEBHOOK]: '/validate',
  [MUTATING_WEBHOOK]: '/mutate',
  'policies.ephemeral-guard.dev': '/validate-policy',
}

/**
 * manifests/base/webhooks.yaml with each webhook's clientConfig replaced by
 * `{url: <server>/validate|/mutate|/validate-policy, caBundle: base64(CA PEM)}` (the grant webhooks:
 * /validate-grants and /mutate-grants); every other field stays as written (the YAML document is
 * edited in place, so nothing else is re-serialised differently).
 */
export function webhookManifest(server: Pick<WebhookServer, 'url' | 'caPem'>): { yaml: string; documents: JsonObject[] } {
  const docs = parseAllDocuments(readFileSync(MANIFEST, 'utf8'))
  const caBundle = Buffer.from(server.caPem).toString('base64')
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${MANIFEST}: ${doc.errors.map((e) => e.message).join('; ')}`)
    const kind = doc.get('kind')
    if (kind !== 'ValidatingWebhookConfiguration' && kind !== 'MutatingWebhookConfiguration') throw new Error(`${MANIFEST}: unexpected kind ${String(kind)}`)
    const webhooks = (doc.toJS() as { webhooks: Array<{ name: string }> }).webhooks
    webhooks.forEach((w, i) => {
      const path = w.name === GRANT_WEBHOOK ? (kind === 'ValidatingWebhookConfiguration' ? '/validate-grants' : '/mutate-grants') : PATH_OF_WEBHOOK[w.name]
      if (path === undefined) throw new Error(`${MANIFEST}: unexpected webhook ${w.name}`)
      doc.setIn(['webhooks', i, 'clientConfig'], doc.createNode({ url: `${server.url}${path}`, caBundle }))
    })
  }
  return { yaml: docs.map((d) => d.toString()).join('---\n'), documents: docs.map((d) => d.toJS() as JsonObject) }
}

/** kubectl apply of webhookManifest(server); returns the documents applied. */
export async function registerWebhooks(cluster: Cluster, server: Pick<WebhookServer, 'url' | 'caPem'>): Promise<JsonObject[]> {
  const { yaml, documents } = webhookManifest(server)
  await kubectlOk(cluster, ['apply', '-f', '-'], { input: yaml })
  return documents
}

export const SYSADMIN = { name: 'probe-sysadmin', image: 'busybox:1.36', securityContext: { privileged: true } }
export const COMPLIANT = { name: 'probe-general', image: 'busybox:1.36', securityContext: { capabilities: { add: ['SYS_PTRACE'] } } }

/**
 * Waits until the API server calls both webhooks for pods in `namespace` (which must hold `pod`):
 * a dryRun=All replace of a privileged container must be denied by the validating webhook, and
 * one of a compliant container must come back with imagePullPolicy Always from the mutating one.
 * The configurations reach the API server's admission plugins through an informer, so a short
 * delay after `kubectl apply` is normal. Nothing is stored (dry run).
 */
export async function waitForWebhooks(cluster: Cluster, namespace: string, pod: string): Promise<void> {
  let last = ''
  const path = `${ephemeralContainersPath(namespace, pod)}?dryRun=All`
  await poll('the API server to call both ephemeral-guard webhooks', async () => {
    const denied = await cluster.api('PUT', path, await withEphemeralContainers(cluster, namespace, pod, [SYSADMIN]))
    last = `sysadmin: ${denied.status} ${String(denied.body['message'])}`
    if (!String(denied.body['message']).includes(`admission webhook "${VALIDATING_WEBHOOK}" denied the request`)) return undefined
    const mutated = await cluster.api('PUT', path, await withEphemeralContainers(cluster, namespace, pod, [COMPLIANT]))
    const list = ((mutated.body['spec'] as JsonObject | undefined)?.['ephemeralContainers'] ?? []) as JsonObject[]
    last = `compliant: ${mutated.status} ${JSON.stringify(list)}`
    return mutated.status === 200 && list[0]?.['imagePullPolicy'] === 'Always' ? true : undefined
  }, { timeoutMs: 30_000, intervalMs: 250, last: () => last })
}

/**
 * The server's "admission decision" log records for one namespace, once at least `count` are there.
 * The server logs asynchronously (pino, sync: false), so a record can trail the API server's answer.
 */
export const decisions = (server: Pick<WebhookServer, 'logs'>, namespace: string, count: number): Promise<LogRecord[]> =>
  poll(`${count} admission decision log records for ${namespace}`, async () => {
    const found = server.logs.filter((r) => r.msg === 'admission decision' && r['namespace'] === namespace)
    return found.length >= count ? found : undefined
  }, { timeoutMs: 5000, intervalMs: 50 })

/** GET /readyz of a webhook server, verified against its CA. */
export const getReadyz = (webhook: Pick<WebhookServer, 'url' | 'caPem'>): Promise<{ status: number; body: JsonObject }> => new Promise((resolve, reject) => {
  const req = request(`${webhook.url}/readyz`, { ca: webhook.caPem, timeout: 5000 }, (res) => {
    let text = ''
    res.on('data', (c: Buffer) => { text += c.toString('utf8') })
    res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as JsonObject }))
  })
  req.on('timeout', () => req.destroy(new Error('GET /readyz: no answer in 5 s')))
  req.on('error', reject)
  req.end()
})
