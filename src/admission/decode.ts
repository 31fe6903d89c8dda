import type { AdmissionApiVersion, AdmissionRequest } from '../kube/types.js'
import { loadSchema } from '../schemas.js'
import { BadReviewError } from '../errors.js'

export interface DecodedReview {
  readonly apiVersion: AdmissionApiVersion
  readonly request: AdmissionRequest
}

const envelope = loadSchema('admission-review.schema.json')

const where = (instancePath: string): string =>
  instancePath === '' ? 'AdmissionReview' : instancePath.slice(1).replace(/\//g, '.')

/**
 * Narrows a parsed body to an AdmissionReview request this webhook can answer, or throws
 * BadReviewError naming the first field that is wrong. The object itself is not judged here.
 */
export function decodeReview(body: unknown): DecodedReview {
  if (!envelope.validate(body)) {
    const e = envelope.validate.errors?.[0]
    const detail = e?.keyword === 'enum' || e?.keyword === 'const'
      ? `${e.message}: ${JSON.stringify((e.params as { allowedValues?: unknown; allowedValue?: unknown }).allowedValues ?? (e.params as { allowedValue?: unknown }).allowedValue)}`
      : e?.message ?? 'is not valid'
    throw new BadReviewError(`${where(e?.instancePath ?? '')} ${detail}`)
  }
  const review = body as { apiVersion: AdmissionApiVersion; request: AdmissionRequest }
  return { apiVersion: review.apiVersion, request: review.request }
}
