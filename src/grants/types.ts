// The two grant kinds as the webhook and the CLI read them (schemas/grant.schema.json), and the one
// reader that narrows an object to them: schema first, then what a schema cannot say (one of names or
// selector, a duration that parses, selector values as Kubernetes requires them).
import { parseDuration } from '../duration.js'
import { parseImagePattern } from '../image/pattern.js'
import type { ParseResult } from '../errors.js'
import type { JsonValue } from '../kube/types.js'
import { compileSelector, selectorErrors, type LabelSelector } from '../kube/label-selector.js'
import { loadSchema } from '../schemas.js'

export const GRANT_GROUP = 'ephemeral-guard.dev'
export const GRANT_VERSION = 'v1alpha1'
export const GRANT_API_VERSION = `${GRANT_GROUP}/${GRANT_VERSION}`
export const GRANT_RESOURCE = 'debuggrants'
export const APPROVAL_RESOURCE = 'debuggrantapprovals'
/** The custom verb an approver must hold on the grant (as `approve` on signers for CertificateSigningRequests). */
export const APPROVE_VERB = 'approve'

export type { LabelSelector }

export interface GrantMetadata {
  readonly name: string
  readonly namespace?: string
  /** Set by the API server; bumped by every change of the spec. */
  readonly generation?: number
  /** Set by the API server; a grant deleted and created again under its name has a new one. */
  readonly uid?: string
  /** Set by the API server, RFC 3339: not forgeable by the client. */
  readonly creationTimestamp?: string
}

export interface GrantSpec {
  readonly subjects: { readonly users?: readonly string[]; readonly groups?: readonly string[] }
  readonly pods: { readonly names?: readonly string[]; readonly selector?: LabelSelector; readonly containers?: readonly string[] }
  readonly profile?: { readonly images?: readonly string[]; readonly capabilities?: readonly string[]; readonly privileged?: boolean }
  readonly reason: string
  readonly duration: string
  readonly revoked?: boolean
  readonly requestedBy?: string
}

export interface DebugGrant {
  readonly apiVersion: string
  readonly kind: 'DebugGrant'
  readonly metadata: GrantMetadata
  readonly spec: GrantSpec
}

export interface DebugGrantApproval {
  readonly apiVersion: string
  readonly kind: 'DebugGrantApproval'
  readonly metadata: GrantMetadata
  readonly spec: { readonly grant: string; readonly grantUID: string; readonly generation: number; readonly approver?: string }
}

let schema: ReturnType<typeof loadSchema> | undefined
const validator = (): ReturnType<typeof loadSchema>['validate'] => (schema ??= loadSchema('grant.schema.json')).validate

/** `spec.pods.names: must be …`, from an Ajv error. */
const where = (instancePath: string): string => (instancePath === '' ? '(object)' : instancePath.slice(1).replace(/\//g, '.'))

/** What the schema cannot say about a grant's spec, each as `path: what is wrong`. */
export function grantSpecProblems(spec: GrantSpec): string[] {
  const problems: string[] = []
  const byName = spec.pods.names !== undefined
  const bySelector = spec.pods.selector !== undefined
  if (byName === bySelector) problems.push('spec.pods: exactly one of names and selector must be set')
  if (byName && spec.pods.names!.length === 0) problems.push('spec.pods.names: must name at least one pod')
  if ((spec.subjects.users?.length ?? 0) + (spec.subjects.groups?.length ?? 0) === 0) problems.push('spec.subjects: must name at least one user or group')
  const d = parseDuration(spec.duration)
  if (!d.ok) problems.push(`spec.duration: ${d.error}`)
  else if (d.value <= 0) problems.push('spec.duration: must be more than 0')
  for (const [i, p] of (spec.profile?.images ?? []).entries()) {
    const pattern = parseImagePattern(p)
    if (!pattern.ok) problems.push(`spec.profile.images[${i}]: ${pattern.error}`)
  }
  if (spec.pods.selector !== undefined) problems.push(...selectorErrors(spec.pods.selector, 'spec.pods.selector'))
  return problems
}

/** The object as a grant or an approval, or every problem found (schema, then semantics). */
export function readGrantObject(obj: JsonValue | undefined): ParseResult<DebugGrant | DebugGrantApproval> {
  const validate = validator()
  if (!validate(obj)) {
    const errors = (validate.errors ?? []).map((e) => `${where(e.instancePath)}: ${e.message ?? 'is not valid'}`)
    return { ok: false, error: [...new Set(errors)].join('; ') }
  }
  const o = obj as unknown as DebugGrant | DebugGrantApproval
  if (o.kind === 'DebugGrant') {
    const problems = grantSpecProblems(o.spec)
    if (problems.length > 0) return { ok: false, error: problems.join('; ') }
  }
  return { ok: true, value: o }
}

/** The object as a grant, or why not. */
export function readGrant(obj: JsonValue | undefined): ParseResult<DebugGrant> {
  const r = readGrantObject(obj)
  if (r.ok && r.value.kind !== 'DebugGrant') return { ok: false, error: `kind: expected DebugGrant, got ${r.value.kind}` }
  return r as ParseResult<DebugGrant>
}

/** Label selector semantics of Kubernetes (LabelSelectorAsSelector): every pair and requirement holds; empty matches all. */
export const selectorMatches = (selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean => compileSelector(selector)(labels)
