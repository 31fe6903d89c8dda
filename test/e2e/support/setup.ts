// Every e2e file calls guardNetwork(t) (./network-guard.ts) before these; startCluster refuses otherwise.
// One environment per test file: a data directory under test/e2e/.data/<random>/, a real API server,
// ephemeral-guard serving over TLS, and the manifest's webhook configurations pointing at it.
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { JsonObject } from '../../../src/kube/types.js'
import { createTargetPod, E2E_DIR, freshNamespace, startCluster, suffix, type Cluster } from './cluster.js'
import { networkCheckpoint } from './network-guard.js'
import { registerWebhooks, startWebhookServer, waitForWebhooks, type WebhookServer } from './webhook.js'

export interface Env {
  readonly dataDir: string
  readonly cluster: Cluster
  readonly webhook: WebhookServer
  /** The documents applied (manifest with clientConfig replaced). */
  readonly applied: JsonObject[]
  /** Stops everything that is still running and deletes dataDir (kept when E2E_KEEP_DATA=1). */
  teardown(): Promise<void>
}

export interface SetupOptions {
  /**
   * Extra arguments for `serve`, given the running cluster and the data directory (for a policy file or
   * the cluster's kubeconfig). When given, the server starts after the cluster instead of beside it.
   */
  readonly serveArgs?: (cluster: Cluster, dataDir: string) => string[]
  /** Run on the cluster before the server starts (with serveArgs only), e.g. to install the policy CRDs. */
  readonly prepare?: (cluster: Cluster) => Promise<void>
}

export async function setup(options: SetupOptions = {}): Promise<Env> {
  const dataDir = join(E2E_DIR, '.data', suffix())
  mkdirSync(dataDir, { recursive: true })
  let cluster: Cluster | undefined
  let webhook: WebhookServer | undefined
  const teardown = async (): Promise<void> => {
    // A last look at sockets and Services while everything still runs.
    await networkCheckpoint()
    const codes = await Promise.all([webhook?.stop(), cluster?.stop()])
    if (process.env['E2E_KEEP_DATA'] === '1') console.error(`# e2e: kept ${dataDir} (exit codes ${JSON.stringify(codes)})`)
    else rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    // Start the server first, then register the configurations (a Fail webhook with no server
    // behind it would refuse every debug container in the meantime).
    const { serveArgs } = options
    if (serveArgs === undefined) {
      ;[cluster, webhook] = await Promise.all([startCluster(join(dataDir, 'cluster')), startWebhookServer(join(dataDir, 'webhook'))])
    } else {
      cluster = await startCluster(join(dataDir, 'cluster'))
      await options.prepare?.(cluster)
      webhook = await startWebhookServer(join(dataDir, 'webhook'), serveArgs(cluster, dataDir))
    }
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
export function fileEnvironment(t: { before(fn: () => Promise<void>): void; teardown(fn: () => Promise<void>): void }, options: SetupOptions = {}): () => Env {
  let env: Env | undefined
  t.before(async () => { env = await setup(options) })
  t.teardown(async () => { await env?.teardown() })
  return () => {
    if (env === undefined) throw new Error('setup failed')
    return env
  }
}

/**
 * A cluster without a webhook server, for a whole test file: started in t.before, stopped and its
 * data directory deleted (kept when E2E_KEEP_DATA=1) in t.teardown. `dataDir` exists at once.
 */
export function fileCluster(t: { before(fn: () => Promise<void>): void; teardown(fn: () => Promise<void>): void }, prefix: string): { dataDir: string; cluster: () => Cluster } {
  const dataDir = join(E2E_DIR, '.data', `${prefix}-${suffix()}`)
  mkdirSync(dataDir, { recursive: true })
  let started: Cluster | undefined
  t.before(async () => { started = await startCluster(join(dataDir, 'cluster')) })
  t.teardown(async () => {
    await networkCheckpoint()
    await started?.stop()
    if (process.env['E2E_KEEP_DATA'] !== '1') rmSync(dataDir, { recursive: true, force: true })
  })
  return {
    dataDir,
    cluster: () => {
      if (started === undefined) throw new Error('the cluster did not start')
      return started
    },
  }
}
