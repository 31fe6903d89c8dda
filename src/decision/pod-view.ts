import type { JsonObject, JsonValue } from '../kube/types.js'
import { isJsonObject } from '../kube/types.js'
import { MIRROR_POD_ANNOTATION } from '../kube/types.js'
import { UnevaluableObjectError } from '../errors.js'

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
  /** Names of the volumes a volumeDevices entry may use (persistentVolumeClaim or ephemeral); undefined for the legacy shape. */
  readonly blockVolumeNames: ReadonlySet<string> | undefined
  readonly ephemeralContainers: readonly JsonValue[]
  /** Field path of the list in Kubernetes' messages. */
  readonly listField: 'spec.ephemeralContainers' | 'ephemeralContainers'
  /** JSON Pointer of the list: the only place the API server keeps webhook patches. */
  readonly listPointer: '/spec/ephemeralContainers' | '/ephemeralContainers'
  readonly isMirrorPod: boolean
  /** The object's metadata and spec as received (spec undefined for the legacy shape), for custom rules. */
  readonly metadata: JsonObject
  readonly spec: JsonObject | undefined
}


/** Checks a map of strings in place; the object is used as is, not copied. */
function stringMap(v: JsonValue | undefined, which: string, path: string): Readonly<Record<string, string>> {
  if (v === undefined || v === null) return EMPTY
  if (!isJsonObject(v)) throw new UnevaluableObjectError(`request.${which}.${path} must be an object`)
  for (const k in v) if (typeof v[k] !== 'string') throw new UnevaluableObjectError(`request.${which}.${path}.${k} must be a string`)
  return v as Record<string, string>
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({})
const EMPTY_OBJECT: JsonObject = Object.freeze({}) as JsonObject

function list(v: JsonValue | undefined, which: string, path: string): readonly JsonValue[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new UnevaluableObjectError(`request.${which}.${path} must be a list`)
  return v
}

function names(items: readonly JsonValue[]): ReadonlySet<string> {
  const out = new Set<string>()
  for (const c of items) if (isJsonObject(c) && typeof c['name'] === 'string') out.add(c['name'])
  return out
}

/** Volumes with a persistentVolumeClaim or ephemeral source: isMatchedDevice's isPVC in validation.go. */
function blockVolumes(volumes: readonly JsonValue[]): ReadonlySet<string> {
  const out = new Set<string>()
  for (const c of volumes) {
    if (!isJsonObject(c) || typeof c['name'] !== 'string') continue
    if (isJsonObject(c['persistentVolumeClaim']) || isJsonObject(c['ephemeral'])) out.add(c['name'])
  }
  return out
}

/**
 * The view of a Pod. Its lists are checked when it is made; the sets of names are made when first
 * read (a request reads object's few of them, and oldObject's none). Getters of a class: an object
 * literal with getters is made by a slow runtime path, slower than the sets it would save.
 */
class PodSpecView implements PodView {
  readonly shape = 'Pod'
  readonly listField = 'spec.ephemeralContainers'
  readonly listPointer = '/spec/ephemeralContainers'
  readonly ephemeralContainers: readonly JsonValue[]
  readonly #containers: readonly JsonValue[]
  readonly #initContainers: readonly JsonValue[]
  readonly #volumes: readonly JsonValue[]
  #containerNames: ReadonlySet<string> | undefined
  #initContainerNames: ReadonlySet<string> | undefined
  #volumeNames: ReadonlySet<string> | undefined
  #blockVolumeNames: ReadonlySet<string> | undefined

  constructor(
    readonly name: string,
    readonly namespace: string,
    readonly labels: Readonly<Record<string, string>>,
    readonly annotations: Readonly<Record<string, string>>,
    readonly isMirrorPod: boolean,
    readonly metadata: JsonObject,
    readonly spec: JsonObject,
    which: string,
  ) {
    // In this order, as the errors were always reported.
    this.#containers = list(spec['containers'], which, 'spec.containers')
    this.#initContainers = list(spec['initContainers'], which, 'spec.initContainers')
    this.#volumes = list(spec['volumes'], which, 'spec.volumes')
    this.ephemeralContainers = list(spec['ephemeralContainers'], which, 'spec.ephemeralContainers')
  }

  get containerNames(): ReadonlySet<string> { return this.#containerNames ??= names(this.#containers) }
  get initContainerNames(): ReadonlySet<string> { return this.#initContainerNames ??= names(this.#initContainers) }
  get volumeNames(): ReadonlySet<string> { return this.#volumeNames ??= names(this.#volumes) }
  get blockVolumeNames(): ReadonlySet<string> { return this.#blockVolumeNames ??= blockVolumes(this.#volumes) }
}

// Error messages are built only when thrown: this runs twice per request.
/** Narrows request.object or request.oldObject; throws UnevaluableObjectError when it cannot. */
export function toPodView(object: JsonValue | undefined, which: 'object' | 'oldObject'): PodView {
  if (!isJsonObject(object)) throw new UnevaluableObjectError(`request.${which} must be a Pod or EphemeralContainers object`)
  const kind = object['kind']
  const metadata = object['metadata'] ?? EMPTY_OBJECT
  if (!isJsonObject(metadata)) throw new UnevaluableObjectError(`request.${which}.metadata must be an object`)
  const annotations = stringMap(metadata['annotations'], which, 'metadata.annotations')
  const labels = stringMap(metadata['labels'], which, 'metadata.labels')
  const name = typeof metadata['name'] === 'string' ? metadata['name'] : ''
  const namespace = typeof metadata['namespace'] === 'string' ? metadata['namespace'] : ''
  const isMirrorPod = Object.hasOwn(annotations, MIRROR_POD_ANNOTATION)
  if (kind === 'Pod') {
    const spec = object['spec']
    if (!isJsonObject(spec)) throw new UnevaluableObjectError(`request.${which}.spec must be an object`)
    return new PodSpecView(name, namespace, labels, annotations, isMirrorPod, metadata, spec, which)
  }
  if (kind === 'EphemeralContainers') {
    return {
      shape: 'EphemeralContainers', name, namespace, labels, annotations, isMirrorPod, metadata, spec: undefined,
      containerNames: undefined,
      initContainerNames: undefined,
      volumeNames: undefined,
      blockVolumeNames: undefined,
      ephemeralContainers: list(object['ephemeralContainers'], which, 'ephemeralContainers'),
      listField: 'ephemeralContainers',
      listPointer: '/ephemeralContainers',
    }
  }
  throw new UnevaluableObjectError(`request.${which}.kind must be Pod or EphemeralContainers, got ${JSON.stringify(kind ?? null)}`)
}

export const containerName = (entry: JsonValue): string | undefined =>
  isJsonObject(entry) && typeof entry['name'] === 'string' ? entry['name'] : undefined
