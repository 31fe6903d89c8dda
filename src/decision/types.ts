import type { JsonValue } from '../kube/types.js'
import type { PodView } from './pod-view.js'

// The vocabulary of the decision core: what a request is judged on, what a judgement says, and the
// compiled policy it is judged against. Everything else in src/ speaks it; it imports only the wire
// types below it.

/** field.ErrorType of k8s.io/apimachinery/pkg/util/validation/field, as far as ephemeral-guard reports them. */
export type FieldErrorType = 'Required' | 'Forbidden' | 'Invalid' | 'NotSupported' | 'Duplicate' | 'NotFound' | 'TooLong'

/** Where a violation comes from: Kubernetes' own validation (HTTP 422) or the organisation's policy (403). */
export type Origin = 'kubernetes' | 'policy'

/** What a violation does: deny, warn the requester, or only annotate the API audit log. */
export type Mode = 'enforce' | 'warn' | 'audit'

export interface Violation {
  readonly origin: Origin
  /** Check id for Kubernetes restrictions, rule name for policy. */
  readonly rule: string
  /** Field path in Kubernetes' notation, e.g. spec.ephemeralContainers[1].ports; '' for the whole pod. */
  readonly field: string
  readonly type: FieldErrorType
  /** The offending value, shown for Invalid, NotSupported, Duplicate and NotFound as Kubernetes does. */
  readonly value?: JsonValue
  /**
   * The value exactly as Kubernetes prints it, when that is not Go's %q (strings) or %v (numbers,
   * booleans) of `value`: field.Error encodes other values with encoding/json (named string types such
   * as MountPropagationMode, pointers, whole structs), which escapes <, > and & and writes structs with
   * their Go field names. Messages print this instead of `value`.
   */
  readonly shown?: string
  readonly detail?: string
  /** Index in object's ephemeralContainers, -1 for pod-level violations; orders the message. */
  readonly containerIndex: number
}

/**
 * A violation with the mode of the check that found it. Decisions are made from these, rule by rule:
 * a violation never loses its mode, and never its effect, because another rule reports on its field.
 */
export interface ModedViolation extends Violation {
  readonly mode: Mode
}

/** An ephemeral container present in object but not (by name) in oldObject. */
export interface AddedContainer {
  /** Position in object's ephemeralContainers: field paths and patch paths use it. */
  readonly index: number
  /** The entry exactly as received; the schemas narrow it. */
  readonly value: JsonValue
}

export interface CheckInput {
  readonly pod: PodView
  readonly oldPod: PodView
  readonly added: readonly AddedContainer[]
  /** Existing ephemeral containers that object drops or alters, by name, in oldObject's order. */
  readonly removed: readonly string[]
  readonly changed: readonly string[]
  readonly requester: Requester
  /** The time of the admission request (the handler's clock); absent when audit judges admitted containers. */
  readonly now?: Date
}

/** Who asks, where: what rules match on besides the pod. */
export interface Requester {
  readonly namespace: string
  readonly username: string
  readonly groups: readonly string[]
  readonly dryRun: boolean
}

/** A check is a pure function: no I/O, no clock, no logging. It returns every violation it finds. */
export interface Check {
  readonly id: string
  readonly origin: Origin
  /** Kubernetes' restrictions always enforce; policy rules may warn or audit instead. */
  readonly mode: Mode
  readonly run: (input: CheckInput) => readonly Violation[]
}

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never'
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted'

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
  /** false: provenance leaves out EPHEMERAL_GUARD_REQUESTED_GROUPS (provenance.groups: false); absent: recorded. */
  readonly provenanceGroups?: false
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
  /** Bounds on one request; absent means the defaults of limits.ts. */
  readonly limits?: { readonly maxNewContainers: number }
  /**
   * `name@hash` of each policy in force in a namespace, comma-separated (several policy objects,
   * src/policy/policy-set.ts); absent for one policy, which is `name@hash` itself.
   */
  readonly inForce?: (namespace: string) => string
}

/** Which webhook answers: validate judges, mutate patches (and only warns). */
export type Webhook = 'validate' | 'mutate'

export type Outcome = 'allowed' | 'denied' | 'patched' | 'skipped' | 'exempt' | 'errored'

/** A rule (check id or policy rule name) a decision found violated, with the mode that rule runs in. */
export interface RuleHit {
  readonly rule: string
  readonly mode: Mode
}

/** What a decision was, for logs and metrics; never holds the object. */
export interface DecisionSummary {
  readonly outcome: Outcome
  /** Rules violated, in message order, each once. */
  readonly rules: readonly RuleHit[]
  /** Why a request was skipped, exempt or errored. */
  readonly note?: string
}

/**
 * What a decision may use besides the review and the policy. Every member is optional: a decision
 * that needs one that is missing says so rather than guessing.
 */
export interface DecisionContext {
  /** Labels of a namespace, from a cache; undefined when unknown. */
  readonly namespaceLabels?: (namespace: string) => Readonly<Record<string, string>> | undefined
  /** The clock, for provenance timestamps and the deadline. */
  readonly now?: () => Date
  /**
   * When the answer is due, in milliseconds of that clock (server/app.ts: the API server's
   * `?timeout=` less a margin). Checked between steps, before Kubernetes' checks and before each
   * policy check; once passed, work stops and the request is refused with a DeadlineExceededError.
   * Undefined: no deadline.
   */
  readonly deadline?: number
}
