import type { JsonValue } from '../kube/types.js'
import type { PodView } from '../admission/pod-view.js'

/** field.ErrorType of k8s.io/apimachinery/pkg/util/validation/field, as far as ephemeral-guard reports them. */
export type FieldErrorType = 'Required' | 'Forbidden' | 'Invalid' | 'NotSupported' | 'Duplicate' | 'NotFound'

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
