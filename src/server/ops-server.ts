// The operations port: plain HTTP for Prometheus (GET /metrics) and kubelet probes (GET /healthz,
// GET /readyz). It is separate from the webhook's HTTPS port because neither Prometheus nor the kubelet
// can present the client certificate that --client-ca demands there, and so that scrapes never queue
// behind admission traffic. It carries no admission data.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { readiness, statusBody, type Readiness } from './app.js'
import type { Metrics } from './metrics.js'

export interface OpsServerOptions extends Readiness {
  readonly host: string
  readonly port: number
  /** Served on GET /metrics; without it that path is 404. */
  readonly metrics?: Metrics
  readonly logger: Logger
}

export interface OpsServer {
  readonly server: Server
  readonly address: AddressInfo
  close(): Promise<void>
}

/** Scrapes and probes are small and quick: anything slower than this is dropped. */
const OPS_REQUEST_TIMEOUT_MS = 10_000

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

const json = (res: ServerResponse, status: number, value: unknown): void => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value))

export async function startOpsServer(o: OpsServerOptions): Promise<OpsServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(res, 405, statusBody(405, 'MethodNotAllowed', `${req.method} is not allowed`))
      return
    }
    switch (path) {
      case '/metrics': {
        if (o.metrics === undefined) break
        const { contentType, body } = await o.metrics.text()
        send(res, 200, contentType, body)
        return
      }
      case '/healthz':
        json(res, 200, { status: 'ok' })
        return
      case '/readyz': {
        const { code, body } = readiness(o)
        json(res, code, body)
        return
      }
    }
    json(res, 404, statusBody(404, 'NotFound', `no route GET ${path}`))
  }
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      o.logger.error({ err }, 'operations request failed')
      if (!res.headersSent) json(res, 500, statusBody(500, 'InternalError', 'internal error'))
    })
  })
  server.requestTimeout = OPS_REQUEST_TIMEOUT_MS
  server.headersTimeout = OPS_REQUEST_TIMEOUT_MS
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(o.port, o.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return {
    server,
    address: server.address() as AddressInfo,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}
