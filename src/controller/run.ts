// `controller` assembled: the Lease, the policy objects listed and watched, pods watched (never
// cached), the status writer and the reporter, and a plain-HTTP port for probes and metrics. The I/O
// edge of src/controller/ (the decisions are in lease.ts, status.ts, policies.ts and reporter.ts);
// test/e2e/controller.test.ts runs it against a real API server.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import type { Logger } from 'pino'
import { createKubeApi, type KubeApi, type KubeApiOptions } from '../cluster/api.js'
import { ClusterError } from '../errors.js'
import type { JsonObject } from '../kube/types.js'
import { isJsonObject } from '../kube/types.js'
import { lazyPolicyAjv } from '../schemas.js'
import { defaultServedPolicy, POLICY_GROUP, POLICY_VERSION } from '../policy/policy-objects.js'
import { sourceOf } from '../policy/policy-set.js'
import { LeaderElector, sleep, type LeaseIo, type LeaseRecord } from './lease.js'
import { ControllerMetrics } from './metrics.js'
import { PolicyStatusWriter, type Combined } from './policies.js'
import { Reporter } from './reporter.js'

export interface ControllerConfig {
  readonly kube: KubeApiOptions
  readonly identity: string
  readonly leaseNamespace: string
  readonly leaseName: string
  readonly leaseDurationMs: number
  readonly renewMs: number
  readonly retryMs: number
  readonly resyncMs: number
  readonly debounceMs: number
  readonly host: string
  readonly port: number
  readonly logger: Logger
}

export interface Controller {
  readonly address: AddressInfo
  stop(): Promise<void>
}

const KINDS = [
  { kind: 'EphemeralContainerPolicy', plural: 'ephemeralcontainerpolicies', namespaced: false },
  { kind: 'DebugPolicy', plural: 'debugpolicies', namespaced: true },
] as const

const API_VERSION = `${POLICY_GROUP}/${POLICY_VERSION}`

