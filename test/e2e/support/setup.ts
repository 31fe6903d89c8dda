// One environment per test file: a data directory under test/e2e/.data/<random>/, a real API server,
// ephemeral-guard serving over TLS, and the manifest's webhook configurations pointing at it.
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { JsonObject } from '../../../src/kube/types.js'
import { createTargetPod, E2E_DIR, freshNamespace, startCluster, suffix, type Cluster } from './cluster.js'
import { registerWebhooks, startWebhookServer, waitForWebhooks, type WebhookServer, type WebhookServerOptions } from './webhook.js'

export interface Env {
  readonly dataDir: string
  readonly cluster: Cluster
  readonly webhook: WebhookServer
  /** The documents applied (manifest with clientConfig replaced). */
  readonly applied: JsonObject[]
  /** Stops everything that is still running and deletes dataDir (kept when E2E_KEEP_DATA=1). */
  teardown(): Promise<void>
}

export async function setup(webhookOptions: WebhookServerOptions = {}): Promise<Env> {
  const dataDir = join(E2E_DIR, '.data', suffix())
  mkdirSync(dataDir, { recursive: true })
  let cluster: Cluster | undefined
  let webhook: WebhookServer | undefined
  const teardown = async (): Promise<void> => {
    const codes = await Promise.all([webhook?.stop(), cluster?.stop()])
    if (process.env['E2E_KEEP_DATA'] === '1') console.error(`# e2e: kept ${dataDir} (exit codes ${JSON.stringify(codes)})`)
    else rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    // Start the server first, then register the configurations (a Fail webhook with no server
    // behind it would refuse every debug container in the meantime).
    ;[cluster, webhook] = await Promise.all([startCluster(join(dataDir, 'cluster')), startWebhookServer(join(dataDir, 'webhook'), webhookOptions)])
    const applied = await registerWebhooks(cluster, webhook)
    const probe = await freshNamespace(cluster, 'probe')
    await createTargetPod(cluster, probe, 'probe')
    await waitForWebhooks(cluster, probe, 'probe')
    return { dataDir, cluster, webhook, applied, teardown }
  } catch (e) {
    await teardown()
    throw e
  }
}

/** One environment for the whole test file, set up before its first test; the getter throws if setup failed. */
export function fileEnvironment(t: { before(fn: () => Promise<void>): void; teardown(fn: () => Promise<void>): void }, webhookOptions: WebhookServerOptions = {}): () => Env {
  let env: Env | undefined
  t.before(async () => { env = await setup(webhookOptions) })
  t.teardown(async () => { await env?.teardown() })
  return () => {
    if (env === undefined) throw new Error('setup failed')
    return env
  }
}
