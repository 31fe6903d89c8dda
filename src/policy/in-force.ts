// The policies in force in a cluster, as `audit` and `doctor` find them (design note §2, §7): the
// policy objects (EphemeralContainerPolicy, DebugPolicy) when their CRDs are served, combined as the
// webhook combines them; else the policy ConfigMap the webhook's Deployment mounts (found through its
// --policy argument); else the built-in default. What was passed over, and why, is said in `notes`.
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { parse } from 'yaml'
import { readFileSync } from 'node:fs'
import { forEachPage, type KubeApi } from '../cluster/api.js'
import { ClusterError, PolicyError } from '../errors.js'
import { isJsonObject, type JsonObject, type JsonValue } from '../kube/types.js'
import type { Policy } from '../decision/types.js'
import { lazyPolicyAjv } from '../schemas.js'
import { DEFAULT_POLICY_FILE, loadPolicyFile, parsePolicy } from './load.js'
import { defaultServedPolicy, POLICY_GROUP, POLICY_VERSION, PolicyObjects, type PolicyObjectState } from './policy-objects.js'
import { sourceOf, type PolicyRef, type PolicySet, type ServedPolicy } from './policy-set.js'
import type { DebugPolicyDocument, PolicyDocument } from './types.js'

/** One policy in force, its document, and how its violations are named. */
export interface DocumentInForce {
  /** `policy` or `namespace/policy` for policy objects (violations are `prefix/rule`); absent for a ConfigMap's or the default file (bare rule names). */
  readonly prefix?: string
  /** A DebugPolicy's namespace. */
  readonly namespace?: string
  readonly spec: PolicyDocument['spec'] | DebugPolicyDocument['spec']
}

export interface PoliciesInForce {
  /** `cluster`, `ConfigMap NAMESPACE/NAME`, or `built-in default`. */
  readonly source: string
  readonly policy: Policy
  /** `name@hash` (`namespace/name@hash` for a DebugPolicy) of each policy in force. */
  readonly inForce: readonly string[]
  readonly documents: readonly DocumentInForce[]
  /** From the cluster: every policy object's state (problems, what is served). */
  readonly states: readonly PolicyObjectState[]
  /** From the cluster: cluster policies not served because an older one defines spec.mutations. */
  readonly conflicting: readonly PolicyRef[]
  /** Why an earlier source was passed over (e.g. the ConfigMap could not be read). */
  readonly notes: readonly string[]
}

export interface InstallNames {
  /** ephemeral-guard's namespace and Deployment, where the ConfigMap is looked for. */
  readonly namespace: string
  readonly deployment: string
  /** Given on the command line: used instead of what the Deployment mounts. */
  readonly configMap?: string
  readonly policyKey?: string
}

export const DEFAULT_POLICY_CONFIGMAP = { name: 'ephemeral-guard-policy', key: 'policy.yaml' } as const

const API = `/apis/${POLICY_GROUP}/${POLICY_VERSION}`
const obj = (v: JsonValue | undefined): JsonObject => (isJsonObject(v) ? v : {})

/**
 * The policy ConfigMap and key the Deployment actually mounts: the container's `--policy=FILE`
 * argument, the volumeMount whose mountPath holds FILE, and that volume's ConfigMap. kustomize's
 * configMapGenerator adds a content hash to the name, so the name cannot be known in advance.
 * undefined when the Deployment does not say (no --policy, or not from a ConfigMap).
 */
export function policyConfigMapOf(deployment: JsonObject): { name: string; key: string } | undefined {
  const spec = obj(obj(obj(deployment['spec'])['template'])['spec'])
  const volumes = Array.isArray(spec['volumes']) ? spec['volumes'].filter(isJsonObject) : []
  for (const container of Array.isArray(spec['containers']) ? spec['containers'].filter(isJsonObject) : []) {
    const args = Array.isArray(container['args']) ? container['args'] : []
    let file: string | undefined
    args.forEach((a, i) => {
      if (typeof a !== 'string') return
      if (a.startsWith('--policy=')) file = a.slice('--policy='.length)
      else if (a === '--policy' && typeof args[i + 1] === 'string') file = args[i + 1] as string
    })
    if (file === undefined) continue
    for (const mount of Array.isArray(container['volumeMounts']) ? container['volumeMounts'].filter(isJsonObject) : []) {
      const path = typeof mount['mountPath'] === 'string' ? mount['mountPath'].replace(/\/+$/, '') : undefined
      if (path === undefined || !file.startsWith(`${path}/`) || mount['subPath'] !== undefined) continue
      const volume = volumes.find((v) => v['name'] === mount['name'])
      const name = obj(volume?.['configMap'])['name']
      if (typeof name === 'string') return { name, key: file.slice(path.length + 1) }
    }
  }
  return undefined
}

/** Reads an object: undefined when absent, 'forbidden' when the caller may not. */
export async function readOptional(api: Pick<KubeApi, 'getOptional'>, path: string): Promise<JsonObject | 'forbidden' | undefined> {
  try {
    return await api.getOptional(path)
  } catch (e) {
    if (e instanceof ClusterError && e.status === 403) return 'forbidden'
    throw e
  }
}

/** True when the API server serves both policy kinds (their CRDs are installed and established). */
export async function policyCrdsServed(api: Pick<KubeApi, 'getOptional'>): Promise<boolean> {
  const list = await api.getOptional(API)
  const names = new Set((Array.isArray(list?.['resources']) ? list['resources'] : []).filter(isJsonObject).map((r) => r['name']))
  return names.has('ephemeralcontainerpolicies') && names.has('debugpolicies')
}

