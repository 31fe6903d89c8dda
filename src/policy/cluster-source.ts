// The policy `serve --cluster-policies` serves: the cluster's policy objects (two informers,
// src/cluster/policy-informer.ts) combined into one Policy (docs/design/policies-and-grants.md §2, §6).
// Every change of either list schedules one combine; changes that arrive during a combine are taken by
// the next one, so a burst (the first list, a kubectl apply of many objects) costs one or two combines,
// never one per event. The combine awaits a turn of the event loop after each object, so requests are
// answered meanwhile, with the set in force before. A request reads current() once.
//
// Until both lists have arrived and been combined the replica is not ready (/readyz) and the policy
// refuses every new container: a replica that does not know the cluster's policies must not admit by a
// policy it has not read (the validating webhook fails closed; the Service sends no traffic to a
// replica that is not ready anyway).
import { performance } from 'node:perf_hooks'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import type { Logger } from 'pino'
import type { WatchedObjectsStatus } from '../cluster/policy-informer.js'
import { clip } from '../decision/limits.js'
import type { Check, Policy } from '../decision/types.js'
import type { JsonObject } from '../kube/types.js'
import { PolicyObjects, type PolicyObjectState } from './policy-objects.js'
import { POLICY_LIST_MAX_BYTES, sourceOf, type PolicyRef, type PolicySet, type ServedPolicy } from './policy-set.js'
import type { PolicyKind } from './types.js'

/** What the source needs of one informer (src/cluster/policy-informer.ts WatchedObjects). */
export interface ObjectList {
  readonly resource: string
  readonly synced: boolean
  list(): JsonObject[]
  onChange(listener: () => void): void
  status(): WatchedObjectsStatus
}

/** A policy in force, as /readyz shows it. */
export interface InForceEntry {
  readonly kind: PolicyKind
  readonly namespace?: string
  readonly name: string
  readonly hash: string
  /** 'spec', 'lastGood' (the spec is invalid), or 'built-in' (the default: no cluster policy is servable). */
  readonly servedFrom: 'spec' | 'lastGood' | 'built-in'
  /** For 'lastGood': what is wrong with the current spec (clipped). */
  readonly problems?: readonly string[]
}

/** A policy object not served, and why. */
export interface NotServedEntry {
  readonly kind: PolicyKind
  readonly namespace?: string
  readonly name: string
  readonly hash: string
  /** Invalid: never valid (no usable last good copy); ConflictingMutations: an older policy defines spec.mutations. */
  readonly reason: 'Invalid' | 'ConflictingMutations'
  readonly problems: readonly string[]
}

/** A cluster policy that defines spec.mutations and is servable: a later one that also does is refused. */
export interface MutationsHolder {
  readonly name: string
  readonly uid: string
  readonly createdAt: string
}

/** The result of one combine, for metrics and logs. */
export interface CombineEvent {
  readonly inForce: readonly InForceEntry[]
  readonly notServed: readonly NotServedEntry[]
  readonly objects: number
  readonly combineMs: number
}

export interface ClusterPolicySourceOptions {
  readonly clusterPolicies: ObjectList
  readonly debugPolicies: ObjectList
  readonly ajv: Ajv2020
  /** In force when no cluster policy is servable: defaultServedPolicy(ajv). */
  readonly fallback: ServedPolicy
  readonly logger: Logger
  /** Awaited between objects during a combine; default: one turn of the event loop (setImmediate). */
  readonly pause?: () => Promise<void>
}

/** Problems listed per object in /readyz, and bytes per problem; the rest are counted. */
export const STATUS_PROBLEMS_MAX = 20
export const STATUS_PROBLEM_MAX_BYTES = 512
/** Objects listed as not served in /readyz; the rest are counted. */
export const STATUS_NOT_SERVED_MAX = 50

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Problems for /readyz: the first STATUS_PROBLEMS_MAX, each clipped, then `and N more`. */
export function clippedProblems(problems: readonly string[]): string[] {
  const listed = problems.slice(0, STATUS_PROBLEMS_MAX).map((p) => clip(p, STATUS_PROBLEM_MAX_BYTES))
  return problems.length > STATUS_PROBLEMS_MAX ? [...listed, `and ${problems.length - STATUS_PROBLEMS_MAX} more`] : listed
}

