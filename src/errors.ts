// The error catalogue, after Fastify's lib/errors.js: every error class of the project is made here
// by one factory, with a stable code, so `instanceof`, `name` and `code` are the same everywhere. A
// policy violation is data (see checks/); an exception means the input is not a usable AdmissionReview,
// a file or flag that cannot be used, the cluster refusing, or a bug. Webhook errors also carry the
// HTTP status used when one ends a request outside an AdmissionReview and the Kubernetes Status
// reason used inside one. test/checks/registry.test.ts keeps the catalogue honest.

/**
 * What every parser of untrusted input returns (image references and patterns, durations, RFC 3339
 * times, RE2 patterns): it never throws, and a failure is a message saying what is wrong with the input.
 * Validators that only judge (mirrorPrefixProblem, unsafePatternReason) return that message or undefined.
 */
export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string }

export type KubernetesReason = 'BadRequest' | 'Forbidden' | 'Invalid' | 'InternalError' | 'RequestEntityTooLarge' | 'Timeout'

/** Every error the project throws on purpose; `code` and `name` live on the class's prototype. */
export class CodedError extends Error {
  declare readonly code: string
}

/** An error that can end an admission request: the HTTP status and the Kubernetes reason with it. */
export class WebhookError extends CodedError {
  declare readonly statusCode: number
  declare readonly reason: KubernetesReason
}

export interface ErrorSpec {
  /** Stable, `WH_ERR_` and the name in upper snake case without `Error`. */
  readonly code: string
  /** The class's name, also the instances' `name`. */
  readonly name: string
}

export interface WebhookErrorSpec extends ErrorSpec {
  readonly statusCode: number
  readonly reason: KubernetesReason
}

/** A class made by createError: `new X(message, { cause })`; `X.code` without an instance. */
export type ErrorClass<E extends CodedError> = (new (message: string, options?: ErrorOptions) => E) & { readonly prototype: E; readonly code: string }

/**
 * Makes one error class of the catalogue: a webhook error when the spec has a status and reason,
 * else a plain coded error; `base`, a class made here, for a narrower kind of an existing error.
 * The fields are the instance's own (loggers serialize them), the code is on the class too.
 */
export function createError(spec: WebhookErrorSpec): ErrorClass<WebhookError>
export function createError<E extends CodedError = CodedError>(spec: ErrorSpec, base?: ErrorClass<E>): ErrorClass<E>
export function createError(spec: ErrorSpec & Partial<WebhookErrorSpec>, base?: ErrorClass<CodedError>): ErrorClass<CodedError> {
  const Base = base ?? (spec.statusCode === undefined ? CodedError : WebhookError)
  const fields = { ...spec }
  const Coded = class extends Base {
    constructor(message: string, options?: ErrorOptions) {
      super(message, options)
      Object.assign(this, fields)
    }
  }
  Object.defineProperties(Coded, { name: { value: spec.name }, code: { value: spec.code } })
  return Coded as unknown as ErrorClass<CodedError>
}

// Webhook errors: how a request ends when it cannot be decided.

/** The body is not an AdmissionReview this webhook can answer: no usable request.uid, version, kind. */
export const BadReviewError = createError({ code: 'WH_ERR_BAD_REVIEW', name: 'BadReviewError', statusCode: 400, reason: 'BadRequest' })
export type BadReviewError = InstanceType<typeof BadReviewError>

/** The HTTP request itself is unusable: content type, JSON syntax, nesting depth. */
export const BadRequestError = createError({ code: 'WH_ERR_BAD_REQUEST', name: 'BadRequestError', statusCode: 400, reason: 'BadRequest' })
export type BadRequestError = InstanceType<typeof BadRequestError>

/** The review is well formed but its object cannot be fully evaluated; answered allowed=false. */
export const UnevaluableObjectError = createError({ code: 'WH_ERR_UNEVALUABLE_OBJECT', name: 'UnevaluableObjectError', statusCode: 400, reason: 'BadRequest' })
export type UnevaluableObjectError = InstanceType<typeof UnevaluableObjectError>

/**
 * The request's deadline (the API server's `?timeout=`, less a margin) passed while deciding: work
 * stops at the next checkpoint and the answer is allowed=false. The API server has given up by then.
 */
export const DeadlineExceededError = createError({ code: 'WH_ERR_DEADLINE_EXCEEDED', name: 'DeadlineExceededError', statusCode: 504, reason: 'Timeout' })
export type DeadlineExceededError = InstanceType<typeof DeadlineExceededError>

/** Anything else thrown while deciding; answered allowed=false with the uid. */
export const InternalError = createError({ code: 'WH_ERR_INTERNAL', name: 'InternalError', statusCode: 500, reason: 'InternalError' })
export type InternalError = InstanceType<typeof InternalError>

// Errors of the commands around the webhook: each ends a command (exit 2) or refuses a file.

/** A policy that cannot be used; `problems` are `path: what is wrong`, in document order. */
export class PolicyError extends createError({ code: 'WH_ERR_POLICY', name: 'PolicyError' }) {
  constructor(readonly source: string, readonly problems: readonly string[]) {
    super(`${source}: invalid policy:\n${problems.map((p) => `  ${p}`).join('\n')}`)
  }
}

/** TLS files that cannot serve: unreadable, not PEM, a key that does not match, expired. */
export const TlsMaterialError = createError({ code: 'WH_ERR_TLS_MATERIAL', name: 'TlsMaterialError' })
export type TlsMaterialError = InstanceType<typeof TlsMaterialError>

/** Content that parsed but was refused for now (content-poller.ts: a certificate outside its validity window). */
export const RefusedContentError = createError({ code: 'WH_ERR_REFUSED_CONTENT', name: 'RefusedContentError' })
export type RefusedContentError = InstanceType<typeof RefusedContentError>

/** `certs` options or files that cannot make a self-managed certificate set. */
export const CertsError = createError({ code: 'WH_ERR_CERTS', name: 'CertsError' })
export type CertsError = InstanceType<typeof CertsError>

/** The cluster could not be asked, or refused: exit 2 with this one-line message. */
export class ClusterError extends createError({ code: 'WH_ERR_CLUSTER', name: 'ClusterError' }) {
  constructor(message: string, readonly status?: number) {
    super(message)
  }
}

/** The command line was wrong: printed with a pointer to the command's --help, exit 2. */
export class UsageError extends createError({ code: 'WH_ERR_USAGE', name: 'UsageError' }) {
  /** The command whose --help the message points at; undefined for the top level. */
  readonly command: string | undefined
  constructor(message: string, command?: string) {
    super(message)
    this.command = command
  }
}

/**
 * A construct of schemas/policy.schema.json that the policy CRD translator (policy/crd-schema.ts) has
 * no structural form for: `npm run generate:crds` fails until the translator follows the schema.
 */
export const UntranslatableSchemaError = createError({ code: 'WH_ERR_UNTRANSLATABLE_SCHEMA', name: 'UntranslatableSchemaError' })
export type UntranslatableSchemaError = InstanceType<typeof UntranslatableSchemaError>

/** Every class in the catalogue. */
export const ERROR_CLASSES: readonly { readonly name: string; readonly code: string; readonly prototype: CodedError }[] = [
  BadReviewError, BadRequestError, UnevaluableObjectError, DeadlineExceededError, InternalError,
  PolicyError, TlsMaterialError, RefusedContentError, CertsError, ClusterError, UsageError,
  UntranslatableSchemaError,
]