function leaseIo(api: KubeApi, namespace: string, name: string): LeaseIo {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`
  const body = (record: LeaseRecord, resourceVersion?: string): JsonObject => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion !== undefined ? { resourceVersion } : {}) },
    spec: {
      ...(record.holder !== '' ? { holderIdentity: record.holder } : {}),
      leaseDurationSeconds: record.durationSeconds,
      ...(record.acquireTime !== undefined ? { acquireTime: record.acquireTime } : {}),
      ...(record.renewTime !== undefined ? { renewTime: record.renewTime } : {}),
      leaseTransitions: record.transitions,
    },
  })
  const conflict = (e: unknown): boolean => e instanceof ClusterError && (e.status === 409 || e.status === 404)
  return {
    read: async () => {
      const lease = await api.getOptional(`${base}/${encodeURIComponent(name)}`)
      if (lease === undefined) return undefined
      const spec = isJsonObject(lease['spec']) ? lease['spec'] : {}
      const meta = isJsonObject(lease['metadata']) ? lease['metadata'] : {}
      const str = (k: string): string | undefined => (typeof spec[k] === 'string' ? spec[k] : undefined)
      const acquireTime = str('acquireTime')
      const renewTime = str('renewTime')
      return {
        resourceVersion: String(meta['resourceVersion'] ?? ''),
        record: {
          holder: str('holderIdentity') ?? '',
          durationSeconds: typeof spec['leaseDurationSeconds'] === 'number' ? spec['leaseDurationSeconds'] : 15,
          ...(acquireTime !== undefined ? { acquireTime } : {}),
          ...(renewTime !== undefined ? { renewTime } : {}),
          transitions: typeof spec['leaseTransitions'] === 'number' ? spec['leaseTransitions'] : 0,
        },
      }
    },
    create: async (record) => {
      try {
        await api.send('POST', base, body(record))
        return true
      } catch (e) {
        if (conflict(e)) return false
        throw e
      }
    },
    update: async (record, resourceVersion) => {
      try {
        await api.send('PUT', `${base}/${encodeURIComponent(name)}`, body(record, resourceVersion))
        return true
      } catch (e) {
        if (conflict(e)) return false
        throw e
      }
    },
  }
}

const metaOf = (o: JsonObject): JsonObject => (isJsonObject(o['metadata']) ? o['metadata'] : {})

/**
 * A list, then a watch from its resourceVersion, again and again: `onReset` gets every item after each
 * list, `onEvent` each change. For small collections (policy objects): the whole list is one request.
 */
async function listWatch(api: KubeApi, path: string, kind: string, o: {
  signal: AbortSignal
  retryMs: number
  onReset: (items: JsonObject[]) => void
  onEvent: (type: string, obj: JsonObject) => void
  onError: (e: Error) => void
}): Promise<void> {
  let failures = 0
  while (!o.signal.aborted) {
    try {
      const list = await api.get(path)
      failures = 0
      let rv = String(metaOf(list)['resourceVersion'] ?? '')
      const items = (Array.isArray(list['items']) ? list['items'].filter(isJsonObject) : []).map((i) => ({ apiVersion: API_VERSION, kind, ...i }))
      o.onReset(items)
      let gone = false
      while (!o.signal.aborted && !gone) {
        await api.watch(`${path}?watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=${encodeURIComponent(rv)}`, (event) => {
          const obj = isJsonObject(event['object']) ? event['object'] : {}
          if (event['type'] === 'ERROR') {
            gone = true // 410 Gone: relist
            return
          }
          rv = String(metaOf(obj)['resourceVersion'] ?? rv)
          if (event['type'] !== 'BOOKMARK') o.onEvent(String(event['type']), obj)
        }, o.signal)
      }
    } catch (e) {
      o.onError(e as Error)
      await sleep(backoff(o.retryMs, failures++), o.signal)
    }
  }
}

/** retryMs, doubled after each failure in a row, up to 30 s: a missing CRD is not asked for every 2 s. */
const backoff = (retryMs: number, failures: number): number => Math.min(30_000, retryMs * 2 ** Math.min(failures, 10))

/** Pods watched cluster-wide without keeping them: a pod with ephemeral containers names a namespace to scan. */
async function watchPods(api: KubeApi, o: { signal: AbortSignal; retryMs: number; onNamespace: (ns: string) => void; onGap: () => void; onError: (e: Error) => void }): Promise<void> {
  let failures = 0
  while (!o.signal.aborted) {
    try {
      // One item is enough for the list's resourceVersion: the watch starts from now.
      let rv = String(metaOf(await api.get('/api/v1/pods?limit=1'))['resourceVersion'] ?? '')
      failures = 0
      let gone = false
      while (!o.signal.aborted && !gone) {
        await api.watch(`/api/v1/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=${encodeURIComponent(rv)}`, (event) => {
          const obj = isJsonObject(event['object']) ? event['object'] : {}
          if (event['type'] === 'ERROR') {
            gone = true
            return
          }
          const meta = metaOf(obj)
          rv = String(meta['resourceVersion'] ?? rv)
          const spec = isJsonObject(obj['spec']) ? obj['spec'] : {}
          if (Array.isArray(spec['ephemeralContainers']) && spec['ephemeralContainers'].length > 0 && typeof meta['namespace'] === 'string') o.onNamespace(meta['namespace'])
        }, o.signal)
      }
      // Events may have been missed while relisting: scan everything.
      if (gone) o.onGap()
    } catch (e) {
      o.onError(e as Error)
      await sleep(backoff(o.retryMs, failures++), o.signal)
    }
  }
}

export async function startController(config: ControllerConfig): Promise<Controller> {
  const { logger } = config
  const api = createKubeApi(config.kube)
  const ajv = lazyPolicyAjv() as Ajv2020
  const fallback = defaultServedPolicy(ajv)
  const metrics = new ControllerMetrics()
  const stopping = new AbortController()

  const elector = new LeaderElector(leaseIo(api, config.leaseNamespace, config.leaseName), {
    identity: config.identity,
    durationMs: config.leaseDurationMs,
    renewMs: config.renewMs,
    retryMs: config.retryMs,
    onChange: (leading) => {
      metrics.leading(leading)
      logger.info({ identity: config.identity, lease: `${config.leaseNamespace}/${config.leaseName}` }, leading ? 'started leading: writing status and reports' : 'stopped leading: writes stopped')
      if (leading) {
        scheduleSync()
        reporter.requestAll()
      }
    },
    onError: (err) => logger.warn({ err: err.message }, 'lease round failed'),
  })
  const isLeader = (): boolean => elector.isLeader()

  // Policy objects by kind and uid: a handful, so kept whole.
  const objects = new Map<string, Map<string, JsonObject>>(KINDS.map((k) => [k.kind, new Map()]))
  const synced = new Set<string>()
  const writer = new PolicyStatusWriter(ajv, fallback, {
    putStatus: async (obj, status) => {
      const meta = metaOf(obj)
      const kind = KINDS.find((k) => k.kind === obj['kind'])!
      const ns = typeof meta['namespace'] === 'string' ? `/namespaces/${encodeURIComponent(meta['namespace'])}` : ''
      try {
        const { object } = await api.send('PUT', `/apis/${API_VERSION}${ns}/${kind.plural}/${encodeURIComponent(String(meta['name']))}/status`, { ...obj, status })
        logger.info({ kind: kind.kind, name: meta['name'], namespace: meta['namespace'], generation: meta['generation'], ready: (status['conditions'] as JsonObject[])[0]!['reason'] }, 'policy status written')
        return { result: 'written', ...(object['status'] !== undefined ? { stored: object['status'] } : {}) }
      } catch (e) {
        if (e instanceof ClusterError && (e.status === 409 || e.status === 404)) return { result: 'conflict' }
        throw e
      }
    },
  }, { now: () => new Date(), isLeader, metrics, onError: (err, obj) => logger.warn({ err: err.message, name: metaOf(obj)['name'] }, 'policy status write failed') })

  const initial = writer.combine([])
  let combined: Combined = initial
  const inForceText = (c: Combined): string => c.set.inForce.map((r) => `${sourceOf(r)}@${r.hash}`).join(',')
  const reporter = new Reporter({
    api,
    policy: () => ({ audit: combined.audit, inForce: inForceText(combined) }),
    isLeader,
    now: () => new Date(),
    debounceMs: config.debounceMs,
    metrics,
    onScan: (scope, r) => {
      const fields = { scope: scope.namespace ?? 'all', pods: r.pods, reports: r.reports, seconds: Number(r.seconds.toFixed(3)) }
      if (r.error !== undefined) logger.warn({ ...fields, err: r.error.message }, 'scan failed')
      else logger.info(fields, 'scan done')
    },
  })

  // Status syncs run one at a time; changes meanwhile cause one more.
  let syncing: Promise<void> | undefined
  let again = false
  const sortedObjects = (): JsonObject[] => KINDS.flatMap((k) => [...objects.get(k.kind)!.values()])
  function scheduleSync(): void {
    if (synced.size < KINDS.length) return
    if (syncing !== undefined) {
      again = true
      return
    }
    syncing = (async () => {
      do {
        again = false
        try {
          const r = await writer.sync(sortedObjects())
          if (r.combined.key !== combined.key) {
            logger.info({ inForce: inForceText(r.combined), conflicting: r.combined.set.conflicting.map(sourceOf) }, 'policies in force changed: scanning every namespace')
            combined = r.combined
            reporter.requestAll()
          }
        } catch (e) {
          logger.error({ err: (e as Error).message }, 'policy sync failed')
        }
      } while (again && !stopping.signal.aborted)
    })().finally(() => { syncing = undefined })
  }

  const loops: Promise<void>[] = []
  for (const k of KINDS) {
    const byUid = objects.get(k.kind)!
    loops.push(listWatch(api, `/apis/${API_VERSION}/${k.plural}`, k.kind, {
      signal: stopping.signal,
      retryMs: config.retryMs,
      onReset: (items) => {
        byUid.clear()
        for (const i of items) byUid.set(String(metaOf(i)['uid']), i)
        synced.add(k.kind)
        scheduleSync()
      },
      onEvent: (type, obj) => {
        const uid = String(metaOf(obj)['uid'])
        if (type === 'DELETED') byUid.delete(uid)
        else byUid.set(uid, obj)
        scheduleSync()
      },
      onError: (err) => logger.warn({ err: err.message, kind: k.kind }, 'policy watch failed; retrying'),
    }))
  }
  loops.push(watchPods(api, {
    signal: stopping.signal,
    retryMs: config.retryMs,
    onNamespace: (ns) => reporter.requestNamespace(ns),
    onGap: () => reporter.requestAll(),
    onError: (err) => logger.warn({ err: err.message }, 'pod watch failed; retrying'),
  }))
  const electing = elector.run(stopping.signal)
  const resync = setInterval(() => {
    scheduleSync()
    reporter.requestAll()
  }, config.resyncMs)

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
      res.end(body)
    }
    if (path === '/metrics') {
      metrics.text().then(({ contentType, body }) => send(200, contentType, body), () => send(500, 'text/plain', 'metrics failed\n'))
    } else if (path === '/healthz') {
      send(200, 'application/json', JSON.stringify({ status: 'ok', leader: isLeader(), pid: process.pid }))
    } else if (path === '/readyz') {
      const ready = synced.size === KINDS.length
      send(ready ? 200 : 503, 'application/json', JSON.stringify({ status: ready ? 'ok' : 'policies not listed yet', leader: isLeader(), inForce: inForceText(combined) }))
    } else {
      send(404, 'application/json', JSON.stringify({ status: 'not found' }))
    }
  })
  server.requestTimeout = 10_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.host, () => resolve())
  })
  const address = server.address() as AddressInfo
  logger.info({ identity: config.identity, address: `${address.address}:${address.port}`, resyncSeconds: config.resyncMs / 1000 }, 'controller started')

  return {
    address,
    stop: async () => {
      stopping.abort()
      clearInterval(resync)
      await reporter.stop()
      await electing // releases the Lease
      await Promise.allSettled(loops)
      await new Promise<void>((resolve) => server.close(() => resolve()))
      logger.info({ identity: config.identity }, 'controller stopped')
    },
  }
}
