import type { JsonObject, JsonValue } from '../kube/types.js'
import { MIRROR_POD_ANNOTATION } from '../kube/types.js'
import { UnevaluableObjectError } from './errors.js'

/**
 * The parts of an admission object ephemeral-guard reads, from either request shape:
 * a Pod (Kubernetes 1.22 and later) or the legacy EphemeralContainers object (1.16–1.21), which
 * carries only metadata and the ephemeral container list.
 */
export interface PodView {
  readonly shape: 'Pod' | 'EphemeralContainers'
  readonly name: string
  readonly namespace: string
  readonly labels: Readonly<Record<string, string>>
  readonly annotations: Readonly<Record<string, string>>
  /** Names of spec.containers and spec.initContainers; undefined for the legacy shape, which lacks them. */
  readonly containerNames: ReadonlySet<string> | undefined
  readonly initContainerNames: ReadonlySet<string> | undefined
  /** Names of spec.volumes; undefined for the legacy shape. */
  readonly volumeNames: ReadonlySet<string> | undefined
  readonly ephemeralContainers: readonly JsonValue[]
  /** Field path of the list in Kubernetes' messages. */
  readonly listField: 'spec.ephemeralContainers' | 'ephemeralContainers'
  /** JSON Pointer of the list: the only place the API server keeps webhook patches. */
  readonly listPointer: '/spec/ephemeralContainers' | '/ephemeralContainers'
  readonly isMirrorPod: boolean
}

const isObject = (v: JsonValue | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v)

function stringMap(v: JsonValue | undefined, what: string): Record<string, string> {
  if (v === undefined || v === null) return {}
  if (!isObject(v)) throw new UnevaluableObjectError(`${what} must be an object`)
  const out: Record<string, string> = Object.create(null) as Record<string, string>
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw new UnevaluableObjectError(`${what}.${k} must be a string`)
    out[k] = val
  }
  return out
}

function list(v: JsonValue | undefined, what: string): readonly JsonValue[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new UnevaluableObjectError(`${what} must be a list`)
  return v
}

function names(v: JsonValue | undefined, what: string): ReadonlySet<string> {
  const out = new Set<string>()
  for (const c of list(v, what)) if (isObject(c) && typeof c['name'] === 'string') out.add(c['name'])
  return out
}

/** Narrows request.object or request.oldObject; throws UnevaluableObjectError when it cannot. */
export function toPodView(object: JsonValue | undefined, which: 'object' | 'oldObject'): PodView {
  if (!isObject(object)) throw new UnevaluableObjectError(`request.${which} must be a Pod or EphemeralContainers object`)
  const kind = object['kind']
  const metadata = object['metadata'] ?? {}
  if (!isObject(metadata)) throw new UnevaluableObjectError(`request.${which}.metadata must be an object`)
  const annotations = stringMap(metadata['annotations'], `request.${which}.metadata.annotations`)
  const common = {
    name: typeof metadata['name'] === 'string' ? metadata['name'] : '',
    namespace: typeof metadata['namespace'] === 'string' ? metadata['namespace'] : '',
    labels: stringMap(metadata['labels'], `request.${which}.metadata.labels`),
    annotations,
    isMirrorPod: Object.hasOwn(annotations, MIRROR_POD_ANNOTATION),
  }
  if (kind === 'Pod') {
    const spec = object['spec']
    if (!isObject(spec)) throw new UnevaluableObjectError(`request.${which}.spec must be an object`)
    return {
      ...common,
      shape: 'Pod',
      containerNames: names(spec['containers'], `request.${which}.spec.containers`),
      initContainerNames: names(spec['initContainers'], `request.${which}.spec.initContainers`),
      volumeNames: names(spec['volumes'], `request.${which}.spec.volumes`),
      ephemeralContainers: list(spec['ephemeralContainers'], `request.${which}.spec.ephemeralContainers`),
      listField: 'spec.ephemeralContainers',
      listPointer: '/spec/ephemeralContainers',
    }
  }
  if (kind === 'EphemeralContainers') {
    return {
      ...common,
      shape: 'EphemeralContainers',
      containerNames: undefined,
      initContainerNames: undefined,
      volumeNames: undefined,
      ephemeralContainers: list(object['ephemeralContainers'], `request.${which}.ephemeralContainers`),
      listField: 'ephemeralContainers',
      listPointer: '/ephemeralContainers',
    }
  }
  throw new UnevaluableObjectError(`request.${which}.kind must be Pod or EphemeralContainers, got ${JSON.stringify(kind ?? null)}`)
}

export const containerName = (entry: JsonValue): string | undefined =>
  isObject(entry) && typeof entry['name'] === 'string' ? entry['name'] : undefined
