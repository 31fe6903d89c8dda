// A real kube-apiserver + etcd (test/e2e/harness) for one test file, with kubectl of the same version
// and a direct HTTPS client for when the exact Status JSON matters (kubectl reformats errors).
import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { JsonObject, JsonValue } from '../../../src/kube/types.js'
import { activeGuard, trackCluster, trackProcess, untrackProcess } from './network-guard.js'
import { poll, run, startService, type RunResult, type Service } from './process.js'

export const E2E_DIR = fileURLToPath(new URL('..', import.meta.url))
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url))

/** DATA/ready, written by the harness once /readyz is 200 and namespace default exists (cmd/harness readyInfo). */
export interface ReadyInfo {
  readonly server: string
  readonly kubeconfig: string
  readonly auditLog: string
  readonly logFile: string
  readonly dataDir: string
  readonly caFile: string
  readonly clientCertFile: string
  readonly clientKeyFile: string
  readonly etcd: string
  readonly pid: number
}

export interface ApiResult {
  readonly status: number
  readonly body: JsonObject
  readonly text: string
}

export interface Cluster {
  readonly info: ReadyInfo
  readonly binDir: string
  /** kubectl against this cluster; never throws on a non-zero exit. */
  kubectl(args: readonly string[], o?: { input?: string }): Promise<RunResult>
  /** One request to the API server as cluster-admin; the body is sent and parsed as JSON. */
  api(method: string, path: string, body?: JsonValue): Promise<ApiResult>
  /** Audit events (one JSON object a line) written so far. */
  auditEvents(): JsonObject[]
  stop(): Promise<number>
}

// Seconds a harness may live: far above the suite's run time, so a lost one still ends.
const HARNESS_MAX_SECONDS = 1800
const READY_TIMEOUT_MS = 120_000

/**
 * Runs test/e2e/build.sh (0.02 s when the binaries are current) and returns the directory holding
 * harness and kubectl. Never skips: a missing Go toolchain is an error, as build.sh reports it.
 */
export async function binaries(): Promise<string> {
  const r = await run('bash', [join(E2E_DIR, 'build.sh')], { timeoutMs: 30 * 60_000 })
  if (r.code !== 0) throw new Error(`test/e2e/build.sh failed (exit ${r.code}):\n${r.stderr}`)
  const dir = r.stdout.trim().split('\n').pop() ?? ''
  for (const bin of ['harness', 'kubectl']) if (!existsSync(join(dir, bin))) throw new Error(`build.sh printed ${JSON.stringify(dir)}, which holds no ${bin}`)
  return dir
}

export async function startCluster(dataDir: string): Promise<Cluster> {
  if (activeGuard() === undefined) throw new Error('no network guard: call guardNetwork(t) (test/e2e/support/network-guard.ts) at the top of this e2e file')
  const binDir = await binaries()
  const harness: Service = startService(join(binDir, 'harness'), ['--data-dir', dataDir], { maxSeconds: HARNESS_MAX_SECONDS })
  let died = false
  void harness.exited.then(() => { died = true })
  const readyFile = join(dataDir, 'ready')
  try {
    await poll('the harness to write DATA/ready', async () => {
      if (died) throw new Error(`harness exited before it was ready:\n${harness.stderr()}`)
      return existsSync(readyFile) ? true : undefined
    }, { timeoutMs: READY_TIMEOUT_MS, intervalMs: 100 })
  } catch (e) {
    await harness.stop()
    throw e
  }
  const info = JSON.parse(readFileSync(readyFile, 'utf8')) as ReadyInfo
  const tls = { ca: readFileSync(info.caFile), cert: readFileSync(info.clientCertFile), key: readFileSync(info.clientKeyFile) }
  const kubectlBin = join(binDir, 'kubectl')
  trackProcess(info.pid, 'harness')
  void harness.exited.then(() => untrackProcess(info.pid))

  const cluster: Cluster = {
    info,
    binDir,
    kubectl: (args, o = {}) => run(kubectlBin, ['--kubeconfig', info.kubeconfig, '--request-timeout=30s', ...args], { timeoutMs: 60_000, ...(o.input === undefined ? {} : { input: o.input }) }),
    api: (method, path, body) => new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body)
      const req = request(`${info.server}${path}`, {
        method,
        ...tls,
        timeout: 30_000,
        headers: { accept: 'application/json', ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let parsed: unknown
          try { parsed = JSON.parse(text) } catch { parsed = undefined }
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
            reject(new Error(`${method} ${path}: ${res.statusCode} with a body that is no JSON object: ${text.slice(0, 500)}`))
            return
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as JsonObject, text })
        })
      })
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)))
      req.on('error', reject)
      req.end(payload)
    }),
    auditEvents: () => {
      if (!existsSync(info.auditLog)) return []
      return readFileSync(info.auditLog, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as JsonObject)
    },
    stop: () => {
      untrack()
      return harness.stop()
    },
  }
  // The network guard checks, while it runs, that no Service the API server calls has a ready endpoint.
  const untrack = trackCluster(cluster)
  return cluster
}

/** A short random suffix for names (DNS-1123 label characters). */
export const suffix = (): string => randomBytes(4).toString('hex')