const refKey = (r: { kind: string; namespace?: string | undefined; name: string }): string => `${r.kind}/${r.namespace ?? ''}/${r.name}`

const where = (r: { namespace?: string | undefined }): { namespace?: string } => (r.namespace === undefined ? {} : { namespace: r.namespace })

/** `name@hash,…` of every policy in force (DebugPolicy objects as namespace/name@hash), clipped at 1 KiB. */
export const setLabel = (inForce: readonly PolicyRef[]): string => clip(inForce.map((r) => `${sourceOf(r)}@${r.hash}`).join(','), POLICY_LIST_MAX_BYTES)

/** The rule that refuses every new container while the cluster's policies are not known yet. */
export const NOT_SYNCED_RULE = 'cluster-policies-not-synced'
const notSyncedCheck: Check = {
  id: NOT_SYNCED_RULE,
  origin: 'policy',
  mode: 'enforce',
  run: (input) => (input.added.length === 0 ? [] : [{
    origin: 'policy',
    rule: NOT_SYNCED_RULE,
    field: 'spec.ephemeralContainers',
    type: 'Forbidden',
    detail: "ephemeral-guard has not yet read the cluster's policies (see /readyz); try again",
    containerIndex: -1,
  }]),
}

/** The in-force and not-served entries of one combine. */
function describe(set: PolicySet, states: readonly PolicyObjectState[], fallback: ServedPolicy): { inForce: InForceEntry[]; notServed: NotServedEntry[] } {
  const byRef = new Map(states.map((s) => [refKey(s), s]))
  const inForce = set.inForce.map((ref): InForceEntry => {
    const s = byRef.get(refKey(ref))
    if (s === undefined || ref === fallback.ref) return { kind: ref.kind, ...where(ref), name: ref.name, hash: ref.hash, servedFrom: 'built-in' }
    const from = s.servedFrom === 'lastGood' ? 'lastGood' : 'spec'
    return { kind: ref.kind, ...where(ref), name: ref.name, hash: ref.hash, servedFrom: from, ...(from === 'lastGood' ? { problems: clippedProblems(s.problems) } : {}) }
  })
  const conflicting = new Set(set.conflicting.map(refKey))
  const notServed: NotServedEntry[] = []
  for (const s of states) {
    if (s.servedFrom === 'none') notServed.push({ kind: s.kind, ...where(s), name: s.name, hash: s.hash, reason: 'Invalid', problems: clippedProblems(s.problems) })
    else if (conflicting.has(refKey(s))) notServed.push({ kind: s.kind, name: s.name, hash: s.hash, reason: 'ConflictingMutations', problems: ['spec.mutations: another EphemeralContainerPolicy, older, defines spec.mutations; at most one may'] })
  }
  const order = (a: NotServedEntry, b: NotServedEntry): number => (refKey(a) < refKey(b) ? -1 : refKey(a) > refKey(b) ? 1 : 0)
  return { inForce, notServed: notServed.sort(order) }
}

export class ClusterPolicySource {
  readonly #o: ClusterPolicySourceOptions
  readonly #objects: PolicyObjects
  readonly #pause: () => Promise<void>
  readonly #listeners: Array<(e: CombineEvent) => void> = []
  readonly #failureListeners: Array<(err: unknown) => void> = []
  #current: { policy: Policy; label: string }
  #ready = false
  #combining = false
  #again = false
  #last: (CombineEvent & { at: string }) | undefined
  #holders: readonly MutationsHolder[] = []
  #firstCombine: Promise<void>
  #resolveFirst!: () => void

