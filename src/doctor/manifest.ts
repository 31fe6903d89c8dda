// The recommended webhook configurations are manifests/base/webhooks.yaml itself: doctor reads the
// file it ships with, so a change to the manifest changes what doctor recommends.
import { readFileSync } from 'node:fs'
import { parseAllDocuments } from 'yaml'
import type { JsonObject } from '../kube/types.js'

/** The webhook configuration documents of a manifest file; throws with the file name when it does not parse. */
export function readManifest(file: string): JsonObject[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'))
  return docs.map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message.split('\n')[0]}`)
    return d.toJS() as JsonObject
  }).filter((d) => d['kind'] === 'ValidatingWebhookConfiguration' || d['kind'] === 'MutatingWebhookConfiguration')
}
