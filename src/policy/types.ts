import type { Mode, PodSecurityLevel, PullPolicy, SecurityContextDefaults } from '../decision/types.js'
import type { LabelSelector } from '../kube/label-selector.js'

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

/**
 * A namespaced policy (schemas/policy.schema.json, $defs/debugPolicy): mode and rules only. Its rules
 * have no match.namespaces or match.excludeNamespaces: they apply only in the policy's namespace.
 */
export interface DebugPolicyDocument { apiVersion: 'ephemeral-guard.dev/v1alpha1'; kind: 'DebugPolicy'; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec: { mode?: Mode; rules?: RuleDocument[] } }

/** The two kinds of policy document. */
export type PolicyKind = PolicyDocument['kind'] | DebugPolicyDocument['kind']

/** spec.limits: bounds on the work of one request. */
export interface LimitsDocument {
  /** New ephemeral containers judged per request; more are denied under rule max-new-containers. */
  maxNewContainers?: number
}


/** spec.mutations: what the mutating webhook changes in new ephemeral containers. */
export interface MutationsDocument {
  imagePullPolicy?: 'preserve' | { pinned: PullPolicy; unpinned: PullPolicy }
  registryMirrors?: Record<string, string>
  securityContext?: SecurityContextDefaults
  podSecurity?: { fit: boolean; defaultLevel?: PodSecurityLevel }
  /** groups: false leaves EPHEMERAL_GUARD_REQUESTED_GROUPS out (group names considered sensitive). */
  provenance?: { enabled: boolean; groups?: boolean }
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
    /** allowPrivilegeEscalation must be set to false (restricted's semantics), not merely not true. */
    requireNoPrivilegeEscalation?: boolean
    allowedCapabilities?: string[]
    requireRunAsNonRoot?: boolean
    requireDropAll?: boolean
  }
  /** The new container passes a Pod Security level (Kubernetes' checks), with named exceptions. */
  podSecurity?: {
    level: 'baseline' | 'restricted'
    version?: string
    exceptions?: { capabilities?: string[]; checks?: string[] }
  }
  subjects?: { users?: string[]; groups?: string[] }
  targets?: {
    requireTarget?: boolean
    denyContainers?: string[]
    denyWhenSharedProcessNamespace?: boolean
    denyPtraceOfPrivileged?: boolean
    denyPtraceWhenHostPID?: boolean
  }
  env?: { forbidSecretRefs?: boolean; require?: Array<{ name: string; pattern?: string }> }
  volumeMounts?: { allow?: string[] }
  maxEphemeralContainers?: number
  schema?: Record<string, unknown> | boolean
}


/** What `policy schema` prints: each rule, its built-in checks (src/checks/policy/) and its custom schema. */
export interface CompiledRuleView {
  readonly rule: string
  readonly mode: Mode
  readonly match?: RuleDocument['match']
  /** One per rule field, in the order they judge: the field's name and what it requires. */
  readonly checks: ReadonlyArray<{ readonly name: string; readonly description: string }>
  readonly customSchema?: Record<string, unknown> | boolean
}
