// An AdmissionReview built from plain resources, as the API server would send it: a Pod manifest, the
// ephemeral container(s) to add (a container spec, or `kubectl debug` flags applied as kubectl 1.37
// applies them), the requester and namespace. And the API server's side of a mutation: applying the
// JSON Patch of the mutating webhook before the validating one judges the result. Used by `review`
// and `test`; the decision itself is the server's (admit.ts).
import { randomUUID } from 'node:crypto'
import { UsageError } from '../errors.js'
import { isJsonObject, type AdmissionReview, type JsonObject, type JsonValue } from '../kube/types.js'
import type { DecisionContext, Policy } from '../decision/types.js'
import { admit, type Decision } from './admit.js'
import { decodeReview } from './decode.js'
import fastJsonPatch from 'fast-json-patch'

/** `kubectl debug` profiles (k8s.io/kubectl/pkg/cmd/debug, profiles.go): the securityContext each sets on an ephemeral container. */
export const PROFILES: Readonly<Record<string, JsonObject | undefined>> = {
  legacy: undefined,
  general: { capabilities: { add: ['SYS_PTRACE'] } },
  baseline: undefined,
  restricted: { runAsNonRoot: true, capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } },
  netadmin: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } },
  sysadmin: { privileged: true },
}

/** kubectl 1.37's default --profile. */
export const DEFAULT_PROFILE = 'general'

/** The `kubectl debug` flags that shape the ephemeral container. */
export interface DebugFlags {
  readonly image: string
  /** -c; default `debugger` plus a suffix, as kubectl draws one (fixed here, so tests are repeatable). */
  readonly name?: string
  readonly profile?: string
  readonly target?: string
  /** `NAME=VALUE[,NAME=VALUE...]` per flag, as kubectl's --env. */
  readonly env?: readonly string[]
  readonly imagePullPolicy?: string
  /** -i and -t. */
  readonly stdin?: boolean
  readonly tty?: boolean
  /** What follows `--`: the command (or the arguments with --arguments-only). */
  readonly command?: readonly string[]
  readonly argumentsOnly?: boolean
}

/**
 * The API server's default pull policy (SetDefaults_Container): Always for the tag `latest` or no
 * tag without a digest, else IfNotPresent.
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const [name, digest] = image.split('@')
  const last = name!.slice(name!.lastIndexOf('/') + 1)
  const colon = last.indexOf(':')
  const tag = colon < 0 ? (digest === undefined ? 'latest' : '') : last.slice(colon + 1)
  return tag === 'latest' ? 'Always' : 'IfNotPresent'
}

/**
 * A container as the API server hands it to admission: SetDefaults_Container's fields filled where
 * unset (terminationMessagePath, terminationMessagePolicy, imagePullPolicy). Test files and `review
 * --pod` may give a container spec as written; webhooks never see one undefaulted.
 */
export function withApiServerDefaults(container: JsonObject): JsonObject {
  const image = typeof container['image'] === 'string' ? container['image'] : ''
  return {
    ...container,
    terminationMessagePath: container['terminationMessagePath'] ?? '/dev/termination-log',
    terminationMessagePolicy: container['terminationMessagePolicy'] ?? 'File',
    imagePullPolicy: container['imagePullPolicy'] ?? (image === '' ? 'IfNotPresent' : defaultPullPolicy(image)),
  }
}

/** Names already taken by containers of the pod, of every kind. */
function namesIn(pod: JsonObject): Set<string> {
  const spec = isJsonObject(pod['spec']) ? pod['spec'] : {}
  const out = new Set<string>()
  for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
    const items = spec[list]
    if (Array.isArray(items)) for (const c of items) if (isJsonObject(c) && typeof c['name'] === 'string') out.add(c['name'])
  }
  return out
}

/**
 * The ephemeral container `kubectl debug POD` sends with these flags (generateDebugContainer, then
 * the profile), after the API server's defaulting (what an admission webhook receives).
 */
export function debugContainer(pod: JsonObject, flags: DebugFlags): JsonObject {
  const profile = flags.profile ?? DEFAULT_PROFILE
  if (!(profile in PROFILES)) throw new UsageError(`--profile must be one of ${Object.keys(PROFILES).join(', ')}, got ${JSON.stringify(profile)}`)
  if (flags.image.trim() === '') throw new UsageError('--image is required')
  let name = flags.name
  if (name === undefined) {
    // kubectl draws five random characters; a fixed suffix keeps tests repeatable.
    const taken = namesIn(pod)
    let i = 0
    do name = `debugger-${String(i).padStart(5, '0')}`; while (taken.has(name) && ++i < 100_000)
  }
  // kubectl reads --env as a map (pflag StringToString): a value may hold several comma-separated
  // pairs, a repeated name keeps its last value, and the order kubectl sends is Go's map order
  // (random); here it is the order given.
  const vars = new Map<string, string>()
  for (const pair of (flags.env ?? []).flatMap((v) => v.split(','))) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`--env takes NAME=VALUE, got ${JSON.stringify(pair)}`)
    vars.set(pair.slice(0, eq), pair.slice(eq + 1))
  }
  const env = [...vars].map(([name, value]): JsonObject => ({ name, value }))
  const sc = PROFILES[profile]
  const command = flags.command ?? []
  return {
    name,
    image: flags.image,
    ...(command.length > 0 ? { [flags.argumentsOnly === true ? 'args' : 'command']: [...command] } : {}),
    ...(env.length > 0 ? { env } : {}),
    resources: {},
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: flags.imagePullPolicy ?? defaultPullPolicy(flags.image),
    ...(sc !== undefined ? { securityContext: structuredClone(sc) } : {}),
    ...(flags.stdin === true ? { stdin: true } : {}),
    ...(flags.tty === true ? { tty: true } : {}),
    ...(flags.target !== undefined ? { targetContainerName: flags.target } : {}),
  }
}

