// Small builders for corpus cases.
import type { JsonObject } from '../../../src/kube/types.js'
import type { Category, FidelityCase } from './types.js'

/** An ephemeral container as a client sends it: name and image, plus `extra`. */
export const ec = (name: string, extra: JsonObject = {}): JsonObject => ({ name, image: 'busybox:1.36', ...extra })

/** A builder of one category's cases: `add(slug, about, fields)`. */
export function category(name: Category): { cases: FidelityCase[]; add: (slug: string, about: string, c: Omit<FidelityCase, 'id' | 'category' | 'about'>) => void } {
  const cases: FidelityCase[] = []
  return {
    cases,
    add: (slug, about, c) => { cases.push({ id: `${name}/${slug}`, category: name, about, ...c }) },
  }
}

/**
 * The base pod made a static pod's mirror: annotated kubernetes.io/config.mirror, and without what the
 * API server refuses in a mirror pod (a service account, its token volume and mount).
 */
export const staticPod = {
  podMetadata: { annotations: { 'kubernetes.io/config.mirror': 'mirror' } },
  podSpec: {
    nodeName: 'worker-2',
    serviceAccountName: null,
    serviceAccount: null,
    volumes: [{ name: 'data', emptyDir: {} }],
    containers: [{ name: 'cart', image: 'registry.example.com/shop/cart:2.4.1', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
  },
} as const satisfies { podMetadata: JsonObject; podSpec: JsonObject }
