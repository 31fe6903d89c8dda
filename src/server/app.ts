// buildApp: the HTTP surface, built but never listening (server/listen.ts starts it), so tests can
// inject requests or listen on a port of their choosing.
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import type { Bindings, ChildLoggerOptions, Logger } from 'pino'
import type { TlsOptions } from 'node:tls'
import { decodeReview } from '../admission/decode.js'
import { WebhookError } from '../errors.js'
import { type DecisionContext, type DecisionSummary, type Webhook } from '../decision/types.js'
import { admit } from '../admission/admit.js'
import type { Mode } from '../decision/types.js'
import { parseJson } from '../admission/parse.js'
import type { Policy } from '../decision/types.js'
import { answerWithinMs, DeadlineWatch, timeoutParamMs } from './deadline.js'
import type { AdmissionMetrics, RequestErrorReason } from './metrics.js'
import type { MutationsHolder } from '../policy/cluster-source.js'
import { answerPolicyReview } from './policy-webhook.js'
import { registerGrantRoutes, type GrantAccess } from './grant-webhook.js'

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
const HEADERS_TIMEOUT_MS = 10_000
const KEEP_ALIVE_TIMEOUT_MS = 95_000

/** What /readyz reports, on the HTTPS port and on the operations port alike. */
export interface Readiness {
  /** Readiness beyond "the server answers" (false from the moment shutdown begins). */
  readonly ready?: () => boolean
  /** Why the replica is not ready yet though not shutting down (the cluster's policies not read); undefined when it is. */
  readonly notReady?: () => string | undefined
  /** Details shown by /readyz (the policy in force, a failed reload). */
  readonly status?: () => Record<string, unknown>
}

export interface AppOptions extends Readiness {
  readonly logger: Logger
  /** The policy in force; read once per request, so a reload never changes a request half-way. */
  readonly policy: () => Policy
  /** Names the policies in force in the decision log line; computed once per policy, not per request. */
  readonly policyLabel?: (policy: Policy) => string
  /** The cluster's servable policies that define spec.mutations (serve --cluster-policies), for POST /validate-policy. */
  readonly mutationsHolders?: () => readonly MutationsHolder[]
  /** Cluster facts decisions may use (namespace labels); none by default. */
  readonly context?: DecisionContext
  /** TLS options (server/tls-reload.ts builds them); omitted only in tests that use inject(). */
  readonly https?: TlsOptions
  /** Where decisions and refused requests are counted; none by default. */
  readonly metrics?: AdmissionMetrics
  /** The API server for the grant webhook's approval checks; without it approvals are refused. */
  readonly grants?: GrantAccess
}

interface StatusBody { kind: 'Status'; apiVersion: 'v1'; status: 'Failure'; code: number; reason: string; message: string }

export const statusBody = (code: number, reason: string, message: string): StatusBody =>
  ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message })

/** The /readyz answer: 503 once not ready (shutdown begun), else 200 with the status details. */
export function readiness(r: Readiness): { code: number; body: unknown } {
  if (r.ready && !r.ready()) return { code: 503, body: statusBody(503, 'ServiceUnavailable', 'not ready: shutting down') }
  const why = r.notReady?.()
  if (why !== undefined) return { code: 503, body: { status: 'not ready', message: `not ready: ${why}`, ...r.status?.() } }
  return { code: 200, body: { status: 'ok', ...r.status?.() } }
}

/** The rules violated in `mode` for the decision log line, or undefined (left out) when there are none. */
function rulesInMode(summary: DecisionSummary, mode: Mode): string[] | undefined {
  let names: string[] | undefined
  for (const r of summary.rules) if (r.mode === mode) (names ??= []).push(r.rule)
  return names
}

/** The names of the rules violated, whatever their mode. */
function ruleNames(summary: DecisionSummary): string[] {
  const names: string[] = []
  for (const r of summary.rules) names.push(r.rule)
  return names
}

/**
 * Fastify makes a child logger per request (`req.log`, bound to its reqId); this one makes pino's
 * child only when a line is logged, which on the hot path (a review answered) it never is: the
 * decision line goes to the app's logger. The lines are the same as with pino's own child. One
 * object per request, its methods on the prototype.
 */
