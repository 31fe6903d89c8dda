// Policy objects as the API server returns them (EphemeralContainerPolicy, DebugPolicy) to what is
// served (docs/design/policies-and-grants.md §2, §6): a valid spec is served; an invalid one is
// replaced by its status.lastGood when that copy is valid and its hash matches; an object never valid
// is not served. Webhook replicas, the controller and audit all go through here, so they agree.
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { parse } from 'yaml'
import type { JsonObject } from '../kube/types.js'
import { COMPILE_SLICE_MS, DEFAULT_POLICY_FILE, validatePolicyObjectSteps } from './load.js'
import { runSteps, type Steps } from './compile.js'
import { combinePolicies, compileClusterPolicy, compileClusterPolicySteps, compileDebugPolicySteps, specHash, type PolicySet, type ServedPolicy } from './policy-set.js'
import type { DebugPolicyDocument, PolicyDocument, PolicyKind } from './types.js'

export const POLICY_GROUP = 'ephemeral-guard.dev'
export const POLICY_VERSION = 'v1alpha1'

/** What one object is, what is wrong with it, and what of it is served. */
export interface PolicyObjectState {
  readonly kind: PolicyKind
  readonly name: string
  readonly namespace?: string
  readonly uid: string
  readonly generation: number
  /** specHash of the object's current spec. */
  readonly hash: string
  /** Every problem of the current spec, as `policy check` words them; [] when valid. */
  readonly problems: readonly string[]
  /** 'spec': the current spec; 'lastGood': status.lastGood (the spec is invalid); 'none': nothing. */
  readonly servedFrom: 'spec' | 'lastGood' | 'none'
  /** The compiled policy served, unless servedFrom is 'none'. */
  readonly served?: ServedPolicy
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The object with `spec` replaced, for judging a last good copy the same way as the spec. */
const withSpec = (obj: JsonObject, spec: unknown): JsonObject => ({ ...obj, spec: spec as JsonObject })

function compileServedSteps(kind: PolicyKind, obj: JsonObject, namespace: string | undefined, createdAt: string, hash: string, ajv: Ajv2020): Steps<ServedPolicy> {
  return kind === 'DebugPolicy'
    ? compileDebugPolicySteps(obj as unknown as DebugPolicyDocument, namespace ?? '', createdAt, ajv, hash)
    : compileClusterPolicySteps(obj as unknown as PolicyDocument, createdAt, ajv, hash)
}

/**
 * Compiles policy objects, keeping each compiled spec until its object or content goes: an informer
 * event recompiles only what changed. Not shared between threads; one per consumer.
 */
export class PolicyObjects {
  private cache = new Map<string, ServedPolicy>()
  /**
   * The state of each object judged, by identity: an informer keeps an object until it changes and
   * then replaces it, so an object seen before is neither validated nor compiled again.
   */
  private readonly judged = new WeakMap<JsonObject, { state: PolicyObjectState; key?: string }>()

  constructor(private readonly ajv: Ajv2020) {}

  /** One object's state; compiles its spec (or its last good copy) unless already compiled. */
  state(obj: JsonObject, used: Map<string, ServedPolicy> = new Map()): PolicyObjectState {
    return runSteps(this.stateSteps(obj, used))
  }

  /** state(), yielding between units of work (a custom schema's compile, a rule's compile). */
  *stateSteps(obj: JsonObject, used: Map<string, ServedPolicy>): Steps<PolicyObjectState> {
    const seen = this.judged.get(obj)
    if (seen !== undefined) {
      if (seen.key !== undefined) used.set(seen.key, seen.state.served!)
      return seen.state
    }
    const state = yield* this.judge(obj, used)
    this.judged.set(obj, { state, ...(state.served === undefined ? {} : { key: `${state.uid}@${state.served.ref.hash}` }) })
    return state
  }