/** Fails with the command and both output streams unless kubectl exited 0. */
export async function kubectlOk(cluster: Cluster, args: readonly string[], o: { input?: string } = {}): Promise<string> {
  const r = await cluster.kubectl(args, o)
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`)
  return r.stdout
}

/**
 * Creates a namespace and its ServiceAccount "default": with no controller-manager nobody else does,
 * and the ServiceAccount admission plugin refuses pods (and pods/ephemeralcontainers updates) without it.
 */
export async function createNamespace(cluster: Cluster, name: string): Promise<string> {
  await kubectlOk(cluster, ['create', 'namespace', name])
  await kubectlOk(cluster, ['-n', name, 'create', 'serviceaccount', 'default'])
  return name
}

export const freshNamespace = (cluster: Cluster, prefix: string): Promise<string> => createNamespace(cluster, `${prefix}-${suffix()}`)

/** A minimal pod named `name`, created with kubectl; it stays Pending (there are no nodes). */
export async function createTargetPod(cluster: Cluster, namespace: string, name = 'target'): Promise<void> {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }] } }
  await kubectlOk(cluster, ['-n', namespace, 'create', '-f', '-'], { input: JSON.stringify(pod) })
}

export async function getPod(cluster: Cluster, namespace: string, name: string): Promise<JsonObject> {
  const r = await cluster.api('GET', `/api/v1/namespaces/${namespace}/pods/${name}`)
  if (r.status !== 200) throw new Error(`GET pod ${namespace}/${name}: ${r.status} ${r.text}`)
  return r.body
}

/** spec.ephemeralContainers of the stored pod ([] when absent). */
export async function ephemeralContainers(cluster: Cluster, namespace: string, name: string): Promise<JsonObject[]> {
  const spec = (await getPod(cluster, namespace, name))['spec'] as JsonObject
  return (spec['ephemeralContainers'] ?? []) as JsonObject[]
}

export const ephemeralContainersPath = (namespace: string, pod: string): string => `/api/v1/namespaces/${namespace}/pods/${pod}/ephemeralcontainers`

/** The stored pod with its ephemeral container list replaced, as a body for PUT .../ephemeralcontainers. */
export async function withEphemeralContainers(cluster: Cluster, namespace: string, pod: string, list: readonly JsonValue[]): Promise<JsonObject> {
  const stored = await getPod(cluster, namespace, pod)
  return { ...stored, spec: { ...(stored['spec'] as JsonObject), ephemeralContainers: [...list] } }
}

/**
 * Registers cert-manager's two kinds (Certificate, Issuer) as test-only CRDs that accept any spec, and
 * waits until they are served. cert-manager is not available offline: with these, a server-side apply
 * proves an overlay or chart applies, not that cert-manager would accept what it asks for.
 */
export async function installCertManagerStandIns(cluster: Cluster): Promise<void> {
  const crds = ['Certificate', 'Issuer'].map((kind) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${kind.toLowerCase()}s.cert-manager.io`, labels: { 'e2e.ephemeral-guard.dev/test-only': 'true' } },
    spec: {
      group: 'cert-manager.io',
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural: `${kind.toLowerCase()}s`, singular: kind.toLowerCase() },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  }))
  await kubectlOk(cluster, ['apply', '-f', '-'], { input: crds.map((c) => JSON.stringify(c)).join('\n') })
  await kubectlOk(cluster, ['wait', '--for=condition=Established', '--timeout=60s', ...crds.map((c) => `crd/${c.metadata.name}`)])
}

/** The policy CRDs as shipped (manifests/base/crds), applied and Established. */
export async function installPolicyCrds(cluster: Cluster): Promise<void> {
  await kubectlOk(cluster, ['apply', '-k', join(REPO_ROOT, 'manifests', 'base', 'crds')])
  await kubectlOk(cluster, ['wait', '--for=condition=Established', '--timeout=60s', 'crd/ephemeralcontainerpolicies.ephemeral-guard.dev', 'crd/debugpolicies.ephemeral-guard.dev'])
}

/** The PolicyReport CRDs (wgpolicyk8s.io), fetched once by test/e2e/policyreport-crds.sh, applied. */
export async function installPolicyReportCrds(cluster: Cluster): Promise<void> {
  const crds = await run('bash', [join(E2E_DIR, 'policyreport-crds.sh')], { timeoutMs: 10 * 60_000 })
  if (crds.code !== 0) throw new Error(`policyreport-crds.sh failed:\n${crds.stderr}`)
  await kubectlOk(cluster, ['apply', '--server-side', '-f', crds.stdout.trim().split('\n').pop()!])
}

/** `kubectl apply --dry-run=server` of `yaml` (its `count` objects): every object accepted, without warnings. */
export async function serverDryRun(t: Test, cluster: Cluster, yaml: string, count: number): Promise<void> {
  const r = await cluster.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: yaml })
  t.equal(r.code, 0, 'the API server accepts every object', { stderr: r.stderr })
  t.equal(r.stderr, '', 'without warnings')
  const lines = r.stdout.trim().split('\n')
  t.equal(lines.length, count, 'one line per object')
  for (const line of lines) t.match(line, /^\S+ (created|configured|unchanged) \(server dry run\)$/)
}
