// Policy objects as the API server returns them (EphemeralContainerPolicy, DebugPolicy) to what is
// served (docs/design/policies-and-grants.md §2, §6): a valid spec is served; an invalid one is
// replaced by its status.lastGood when that copy is valid and its hash matches; an object never valid
// is not served. Webhook replicas, the controller and audit all go through here, so they agree.
import { readFileSync } from 'node:fs'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { parse } from 'yaml'
import type { JsonObject } from '../kube/types.js'
import { DEFAULT_POLICY_FILE, validatePolicyObject } from './load.js'
import { combinePolicies, compileClusterPolicy, compileDebugPolicy, specHash, type PolicySet, type ServedPolicy } from './policy-set.js'
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

function compileServed(kind: PolicyKind, obj: JsonObject, namespace: string | undefined, createdAt: string, hash: string, ajv: Ajv2020): ServedPolicy {
  return kind === 'DebugPolicy'
    ? compileDebugPolicy(obj as unknown as DebugPolicyDocument, namespace ?? '', createdAt, ajv, hash)
    : compileClusterPolicy(obj as unknown as PolicyDocument, createdAt, ajv, hash)
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
    const seen = this.judged.get(obj)
    if (seen !== undefined) {
      if (seen.key !== undefined) used.set(seen.key, seen.state.served!)
      return seen.state
    }
    const state = this.judge(obj, used)
    this.judged.set(obj, { state, ...(state.served === undefined ? {} : { key: `${state.uid}@${state.served.ref.hash}` }) })
    return state
  }

  private judge(obj: JsonObject, used: Map<string, ServedPolicy>): PolicyObjectState {
    const meta = isObject(obj['metadata']) ? obj['metadata'] : {}
    const name = typeof meta['name'] === 'string' ? meta['name'] : ''
    const namespace = typeof meta['namespace'] === 'string' ? meta['namespace'] : undefined
    const uid = typeof meta['uid'] === 'string' ? meta['uid'] : `${namespace ?? ''}/${name}`
    const generation = typeof meta['generation'] === 'number' ? meta['generation'] : 0
    const createdAt = typeof meta['creationTimestamp'] === 'string' ? meta['creationTimestamp'] : ''
    const { kind, problems } = validatePolicyObject(obj, `${namespace === undefined ? '' : `${namespace}/`}${name}`)
    const hash = specHash(obj['spec'] ?? null)
    const base = { kind, name, ...(namespace === undefined ? {} : { namespace }), uid, generation, hash, problems }
    const compiled = (spec: JsonObject, specHashValue: string): ServedPolicy => {
      const key = `${uid}@${specHashValue}`
      const hit = this.cache.get(key) ?? compileServed(kind, withSpec(obj, spec), namespace, createdAt, specHashValue, this.ajv)
      used.set(key, hit)
      return hit
    }
    if (problems.length === 0) return { ...base, servedFrom: 'spec', served: compiled(obj['spec'] as JsonObject, hash) }
    const lastGood = isObject(obj['status']) ? obj['status']['lastGood'] : undefined
    if (isObject(lastGood) && isObject(lastGood['spec']) && lastGood['hash'] === specHash(lastGood['spec'])) {
      const copy = withSpec(obj, lastGood['spec'])
      if (validatePolicyObject(copy, name).problems.length === 0) return { ...base, servedFrom: 'lastGood', served: compiled(lastGood['spec'], lastGood['hash']) }
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
   * combine(), awaiting `pause()` after each object, so a long list (or a big policy among small ones)
   * never holds the event loop for more than one object's validation and compile.
   */
  async combineAsync(objects: readonly JsonObject[], fallback: ServedPolicy, pause: () => Promise<void>): Promise<{ set: PolicySet; states: PolicyObjectState[] }> {
    const used = new Map<string, ServedPolicy>()
    const states: PolicyObjectState[] = []
    for (const o of objects) {
      states.push(this.state(o, used))
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