class LazyChildLogger {
  private real: Logger | undefined
  constructor(private readonly parent: Logger, private readonly bindingsOf: Bindings, private readonly opts: ChildLoggerOptions) {}
  private made(): Logger {
    return (this.real ??= this.parent.child(this.bindingsOf, this.opts))
  }
  fatal(...args: unknown[]): void { (this.made().fatal as (...a: unknown[]) => void)(...args) }
  error(...args: unknown[]): void { (this.made().error as (...a: unknown[]) => void)(...args) }
  warn(...args: unknown[]): void { (this.made().warn as (...a: unknown[]) => void)(...args) }
  info(...args: unknown[]): void { (this.made().info as (...a: unknown[]) => void)(...args) }
  debug(...args: unknown[]): void { (this.made().debug as (...a: unknown[]) => void)(...args) }
  trace(...args: unknown[]): void { (this.made().trace as (...a: unknown[]) => void)(...args) }
  silent(...args: unknown[]): void { (this.made().silent as (...a: unknown[]) => void)(...args) }
  child(bindings: Bindings, options?: ChildLoggerOptions): Logger { return this.made().child(bindings, options) }
  bindings(): Bindings { return this.made().bindings() }
  isLevelEnabled(level: string): boolean { return this.made().isLevelEnabled(level) }
  flush(cb?: (err?: Error) => void): void { this.made().flush(cb) }
  get level(): string { return this.real?.level ?? this.opts.level ?? this.parent.level }
  set level(level: string) { this.made().level = level }
}

/** Fastify's childLoggerFactory: a LazyChildLogger. */
export const lazyChildLogger = (parent: Logger, bindings: Bindings, opts: ChildLoggerOptions): Logger =>
  new LazyChildLogger(parent, bindings, opts) as unknown as Logger

const WEBHOOK_OF_URL: Readonly<Record<string, Webhook>> = { '/validate': 'validate', '/mutate': 'mutate' }

/** The Kubernetes reason of an HTTP error answer, as counted in metrics. */
const errorReason = (code: number): RequestErrorReason =>
  code === 413 ? 'RequestEntityTooLarge' : code === 504 ? 'Timeout' : code >= 500 ? 'InternalError' : 'BadRequest'

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

/**
 * Fastify's schema compilers (Ajv and fast-json-stringify, about a hundred modules) are loaded when
 * the server is made unless it is given its own: the routes here take no schema (see the parser
 * below), so these refuse one, and serve starts without loading either.
 */
export const NO_ROUTE_SCHEMAS = (): never => {
  throw new Error('ephemeral-guard routes take no schema: the body is parsed and validated by the app itself')
}

