// What a decision may need from the cluster beyond the review itself (e.g. the namespace's labels).
// serve builds it once at start; review builds it from flags; tests pass their own.
import type { Logger } from 'pino'
import type { AdmitContext } from '../admission/handler.js'

export interface AdmitContextOptions {
  /** Kubeconfig file; without it, the in-cluster service account when running in a pod. */
  readonly kubeconfig?: string
  readonly logger: Logger
}

/** Nothing from the cluster yet: decisions use the review alone. */
export async function createAdmitContext(_options: AdmitContextOptions): Promise<AdmitContext> {
  return {}
}
