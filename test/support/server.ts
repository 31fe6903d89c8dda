// A real ephemeral-guard server on 127.0.0.1 over HTTPS, with a CA of its own and a log sink that
// parses every line, so tests assert whole log records.
import { request } from 'node:https'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { generateCertificates, type CertificateBundle } from '../../src/certs/generate.js'
import { createLogger } from '../../src/log.js'
import { defaultPolicy } from '../../src/policy/default.js'
import { type Policy } from '../../src/decision/types.js'
import { buildApp, type AppOptions } from '../../src/server/app.js'
import { TLS12_CIPHERS, TLS_MIN_VERSION } from '../../src/server/tls-reload.js'

let bundle: Promise<CertificateBundle> | undefined
export const testCertificates = (): Promise<CertificateBundle> =>
  (bundle ??= generateCertificates({ caName: 'ephemeral-guard test CA', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] }))

export type LogRecord = Record<string, unknown> & { msg?: string; level?: string }

/** A pino destination that keeps each line as parsed JSON. */
export function logSink(): { stream: Writable; records: LogRecord[]; text: () => string } {
  const records: LogRecord[] = []
  let raw = ''
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw += chunk.toString('utf8')
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) records.push(JSON.parse(line) as LogRecord)
      done()
    },
  })
  return { stream, records, text: () => raw }
}

export interface TestServer {
  readonly app: FastifyInstance
  readonly url: string
  readonly ca: string
  readonly logs: LogRecord[]
  readonly logText: () => string
}

export async function startTestServer(o: { policy?: Policy | (() => Policy); ready?: () => boolean; status?: () => Record<string, unknown>; app?: Pick<AppOptions, 'notReady' | 'policyLabel' | 'mutationsHolders'> } = {}): Promise<TestServer> {
  const certs = await testCertificates()
  const sink = logSink()
  const logger = createLogger({ destination: sink.stream, level: 'info' })
  const app = buildApp({
    logger,
    policy: typeof o.policy === 'function' ? o.policy : () => (o.policy as Policy | undefined) ?? defaultPolicy,
    ...(o.ready ? { ready: o.ready } : {}),
    ...(o.status ? { status: o.status } : {}),
    ...o.app,
    https: { cert: certs.cert, key: certs.key, minVersion: TLS_MIN_VERSION, ciphers: TLS12_CIPHERS },
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { app, url: `https://127.0.0.1:${address.port}`, ca: certs.caCert, logs: sink.records, logText: sink.text }
}

export interface HttpResult { status: number; headers: Record<string, string | string[] | undefined>; body: string; json: () => unknown }

/** One HTTPS request that trusts the test CA only. */
export function call(server: Pick<TestServer, 'url' | 'ca'>, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, ca: server.ca, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}
