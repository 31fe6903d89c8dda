// A capture webhook: a tiny HTTPS server on 127.0.0.1, registered as a MutatingWebhookConfiguration for
// UPDATE pods/ephemeralcontainers in namespaces labelled CAPTURE_LABEL, that records every
// AdmissionReview request it is sent and allows it unchanged. Mutating webhooks run before Kubernetes'
// validation, so it sees exactly what ephemeral-guard's webhooks see, also for requests Kubernetes then
// refuses; sideEffects None, so it is called on dry runs too.
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { generateCertificates } from '../../../src/certs/generate.js'
import type { JsonObject } from '../../../src/kube/types.js'
import { ephemeralContainersPath, withEphemeralContainers, type Cluster } from './cluster.js'
import { poll } from './process.js'

export const CAPTURE_LABEL = 'fidelity.ephemeral-guard.dev/capture'
export const CAPTURE_CONFIGURATION = 'fidelity-capture'
const BODY_MAX = 4 * 1024 * 1024

export interface CaptureServer {
  readonly url: string
  readonly caPem: string
  /** Every request received, in order of arrival. */
  readonly requests: JsonObject[]
  /** Requests received for one pod, dry runs only. */
  dryRuns(namespace: string, pod: string): JsonObject[]
  stop(): Promise<void>
}

export async function startCaptureServer(): Promise<CaptureServer> {
  const certs = await generateCertificates({ caName: 'fidelity capture CA', dnsNames: [], ipAddresses: ['127.0.0.1'] })
  const requests: JsonObject[] = []
  const server: Server = createServer({ cert: certs.cert, key: certs.key }, (req, res) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > BODY_MAX) req.destroy()
      else chunks.push(c)
    })
    req.on('end', () => {
      let review: JsonObject
      try {
        review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as JsonObject
      } catch {
        res.writeHead(400).end()
        return
      }
      const request = review['request'] as JsonObject | undefined
      if (request === undefined) {
        res.writeHead(400).end()
        return
      }
      requests.push(request)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: request['uid'], allowed: true } }))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: certs.caCert,
    requests,
    dryRuns: (namespace, pod) => requests.filter((r) => r['namespace'] === namespace && r['name'] === pod && r['dryRun'] === true),
    stop: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

/** The configuration that sends UPDATE pods/ephemeralcontainers of labelled namespaces to the capture server. */
export function captureConfiguration(server: Pick<CaptureServer, 'url' | 'caPem'>): JsonObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: CAPTURE_CONFIGURATION },
    webhooks: [{
      name: 'capture.fidelity.ephemeral-guard.dev',
      clientConfig: { url: `${server.url}/capture`, caBundle: Buffer.from(server.caPem).toString('base64') },
      rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['pods/ephemeralcontainers'], scope: 'Namespaced' }],
      namespaceSelector: { matchLabels: { [CAPTURE_LABEL]: 'true' } },
      failurePolicy: 'Fail',
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      timeoutSeconds: 10,
      reinvocationPolicy: 'Never',
    }],
  }
}

/**
 * Registers the capture webhook, labels `namespace` for it, and waits until a dry run for `pod` (which
 * must exist there) reaches it: the API server learns of new configurations through an informer.
 */
export async function registerCapture(cluster: Cluster, server: CaptureServer, namespace: string, pod: string): Promise<void> {
  const r = await cluster.api('POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', captureConfiguration(server))
  if (r.status !== 201) throw new Error(`registering the capture webhook: ${r.status} ${r.text}`)
  const l = await cluster.api('GET', `/api/v1/namespaces/${namespace}`)
  const ns = l.body
  const metadata = ns['metadata'] as JsonObject
  const labelled = { ...ns, metadata: { ...metadata, labels: { ...(metadata['labels'] as JsonObject | undefined ?? {}), [CAPTURE_LABEL]: 'true' } } }
  const u = await cluster.api('PUT', `/api/v1/namespaces/${namespace}`, labelled)
  if (u.status !== 200) throw new Error(`labelling namespace ${namespace}: ${u.status} ${u.text}`)
  await poll('the API server to call the capture webhook', async () => {
    const before = server.dryRuns(namespace, pod).length
    await cluster.api('PUT', `${ephemeralContainersPath(namespace, pod)}?dryRun=All`, await withEphemeralContainers(cluster, namespace, pod, [{ name: 'probe', image: 'busybox:1.36' }]))
    return server.dryRuns(namespace, pod).length > before ? true : undefined
  }, { timeoutMs: 30_000, intervalMs: 250 })
}