  constructor(o: ClusterPolicySourceOptions) {
    this.#o = o
    this.#objects = new PolicyObjects(o.ajv)
    this.#pause = o.pause ?? nextTurn
    this.#firstCombine = new Promise((resolve) => { this.#resolveFirst = resolve })
    const { policy } = new PolicyObjects(o.ajv).combine([], o.fallback).set
    this.#current = { policy: Object.freeze({ ...policy, checks: Object.freeze([...policy.checks, notSyncedCheck]) }), label: NOT_SYNCED_RULE }
    o.clusterPolicies.onChange(() => this.#schedule())
    o.debugPolicies.onChange(() => this.#schedule())
  }

  /** The policy in force; read once per request. */
  readonly current = (): Policy => this.#current.policy

  /** `name@hash,…` of the policies in force, computed once per combine (the decision log line names them). */
  readonly label = (policy: Policy): string => (policy === this.#current.policy ? this.#current.label : `${policy.name}@${policy.hash}`)

  /** Both lists have arrived and been combined. */
  readonly ready = (): boolean => this.#ready

  /** Resolves at the first combine, or after `ms`, whichever is first; true if ready. */
  async waitForReady(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.#firstCombine, new Promise<void>((resolve) => { timer = setTimeout(resolve, ms) })])
    clearTimeout(timer)
    return this.#ready
  }

  /** Called after every combine. */
  onCombine(listener: (e: CombineEvent) => void): void {
    this.#listeners.push(listener)
  }

  /** Called when a combine fails (a bug: the set in force before stays). */
  onCombineFailure(listener: (err: unknown) => void): void {
    this.#failureListeners.push(listener)
  }

  /** The servable cluster policies that define spec.mutations (as of the last combine). */
  mutationsHolders(): readonly MutationsHolder[] {
    return this.#holders
  }

  /** For /readyz: whether it is ready, both informers' state, what is in force and what is not served. */
  status(): Record<string, unknown> {
    const informers = Object.fromEntries([this.#o.clusterPolicies, this.#o.debugPolicies].map((l) => [l.resource, l.status()]))
    if (this.#last === undefined) return { source: 'cluster', ready: false, informers }
    const { inForce, notServed, objects, combineMs, at } = this.#last
    const listed = notServed.slice(0, STATUS_NOT_SERVED_MAX)
    return {
      source: 'cluster',
      ready: this.#ready,
      hash: this.#current.policy.hash,
      combinedAt: at,
      combineMs,
      objects,
      inForce: inForce.map((e) => ({ ...e, policy: `${e.kind}/${e.namespace === undefined ? '' : `${e.namespace}/`}${e.name}@${e.hash}` })),
      notServed: listed,
      ...(notServed.length > listed.length ? { notServedMore: notServed.length - listed.length } : {}),
      informers,
    }
  }

  #schedule(): void {
    if (!this.#o.clusterPolicies.synced || !this.#o.debugPolicies.synced) return
    if (this.#combining) {
      this.#again = true
      return
    }
    this.#combining = true
    void this.#run()
  }

  async #run(): Promise<void> {
    do {
      this.#again = false
      try {
        await this.#combineOnce()
      } catch (err) {
        // Never expected (objects are validated before they are compiled): the set in force stays.
        this.#o.logger.error({ err }, 'combining the cluster policies failed; the policies in force before stay')
        for (const l of this.#failureListeners) l(err)
      }
    } while (this.#again)
    this.#combining = false
  }

  async #combineOnce(): Promise<void> {
    // Let the rest of a burst of events arrive first: they are all in this combine.
    await this.#pause()
    const started = performance.now()
    const objects = [...this.#o.clusterPolicies.list(), ...this.#o.debugPolicies.list()]
    const { set, states } = await this.#objects.combineAsync(objects, this.#o.fallback, this.#pause)
    const combineMs = Math.round(performance.now() - started)
    const { inForce, notServed } = describe(set, states, this.#o.fallback)
    const conflicting = new Set(set.conflicting.map(refKey))
    this.#holders = states
      .filter((s) => s.kind === 'EphemeralContainerPolicy' && s.served?.mutations !== undefined && !conflicting.has(refKey(s)))
      .map((s) => ({ name: s.name, uid: s.uid, createdAt: s.served!.createdAt }))
    this.#current = { policy: set.policy, label: setLabel(set.inForce) }
    const event: CombineEvent = { inForce, notServed, objects: objects.length, combineMs }
    this.#last = { ...event, at: new Date().toISOString() }
    const first = !this.#ready
    this.#ready = true
    this.#o.logger.info({
      policies: this.#current.label,
      hash: set.policy.hash,
      notServed: notServed.map((e) => `${e.kind}/${e.namespace === undefined ? '' : `${e.namespace}/`}${e.name}: ${e.reason}`),
      objects: objects.length,
      combineMs,
    }, first ? 'cluster policies in force' : 'cluster policies changed')
    if (first) this.#resolveFirst()
    for (const l of this.#listeners) l(event)
  }
}