export function buildApp(options: AppOptions): FastifyInstance {
  const { logger } = options
  const context = options.context ?? {}
  const serverOptions: FastifyServerOptions = {
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }), // one decision line per review instead, see below
    childLoggerFactory: lazyChildLogger as unknown as FastifyServerOptions['childLoggerFactory'],
    schemaController: { compilersFactory: { buildValidator: NO_ROUTE_SCHEMAS, buildSerializer: NO_ROUTE_SCHEMAS } },
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // While draining on shutdown, requests on open keep-alive connections are answered, not refused
    // with 503 (a 503 is a call failure: the validating webhook would deny). Fastify adds
    // `Connection: close` to those answers, so clients move to another replica.
    return503OnClosing: false,
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
    deadlineOf(reply)
    if (body.code >= 500) req.log.error({ err }, 'request failed')
    else req.log.warn({ code: body.code, reason: body.message, url: req.url }, 'request refused')
    countError(req.routeOptions.url, body.code)
    void reply.code(body.code).send(body)
  })
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(statusBody(404, 'NotFound', `no route ${req.method} ${req.url.split('?')[0]}`))
  })

  const countError = (url: string | undefined, code: number): void => {
    const webhook = url === undefined ? undefined : WEBHOOK_OF_URL[url]
    if (webhook !== undefined) options.metrics?.requestError(webhook, errorReason(code))
  }

  // The API server's deadline: `?timeout=5s` (a Go duration, rounded up to whole seconds) is how long it
  // waits for this answer. The decision itself is synchronous and takes milliseconds, so the only wait
  // is for the body to arrive, before the uid is known: if it has not come shortly before the deadline,
  // answer 504 with a Status (and close the connection). The API server then applies the webhook's
  // failurePolicy (Fail: the request is denied; Ignore: it proceeds unmutated) at once instead of
  // timing out, and says so in its message.
  // What the 504 says is read again from the request: only a request that times out pays for it.
  const answerTimeout = (reply: FastifyReply): void => {
    const webhook = WEBHOOK_OF_URL[reply.request.routeOptions.url!]!
    const timeoutMs = timeoutParamMs((reply.request.query as Record<string, unknown>)['timeout'])!
    const budgetMs = answerWithinMs(timeoutMs, REQUEST_TIMEOUT_MS)
    logger.warn({ webhook, timeoutMs, budgetMs }, 'no review before the deadline; answered 504')
    options.metrics?.requestError(webhook, 'Timeout')
    const message = `ephemeral-guard: no complete review within ${budgetMs} ms of the API server's timeout of ${timeoutMs} ms; the webhook's failurePolicy applies`
    void reply.code(504).header('connection', 'close').send(statusBody(504, 'Timeout', message))
  }
  // One timer for every request still waiting for its body (server/deadline.ts), not one per request;
  // a request whose client went away is forgotten at the next sweep.
  const watch = new DeadlineWatch<FastifyReply>(answerTimeout, (reply) => reply.sent || reply.raw.destroyed)
  app.addHook('onClose', (_app, done) => {
    watch.close()
    done()
  })
  // The same budget bounds the decision itself (finding 2): admit() checks it between steps and stops
  // once it has passed, so no work goes on after the API server has given up. With the context's own
  // clock (tests), the deadline is on that clock, taken when the request arrived.
  const contextDeadlines = new WeakMap<FastifyReply, number>()
  /** Stops watching the reply's deadline; the deadline for the decision, if the request has one. */
  const deadlineOf = (reply: FastifyReply): number | undefined => {
    const due = watch.delete(reply)
    return due === undefined || context.now === undefined ? due : contextDeadlines.get(reply)
  }
  // The API server sends the same `?timeout=` on every call of a webhook: the last one parsed is kept.
  let lastTimeout: unknown
  let lastTimeoutMs: number | undefined
  const deadline = (req: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const text = (req.query as Record<string, unknown>)['timeout']
    if (text !== lastTimeout) {
      lastTimeoutMs = timeoutParamMs(text)
      lastTimeout = typeof text === 'string' ? text : undefined
    }
    const timeoutMs = lastTimeoutMs
    if (timeoutMs !== undefined) {
      const budgetMs = answerWithinMs(timeoutMs, REQUEST_TIMEOUT_MS)
      // Watched until the body arrives (the route's handler) or an error is answered (the error handler).
      watch.add(reply, Date.now() + budgetMs)
      if (context.now !== undefined) contextDeadlines.set(reply, context.now().getTime() + budgetMs)
    }
    done()
  }

  // The decision line carries only the fields below, never an object: the redaction of the logger
  // (log.ts) has nothing to do there, and is skipped for it.
  const decisionLog = logger.child({}, { redact: [] })
  const answerReview = (webhook: Webhook) => async (req: FastifyRequest, reply: FastifyReply) => {
    const due = deadlineOf(reply) // the body is here: no 504 for this request any more
    const decoded = decodeReview(req.body)
    const policy = options.policy()
    const { review: answer, summary } = admit(decoded, webhook, policy, due === undefined ? context : { ...context, deadline: due })
    const r = decoded.request
    const durationMs = reply.elapsedTime // since the request arrived: body upload and parsing included
    // Shutting down: answer, then close the connection, so the client's next request opens a new one
    // (through the Service, to a ready replica) instead of racing our listener's close.
    if (options.ready !== undefined && !options.ready()) void reply.header('connection', 'close')
    options.metrics?.decision(webhook, summary, durationMs / 1e3)
    // Keys whose value is undefined are left out of the line (pino), as are warned, audited and note
    // when there are none.
    decisionLog.info({
      uid: r.uid,
      namespace: r.namespace,
      pod: r.name,
      user: r.userInfo?.username,
      webhook,
      decision: summary.outcome,
      rules: ruleNames(summary),
      warned: rulesInMode(summary, 'warn'),
      audited: rulesInMode(summary, 'audit'),
      dryRun: r.dryRun === true,
      durationMs,
      note: summary.note ? summary.note : undefined,
      policies: options.policyLabel?.(policy),
    }, 'admission decision')
    return answer
  }
  app.post('/validate', { onRequest: deadline }, answerReview('validate'))
  app.post('/mutate', { onRequest: deadline }, answerReview('mutate'))
  registerGrantRoutes(app, { logger, ...(options.grants ? { access: options.grants } : {}) })
  // Policy objects (policy-webhook.ts): judged in microseconds to milliseconds once the body is here,
  // so no deadline watch; a 413 or a timeout leaves the object to failurePolicy Ignore.
  app.post('/validate-policy', async (req, reply) => {
    const { review, summary } = answerPolicyReview(req.body, options.mutationsHolders)
    decisionLog.info({ ...summary, webhook: 'validate-policy', durationMs: reply.elapsedTime }, 'policy admission decision')
    return review
  })

  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    const { code, body } = readiness(options)
    return reply.code(code).send(body)
  })
  return app
}