export interface BuildOptions {
  readonly pod: JsonObject
  readonly add: readonly JsonObject[]
  readonly user?: string
  readonly groups?: readonly string[]
  /** The request's namespace; default the pod's, else `default`. */
  readonly namespace?: string
  readonly dryRun?: boolean
}

/** The UPDATE of pods/ephemeralcontainers that adds `add` to the pod. */
export function buildReview(o: BuildOptions): AdmissionReview {
  if (o.pod['kind'] !== undefined && o.pod['kind'] !== 'Pod') throw new UsageError(`--pod must be a Pod manifest, got kind ${JSON.stringify(o.pod['kind'])}`)
  const meta = isJsonObject(o.pod['metadata']) ? o.pod['metadata'] : {}
  const name = typeof meta['name'] === 'string' ? meta['name'] : 'pod'
  const namespace = o.namespace ?? (typeof meta['namespace'] === 'string' ? meta['namespace'] : 'default')
  const oldObject: JsonObject = { apiVersion: 'v1', kind: 'Pod', ...structuredClone(o.pod), metadata: { ...structuredClone(meta), name, namespace } }
  const spec = isJsonObject(oldObject['spec']) ? oldObject['spec'] : {}
  const existing = Array.isArray(spec['ephemeralContainers']) ? spec['ephemeralContainers'] : []
  const object: JsonObject = { ...structuredClone(oldObject), spec: { ...structuredClone(spec), ephemeralContainers: [...structuredClone(existing), ...o.add.map((c) => withApiServerDefaults(structuredClone(c)))] } }
  const user = o.user ?? 'kubernetes-admin'
  const groups = o.groups ?? ['system:authenticated']
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      subResource: 'ephemeralcontainers',
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      requestSubResource: 'ephemeralcontainers',
      name,
      namespace,
      operation: 'UPDATE',
      userInfo: { username: user, groups: [...groups] },
      object,
      oldObject,
      dryRun: o.dryRun === true,
      options: { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  } as AdmissionReview
}

/** Applies a JSON Patch (what the mutating webhook sends) to a copy of `doc`, as the API server does. */
export function applyPatch(doc: JsonValue, ops: readonly { op: string; path: string; value?: JsonValue }[]): JsonValue {
  return fastJsonPatch.applyPatch(fastJsonPatch.deepClone(doc), ops as fastJsonPatch.Operation[], true, false).newDocument as JsonValue
}

export interface WebhookPair {
  /** The mutating webhook's answer, its patch decoded. */
  readonly mutate: Decision
  readonly patch: readonly { op: string; path: string; value?: JsonValue }[]
  /** The new ephemeral containers after the patch (what the validating webhook judges). */
  readonly containers: readonly JsonObject[]
  /** The validating webhook's answer on the patched request. */
  readonly validate: Decision
  /** What kubectl prints: the mutating webhook's warnings, then the validating one's. */
  readonly warnings: readonly string[]
}

/**
 * Both webhooks as the API server calls them: the mutating one, its patch applied to the object,
 * then the validating one on the result.
 */
export function throughWebhooks(review: AdmissionReview, policy: Policy, context: DecisionContext = {}): WebhookPair {
  const decoded = decodeReview(review)
  const mutate = admit(decoded, 'mutate', policy, context)
  const encoded = mutate.review.response?.patch
  const patch = encoded === undefined ? [] : (JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as WebhookPair['patch'])
  const object = applyPatch(decoded.request.object ?? null, patch) as JsonObject
  const validate = admit({ ...decoded, request: { ...decoded.request, object } }, 'validate', policy, context)
  const before = namesIn(isJsonObject(decoded.request.oldObject ?? null) ? decoded.request.oldObject as JsonObject : {})
  const list = (isJsonObject(object['spec']) ? object['spec']['ephemeralContainers'] : undefined) ?? []
  const containers = (Array.isArray(list) ? list : []).filter((c): c is JsonObject => isJsonObject(c) && !before.has(String(c['name'])))
  return { mutate, patch, containers, validate, warnings: [...(mutate.review.response?.warnings ?? []), ...(validate.review.response?.warnings ?? [])] }
}
