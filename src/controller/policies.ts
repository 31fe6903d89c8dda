// The policy objects as listed and watched, to what the controller acts on: the policy set in force
// (exactly as webhook replicas combine it, through PolicyObjects.combine), each object's desired
// status, and the policy audit judges with. The status writes themselves go through StatusIo, and only
// while this process leads.
import type { Ajv2020 } from 'ajv/dist/2020.js'
import type { JsonObject, JsonValue } from '../kube/types.js'
import type { AuditPolicy } from '../audit/evaluate.js'
import { identityRules } from '../audit/identity.js'
import { documentsInForce } from '../policy/in-force.js'
import { PolicyObjects, type PolicyObjectState } from '../policy/policy-objects.js'
import { sourceOf, type PolicyRef, type PolicySet, type ServedPolicy } from '../policy/policy-set.js'
import { canonical, conflictsOf, desiredStatus, statusDiffers } from './status.js'
import type { ControllerMetrics } from './metrics.js'

/** Writes one object's status subresource with its resourceVersion. */
export interface StatusIo {
  /**
   * 'conflict': the object changed since it was read (409) or is gone (404); the next sync sees the
   * new one. `stored`: the status as the API server stored it (its schema may prune fields).
   */
  putStatus(obj: JsonObject, status: JsonObject): Promise<{ readonly result: 'written' | 'conflict'; readonly stored?: JsonValue }>
}

export interface Combined {
  readonly set: PolicySet
  readonly states: readonly PolicyObjectState[]
  /** What audit judges with: the set's policy and the rule views of the policies in force. */
  readonly audit: AuditPolicy
  /** Changes exactly when what is served changes (not with status-only writes). */
  readonly key: string
}

const refKey = (ref: PolicyRef): string => `${sourceOf(ref)}@${ref.hash}`

export class PolicyStatusWriter {
  private readonly objects: PolicyObjects
  /**
   * Per object, the last status written and how the API server stored it: when its schema prunes a
   * field, the stored status never equals the desired one, and without this every sync would write
   * it again (an update loop). Bounded by the number of policy objects.
   */
  private written = new Map<string, { desired: string; stored: string }>()

  constructor(ajv: Ajv2020, private readonly fallback: ServedPolicy, private readonly io: StatusIo, private readonly o: {
    readonly now: () => Date
    readonly isLeader: () => boolean
    readonly metrics?: ControllerMetrics
    readonly onError?: (e: Error, obj: JsonObject) => void
  }) {
    this.objects = new PolicyObjects(ajv)
  }

  combine(list: readonly JsonObject[]): Combined {
    const { set, states } = this.objects.combine(list, this.fallback)
    const served = new Map<string, ServedPolicy>([[refKey(this.fallback.ref), this.fallback]])
    for (const s of states) if (s.served !== undefined) served.set(refKey(s.served.ref), s.served)
    const views = set.inForce.flatMap((ref) => served.get(refKey(ref))?.views ?? [])
    // How each rule uses the requester's identity, from the served documents (exemptions included), as audit does.
    const identity = documentsInForce(list, set, states, this.fallback).flatMap((d) => identityRules(d.spec, d.prefix, d.namespace))
    return { set, states, audit: { policy: set.policy, rules: views, identity }, key: `${set.policy.hash}:${set.inForce.map(refKey).join(',')}` }
  }

  /**
   * Writes the status of every object whose status differs from what it should be, while leading.
   * Returns the combined set (computed whether or not this process leads) and how many were written.
   */
  async sync(list: readonly JsonObject[]): Promise<{ combined: Combined; written: number }> {
    const combined = this.combine(list)
    const conflicts = conflictsOf(combined.states, combined.set.conflicting)
    const now = this.o.now().toISOString().replace(/\.\d+Z$/, 'Z')
    let written = 0
    const seen = new Map<string, { desired: string; stored: string }>()
    for (const [i, obj] of list.entries()) {
      const state = combined.states[i]!
      const desired = desiredStatus(obj, state, state.kind === 'EphemeralContainerPolicy' ? conflicts.get(state.name) : undefined, now)
      const last = this.written.get(state.uid)
      if (last !== undefined) seen.set(state.uid, last)
      if (!statusDiffers(obj, desired)) continue
      if (last !== undefined && last.desired === canonical(desired) && last.stored === canonical(obj['status'] ?? {})) continue
      if (!this.o.isLeader()) break
      try {
        const { result, stored } = await this.io.putStatus(obj, desired)
        this.o.metrics?.statusWrite(result)
        if (result === 'written') {
          written++
          seen.set(state.uid, { desired: canonical(desired), stored: canonical(stored ?? desired) })
        }
      } catch (e) {
        this.o.metrics?.statusWrite('failed')
        this.o.onError?.(e as Error, obj)
      }
    }
    this.written = seen
    return { combined, written }
  }
}
