// Reads manifests/ without kustomize (npm test has no kubectl): the base's resources as written, and
// the objects its generators and an overlay's patches would add, built from the same files. The e2e
// suite renders the same directories with the real `kubectl kustomize` and checks the same properties.
import { readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse, parseAllDocuments } from 'yaml'
import type { K8sObject } from './properties.js'

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
export const MANIFESTS = join(REPO_ROOT, 'manifests')

export interface Kustomization {
  kind?: string
  resources?: string[]
  components?: string[]
  patches?: Array<{ path?: string; patch?: string; target?: unknown }>
  images?: unknown[]
  secretGenerator?: Array<{ name: string; namespace?: string; type?: string; files?: string[]; options?: { disableNameSuffixHash?: boolean } }>
  configMapGenerator?: Array<{ name: string; namespace?: string; files?: string[]; options?: { disableNameSuffixHash?: boolean } }>
}

/** Every document of a YAML file; a parse error fails. */
export function yamlDocuments(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`)
    return d.toJS() as K8sObject
  }).filter((o) => o !== null)
}

export const kustomization = (dir: string): Kustomization => parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization

/** A generator's files as `data` (key = file name), as kustomize builds it (without the hash suffix). */
export function generatedData(dir: string, files: readonly string[], encoding: 'utf8' | 'base64'): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f, readFileSync(join(dir, f)).toString(encoding)]))
}

/** A resource of a kustomization: a file, or a directory with a kustomization of files (manifests/base/crds). */
function resourceObjects(path: string): K8sObject[] {
  if (!statSync(path).isDirectory()) return yamlDocuments(path)
  return (kustomization(path).resources ?? []).flatMap((r) => resourceObjects(join(path, r)))
}

/** The base's resource files plus its generated ConfigMaps. */
export function baseObjects(): K8sObject[] {
  const dir = join(MANIFESTS, 'base')
  const k = kustomization(dir)
  const resources = (k.resources ?? []).flatMap((r) => resourceObjects(join(dir, r)))
  const configMaps = (k.configMapGenerator ?? []).map((g): K8sObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: g.name, ...(g.namespace === undefined ? {} : { namespace: g.namespace }) },
    data: generatedData(dir, g.files ?? [], 'utf8'),
  }))
  return [...resources, ...configMaps]
}

/**
 * Applies a strategic-merge patch of the two shapes the overlays use: metadata.annotations, and
 * fields of a webhook matched by name (the webhooks list merges by name). Anything else throws, so a
 * new kind of patch cannot be silently ignored here.
 */
export function applyPatch(objects: readonly K8sObject[], patch: K8sObject): K8sObject[] {
  let hit = false
  const out = objects.map((o) => {
    if (o.kind !== patch.kind || o.metadata.name !== patch.metadata.name) return o
    hit = true
    const { apiVersion: _a, kind: _k, metadata, webhooks, ...rest } = patch
    if (Object.keys(rest).length > 0) throw new Error(`applyPatch: unsupported fields ${Object.keys(rest).join(', ')}`)
    const merged: K8sObject = structuredClone(o)
    if (metadata.annotations) merged.metadata.annotations = { ...merged.metadata.annotations, ...metadata.annotations }
    for (const w of (webhooks ?? []) as Array<{ name: string; clientConfig?: object }>) {
      const target = (merged['webhooks'] as Array<{ name: string; clientConfig?: object }>).find((x) => x.name === w.name)
      if (target === undefined) throw new Error(`applyPatch: no webhook ${w.name}`)
      target.clientConfig = { ...target.clientConfig, ...w.clientConfig }
    }
    return merged
  })
  if (!hit) throw new Error(`applyPatch: no ${patch.kind}/${patch.metadata.name}`)
  return out
}
