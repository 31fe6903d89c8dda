// Many pods at once for the scale tests (audit's and the controller's memory checks): pods created
// over one keep-alive agent, at most `concurrency` requests in flight, every `debuggedEvery`-th pod
// given a debug container (privileged in every hundredth), a failed create retried a few times.
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:https'
import { createNamespace, type Cluster } from './cluster.js'
import { sleep } from './process.js'

export interface ScaleOptions {
  readonly podsPerNamespace: number
  readonly debuggedEvery: number
  readonly concurrency: number
}

/** Runs `fn` over `inputs` with at most `limit` in flight. */
async function pool<T>(inputs: readonly T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < inputs.length) await fn(inputs[next++]!)
  }))
}

/** One request as cluster-admin over a shared agent; resolves to the status code. */
function apiClient(cluster: Cluster, maxSockets: number): (method: string, path: string, body: unknown, contentType?: string) => Promise<number> {
  const { info } = cluster
  const agent = new Agent({ keepAlive: true, maxSockets, ca: readFileSync(info.caFile), cert: readFileSync(info.clientCertFile), key: readFileSync(info.clientKeyFile) })
  return (method, path, body, contentType = 'application/json') => new Promise((resolve, reject) => {
    const req = request(`${info.server}${path}`, { method, agent, headers: { 'content-type': contentType } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}

/** Creates the namespaces and their pods; returns how many creates or debug containers failed. */
export async function createScalePods(cluster: Cluster, namespaces: readonly string[], o: ScaleOptions): Promise<number> {
  const api = apiClient(cluster, o.concurrency)
  for (const ns of namespaces) await createNamespace(cluster, ns)
  const pods = namespaces.flatMap((ns) => Array.from({ length: o.podsPerNamespace }, (_, i) => ({ ns, name: `p-${String(i).padStart(4, '0')}`, debugged: i % o.debuggedEvery === 0 })))
  let failures = 0
  await pool(pods, o.concurrency, async (p) => {
    const body = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: p.name, labels: { app: 'scale', tier: p.name.slice(-1) } },
      spec: { containers: [{ name: 'app', image: 'registry.example.com/shop/cart:2.4', command: ['/cart', '--listen=:8080'], env: [{ name: 'MODE', value: 'production' }] }] },
    }
    for (let attempt = 0; ; attempt++) {
      if (await api('POST', `/api/v1/namespaces/${p.ns}/pods`, body) === 201) break
      if (attempt >= 5) { failures++; break }
      await sleep(200 * (attempt + 1))
    }
    if (!p.debugged) return
    const patch = { spec: { ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File', securityContext: { privileged: p.name.endsWith('00') } }] } }
    if (await api('PATCH', `/api/v1/namespaces/${p.ns}/pods/${p.name}/ephemeralcontainers`, patch, 'application/strategic-merge-patch+json') !== 200) failures++
  })
  return failures
}
