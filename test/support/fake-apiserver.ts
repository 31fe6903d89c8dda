// The least of an API server that serve's informers need, on loopback over plain HTTP: each path
// lists the items given for it (none by default), and a watch stays open, sending nothing, until
// stop(). Enough for `serve --cluster-policies --kubeconfig FILE` to sync with an empty cluster.
import { createServer, type ServerResponse } from 'node:http'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface FakeApiServer {
  readonly url: string
  /** A kubeconfig file naming this server. */
  readonly kubeconfig: string
  /** Paths asked for, with their query, in order. */
  readonly requests: string[]
  stop(): Promise<void>
}

export async function startFakeApiServer(items: Record<string, unknown[]> = {}): Promise<FakeApiServer> {
  const watches = new Set<ServerResponse>()
  const requests: string[] = []
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    requests.push(`${url.pathname}${url.search}`)
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.flushHeaders()
      watches.add(res)
      res.on('close', () => watches.delete(res))
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '1' }, items: items[url.pathname] ?? [] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const url = `http://127.0.0.1:${port}`
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'eg-fake-api-')), 'kubeconfig')
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    // client-node refuses plain HTTP unless told to skip TLS verification (there is no TLS to verify).
    clusters: [{ name: 'k', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
  }))
  return {
    url, kubeconfig, requests,
    stop: async () => {
      for (const w of watches) w.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
