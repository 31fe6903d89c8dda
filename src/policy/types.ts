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
    mutations?: MutationsDocument
    limits?: LimitsDocument
  }
}

/** spec.limits: bounds on the work of one request. */
export interface LimitsDocument {
  /** New ephemeral containers judged per request; more are denied under rule max-new-containers. */
  maxNewContainers?: number
}

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never'
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted'

/** spec.mutations: what the mutating webhook changes in new ephemeral containers. */
export interface MutationsDocument {
  imagePullPolicy?: 'preserve' | { pinned: PullPolicy; unpinned: PullPolicy }
  registryMirrors?: Record<string, string>
  securityContext?: SecurityContextDefaults
  podSecurity?: { fit: boolean; defaultLevel?: PodSecurityLevel }
  provenance?: { enabled: boolean }
}

/** Hardening defaults only (the schema allows no weakening value). */
export interface SecurityContextDefaults {
  runAsNonRoot?: true
  runAsUser?: number
  runAsGroup?: number
  allowPrivilegeEscalation?: false
  privileged?: false
  readOnlyRootFilesystem?: true
  capabilities?: { drop?: string[] }
  seccompProfile?: { type: 'RuntimeDefault' | 'Localhost'; localhostProfile?: string }
}

/** spec.mutations compiled: defaults applied, mirrors normalized. */
export interface Mutations {
  /** undefined: imagePullPolicy is left as sent. */
  readonly pullPolicy?: { readonly pinned: PullPolicy; readonly unpinned: PullPolicy }
  /** Normalized registry (lowercase, docker.io for Docker Hub) to replacement prefix. */
  readonly registryMirrors: ReadonlyMap<string, string>
  readonly securityContext?: SecurityContextDefaults
  /** undefined: no Pod Security fit. */
  readonly podSecurity?: { readonly defaultLevel: PodSecurityLevel }
  readonly provenance: boolean
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
  /** What the mutating webhook changes; absent means the default (pull policy only). */
  readonly mutations?: Mutations
  /** Bounds on one request; absent means the defaults of admission/limits.ts. */
  readonly limits?: { readonly maxNewContainers: number }
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