  private *judge(obj: JsonObject, used: Map<string, ServedPolicy>): Steps<PolicyObjectState> {
    const meta = isObject(obj['metadata']) ? obj['metadata'] : {}
    const name = typeof meta['name'] === 'string' ? meta['name'] : ''
    const namespace = typeof meta['namespace'] === 'string' ? meta['namespace'] : undefined
    const uid = typeof meta['uid'] === 'string' ? meta['uid'] : `${namespace ?? ''}/${name}`
    const generation = typeof meta['generation'] === 'number' ? meta['generation'] : 0
    const createdAt = typeof meta['creationTimestamp'] === 'string' ? meta['creationTimestamp'] : ''
    const { kind, problems } = yield* validatePolicyObjectSteps(obj)
    const hash = specHash(obj['spec'] ?? null)
    const base = { kind, name, ...(namespace === undefined ? {} : { namespace }), uid, generation, hash, problems }
    const that = this
    function* compiled(spec: JsonObject, specHashValue: string): Steps<ServedPolicy> {
      const key = `${uid}@${specHashValue}`
      const hit = that.cache.get(key) ?? (yield* compileServedSteps(kind, withSpec(obj, spec), namespace, createdAt, specHashValue, that.ajv))
      used.set(key, hit)
      return hit
    }
    if (problems.length === 0) return { ...base, servedFrom: 'spec', served: yield* compiled(obj['spec'] as JsonObject, hash) }
    const lastGood = isObject(obj['status']) ? obj['status']['lastGood'] : undefined
    if (isObject(lastGood) && isObject(lastGood['spec']) && lastGood['hash'] === specHash(lastGood['spec'])) {
      const copy = withSpec(obj, lastGood['spec'])
      if ((yield* validatePolicyObjectSteps(copy)).problems.length === 0) return { ...base, servedFrom: 'lastGood', served: yield* compiled(lastGood['spec'], lastGood['hash']) }
    }
    return { ...base, servedFrom: 'none' }
  }

  /**
   * Every object's state and the policy set they make together; `fallback` is in force when no cluster
   * policy is servable. Compiled specs of objects no longer listed are dropped.
   */
  combine(objects: readonly JsonObject[], fallback: ServedPolicy): { set: PolicySet; states: PolicyObjectState[] } {
    const used = new Map<string, ServedPolicy>()
    return this.combined(objects.map((o) => this.state(o, used)), used, fallback)
  }

  /**
   * combine(), awaiting `pause()` whenever about COMPILE_SLICE_MS of validation and compile have run
   * (and after each object), so neither a long list nor one big policy holds the event loop.
   */
  async combineAsync(objects: readonly JsonObject[], fallback: ServedPolicy, pause: () => Promise<void>, sliceMs = COMPILE_SLICE_MS): Promise<{ set: PolicySet; states: PolicyObjectState[] }> {
    const used = new Map<string, ServedPolicy>()
    const states: PolicyObjectState[] = []
    for (const o of objects) {
      const steps = this.stateSteps(o, used)
      let sliceStart = performance.now()
      for (;;) {
        const r = steps.next()
        if (r.done === true) {
          states.push(r.value)
          break
        }
        if (performance.now() - sliceStart >= sliceMs) {
          await pause()
          sliceStart = performance.now()
        }
      }
      await pause()
    }
    return this.combined(states, used, fallback)
  }

  private combined(states: PolicyObjectState[], used: Map<string, ServedPolicy>, fallback: ServedPolicy): { set: PolicySet; states: PolicyObjectState[] } {
    this.cache = used
    const served = (kind: PolicyKind) => states.filter((s) => s.kind === kind && s.served !== undefined).map((s) => s.served!)
    return { set: combinePolicies(served('EphemeralContainerPolicy'), served('DebugPolicy'), fallback), states }
  }
}

/** The built-in default (policies/default.yaml) as a served cluster policy: in force when no cluster policy is. */
export function defaultServedPolicy(ajv: Ajv2020): ServedPolicy {
  return compileClusterPolicy(parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8')) as PolicyDocument, '', ajv)
}
