// Starts the webhook: TLS settings, listen, signal handling. The only process-level glue besides main.ts.
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { AdmitContext } from '../admission/handler.js'
import type { Policy } from '../policy.js'
import { buildApp } from './app.js'

/**
 * TLS 1.2 as the floor (the API server's Go client speaks 1.3 too) with forward-secret AEAD suites
 * only; TLS 1.3 suites are all AEAD and left at Node's defaults.
 */
export const TLS_MIN_VERSION = 'TLSv1.2'
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':')

export interface ServeOptions {
  readonly host: string
  readonly port: number
  readonly certFile: string
  readonly keyFile: string
  /** The policy in force, read once per request. */
  readonly policy: () => Policy
  readonly context?: AdmitContext
  readonly status?: () => Record<string, unknown>
  readonly logger: Logger
}

export async function startServer(o: ServeOptions): Promise<FastifyInstance> {
  let shuttingDown = false
  const app = buildApp({
    logger: o.logger,
    policy: o.policy,
    ...(o.context ? { context: o.context } : {}),
    ...(o.status ? { status: o.status } : {}),
    ready: () => !shuttingDown,
    https: {
      cert: readFileSync(o.certFile),
      key: readFileSync(o.keyFile),
      minVersion: TLS_MIN_VERSION,
      ciphers: TLS12_CIPHERS,
      honorCipherOrder: true,
    },
  })
  app.addHook('onClose', async () => { shuttingDown = true })
  await app.listen({ host: o.host, port: o.port })
  return app
}
