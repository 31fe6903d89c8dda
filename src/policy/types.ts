import type { Check, Mode, Requester } from '../checks/types.js'
import type { LabelSelector } from './selector.js'

/** The policy file, as schemas/policy.schema.json describes it. */
export interface PolicyDocument {
  apiVersion: 'ephemeral-guard.dev/v1alpha1'
  kind: 'EphemeralContainerPolicy'
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  spec: {
    mode?: Mode
    exemptions?: { namespaces?: string[]; users?: string[]; groups?: string[] }
    rules?: RuleDocument[]
  }
}

export interface RuleDocument {
  name: string
  description?: string
  mode?: Mode
  match?: {
    namespaces?: string[]
    excludeNamespaces?: string[]
    podSelector?: LabelSelector
    users?: string[]
    groups?: string[]
    excludeUsers?: string[]
    excludeGroups?: string[]
  }
  images?: { allow?: string[]; deny?: string[]; requireDigest?: boolean; forbidTags?: string[] }
  securityContext?: {
    allowPrivileged?: boolean
    allowPrivilegeEscalation?: boolean
    allowedCapabilities?: string[]
    requireRunAsNonRoot?: boolean
    requireDropAll?: boolean
  }
  subjects?: { users?: string[]; groups?: string[] }
  targets?: { requireTarget?: boolean; denyContainers?: string[] }
  env?: { forbidSecretRefs?: boolean; require?: Array<{ name: string; pattern?: string }> }
  volumeMounts?: { allow?: string[] }
  maxEphemeralContainers?: number
  schema?: Record<string, unknown> | boolean
}

/** What the webhook enforces: Kubernetes' restrictions, then the organisation's rules. */
export interface Policy {
  readonly name: string
  /** First 12 hex digits of the SHA-256 of the policy file, or of the built-in default. */
  readonly hash: string
  /** Why a request is exempt from all evaluation, or undefined. */
  readonly exemption: (requester: Requester) => string | undefined
  readonly checks: readonly Check[]
}

/** What `policy schema` prints: each rule and the schemas it compiled to. */
export interface CompiledRuleView {
  readonly rule: string
  readonly mode: Mode
  readonly match?: RuleDocument['match']
  readonly containerSchema: Record<string, unknown>
  readonly podChecks: readonly string[]
  readonly customSchema?: Record<string, unknown> | boolean
}
