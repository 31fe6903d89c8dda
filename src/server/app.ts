// buildApp: the HTTP surface, built but never listening (server/listen.ts starts it), so tests can
// inject requests or listen on a port of their choosing.
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify'
import type { Logger } from 'pino'
import type { SecureContextOptions } from 'node:tls'
import { decodeReview } from '../admission/decode.js'
import { WebhookError } from '../admission/errors.js'
import { admit, type AdmitContext, type Webhook } from '../admission/handler.js'
import { parseJson } from '../admission/parse.js'
import type { Policy } from '../policy.js'

/**
 * 7 MiB: a review carries the object twice (object and oldObject), the API server accepts objects up
 * to 3 MiB (MaxRequestBodyBytes), plus the envelope. controller-runtime uses the same figure.
 * Fastify's default of 1 MiB would refuse large but legitimate pods.
 */
export const BODY_LIMIT_BYTES = 7 * 1024 * 1024

/**
 * Timeouts. The API server waits at most 30 s for a webhook (timeoutSeconds 1–30), so a request still
 * open after 35 s is abandoned or hostile; headers must arrive within 10 s (slowloris). Idle keep-alive
 * connections are kept 95 s, longer than the Go client's 90 s idle timeout, so the API server (not us)
 * closes them and never races a request against our close.
 */
export const REQUEST_TIMEOUT_MS = 35_000
export const HEADERS_TIMEOUT_MS = 10_000
export const KEEP_ALIVE_TIMEOUT_MS = 95_000

export interface AppOptions {
  readonly logger: Logger
  /** The policy in force; read once per request, so a reload never changes a request half-way. */
  readonly policy: () => Policy
  /** Cluster facts decisions may use (namespace labels); none by default. */
  readonly context?: AdmitContext
  /** TLS options; omitted only in tests that use inject(). */
  readonly https?: SecureContextOptions & { minVersion?: 'TLSv1.2' | 'TLSv1.3' }
  /** Readiness beyond "the server answers" (e.g. false while shutting down). */
  readonly ready?: () => boolean
  /** Details shown by /readyz (the policy in force, a failed reload). */
  readonly status?: () => Record<string, unknown>
}

interface StatusBody { kind: 'Status'; apiVersion: 'v1'; status: 'Failure'; code: number; reason: string; message: string }

const statusBody = (code: number, reason: string, message: string): StatusBody =>
  ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message })

/** Maps Fastify's own errors (body size, content type) to a clear message; never a stack trace. */
function httpError(err: FastifyError | WebhookError): StatusBody {
  if (err instanceof WebhookError) return statusBody(err.statusCode, err.reason, err.message)
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return statusBody(413, 'RequestEntityTooLarge', `request body is larger than ${BODY_LIMIT_BYTES} bytes`)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return statusBody(400, 'BadRequest', 'content-type must be application/json')
    default: {
      const code = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
      return code === 500 ? statusBody(500, 'InternalError', 'internal error') : statusBody(code, 'BadRequest', err.message)
    }
  }
}

export function buildApp(options: AppOptions): FastifyInstance {
  const { logger } = options
  const context = options.context ?? {}
  const serverOptions: FastifyServerOptions = {
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }), // one decision line per review instead, see below
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  }
  // The HTTPS and HTTP factories return differently typed instances; the routes below use neither's specifics.
  const app = (options.https
    ? Fastify({ ...serverOptions, https: options.https } as FastifyServerOptions)
    : Fastify(serverOptions)) as unknown as FastifyInstance
  app.server.headersTimeout = HEADERS_TIMEOUT_MS

  // Our own parser: depth-capped and prototype-safe. No route schema: Fastify's validator would coerce,
  // default or strip fields, and the policy must judge exactly what the API server stores.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJson(body as string))
    } catch (e) {
      done(e as Error, undefined)
    }
  })

  app.setErrorHandler((err: FastifyError | WebhookError, req, reply: FastifyReply) => {
    const body = httpError(err)
    if (body.code >= 500) req.log.error({ err }, 'request failed')
    else req.log.warn({ code: body.code, reason: body.message, url: req.url }, 'request refused')
    void reply.code(body.code).send(body)
  })
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(statusBody(404, 'NotFound', `no route ${req.method} ${req.url.split('?')[0]}`))
  })

  const review = (webhook: Webhook) => async (req: { body: unknown }) => {
    const started = process.hrtime.bigint()
    const decoded = decodeReview(req.body)
    const { review: answer, summary } = admit(decoded, webhook, options.policy(), context)
    const r = decoded.request
    logger.info({
      uid: r.uid,
      namespace: r.namespace,
      pod: r.name,
      user: r.userInfo?.username,
      webhook,
      decision: summary.outcome,
      rules: summary.rules,
      dryRun: r.dryRun === true,
      durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      ...(summary.note ? { note: summary.note } : {}),
    }, 'admission decision')
    return answer
  }
  app.post('/validate', review('validate'))
  app.post('/mutate', review('mutate'))

  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    if (options.ready && !options.ready()) return reply.code(503).send(statusBody(503, 'ServiceUnavailable', 'not ready'))
    return { status: 'ok', ...options.status?.() }
  })
  return app
}