/** The ConfigMap and key to read: the flags, else what the Deployment mounts, else the defaults. */
export async function policyConfigMapNames(api: Pick<KubeApi, 'getOptional'>, install: InstallNames): Promise<{ name: string; key: string }> {
  let found: { name: string; key: string } | undefined
  if (install.configMap === undefined) {
    const deployment = await readOptional(api, `/apis/apps/v1/namespaces/${encodeURIComponent(install.namespace)}/deployments/${encodeURIComponent(install.deployment)}`)
    if (typeof deployment === 'object') found = policyConfigMapOf(deployment)
  }
  return { name: install.configMap ?? found?.name ?? DEFAULT_POLICY_CONFIGMAP.name, key: install.policyKey ?? found?.key ?? DEFAULT_POLICY_CONFIGMAP.key }
}

/** Policy objects as listed (items may lack apiVersion and kind), complete for validatePolicyObject. */
async function listPolicyObjects(api: Pick<KubeApi, 'get'>): Promise<JsonObject[]> {
  const out: JsonObject[] = []
  for (const [plural, kind] of [['ephemeralcontainerpolicies', 'EphemeralContainerPolicy'], ['debugpolicies', 'DebugPolicy']] as const) {
    await forEachPage(api, `${API}/${plural}`, 500, (items) => {
      for (const item of items) out.push({ apiVersion: `${POLICY_GROUP}/${POLICY_VERSION}`, kind, ...item })
    })
  }
  return out
}

/** The spec a state serves: its own, or its last good copy. */
const servedSpec = (o: JsonObject, s: PolicyObjectState): JsonObject => (s.servedFrom === 'spec' ? obj(o['spec']) : obj(obj(obj(o['status'])['lastGood'])['spec']))

/**
 * The documents of what a combine put in force, in its order: each object's served spec (its own, or
 * its last good copy), and the built-in default's when it is in force. `states` are `objects`' own.
 */
export function documentsInForce(objects: readonly JsonObject[], set: PolicySet, states: readonly PolicyObjectState[], fallback: ServedPolicy): DocumentInForce[] {
  const key = (ref: PolicyRef): string => `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`
  const inForce = new Set(set.inForce.map(key))
  const documents: DocumentInForce[] = []
  states.forEach((s, i) => {
    if (s.served === undefined || !inForce.has(key(s.served.ref))) return
    const ref = s.served.ref
    documents.push({ prefix: sourceOf(ref), ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }), spec: servedSpec(objects[i]!, s) as PolicyDocument['spec'] })
  })
  if (set.inForce.some((r) => r === fallback.ref)) {
    documents.unshift({ prefix: sourceOf(fallback.ref), spec: (parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8')) as PolicyDocument).spec })
  }
  return documents
}

/** The policies in force from the cluster's policy objects (their CRDs are served). */
export async function clusterPolicies(api: Pick<KubeApi, 'get'>, ajv: Ajv2020 = lazyPolicyAjv() as Ajv2020): Promise<PoliciesInForce> {
  const objects = await listPolicyObjects(api)
  const fallback = defaultServedPolicy(ajv)
  const { set, states } = new PolicyObjects(ajv).combine(objects, fallback)
  const documents = documentsInForce(objects, set, states, fallback)
  return {
    source: 'cluster',
    policy: set.policy,
    inForce: set.inForce.map((r) => `${sourceOf(r)}@${r.hash}`),
    documents,
    states,
    conflicting: set.conflicting,
    notes: [],
  }
}

/** The built-in default, as `serve` without --policy loads it. */
export function defaultPolicy(notes: readonly string[]): PoliciesInForce {
  const loaded = loadPolicyFile(DEFAULT_POLICY_FILE)
  return {
    source: 'built-in default',
    policy: loaded.policy,
    inForce: [`${loaded.policy.name}@${loaded.policy.hash}`],
    documents: [{ spec: (parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8')) as PolicyDocument).spec }],
    states: [],
    conflicting: [],
    notes,
  }
}

/**
 * The policies in force: the cluster's policy objects, else the Deployment's ConfigMap, else the
 * built-in default. Throws PolicyError when the ConfigMap holds a policy that does not load (the
 * webhook then serves a policy audit cannot know), ClusterError when the cluster cannot be read.
 */
export async function readPoliciesInForce(api: Pick<KubeApi, 'get' | 'getOptional'>, install: InstallNames): Promise<PoliciesInForce> {
  if (await policyCrdsServed(api)) return clusterPolicies(api)
  const { name, key } = await policyConfigMapNames(api, install)
  const where = `ConfigMap ${install.namespace}/${name}`
  const configMap = await readOptional(api, `/api/v1/namespaces/${encodeURIComponent(install.namespace)}/configmaps/${encodeURIComponent(name)}`)
  const passedOver = `no policy CRDs (${POLICY_GROUP}/${POLICY_VERSION}) and ${where}`
  if (configMap === undefined) return defaultPolicy([`${passedOver} not found`])
  if (configMap === 'forbidden') return defaultPolicy([`${passedOver} cannot be read (forbidden)`])
  const text = obj(configMap['data'])[key]
  if (typeof text !== 'string') throw new PolicyError(`${where} key ${key}`, ['(file): no such key in the ConfigMap'])
  const loaded = parsePolicy(text, `${where} key ${key}`)
  return {
    source: where,
    policy: loaded.policy,
    inForce: [`${loaded.policy.name}@${loaded.policy.hash}`],
    documents: [{ spec: (parse(text) as PolicyDocument).spec }],
    states: [],
    conflicting: [],
    notes: [],
  }
}
