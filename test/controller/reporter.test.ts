// The reporter against an in-memory API (pods, PolicyReports with label selectors, server-side apply
// answering 201 for a create and 200 for an update): namespace scans after the debounce, full scans,
// emptied namespaces, reports of another policy name, the Lease gate, failures, and the metrics.
import t from 'tap'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { lazyPolicyAjv } from '../../src/schemas.js'
import { defaultServedPolicy } from '../../src/policy/policy-objects.js'
import type { KubeApi } from '../../src/cluster/api.js'
import { ClusterError } from '../../src/errors.js'
import type { JsonObject } from '../../src/kube/types.js'
import { IN_FORCE_ANNOTATION, Reporter, REPORT_POLICY } from '../../src/controller/reporter.js'
import { ControllerMetrics } from '../../src/controller/metrics.js'
import { PolicyStatusWriter } from '../../src/controller/policies.js'

const ajv = lazyPolicyAjv() as Ajv2020
const fallback = defaultServedPolicy(ajv)
const combined = new PolicyStatusWriter(ajv, fallback, { putStatus: async () => ({ result: 'written' }) }, { now: () => new Date(), isLeader: () => true }).combine([])

const pod = (ns: string, name: string, privileged?: boolean): JsonObject => ({
  metadata: { namespace: ns, name, uid: `uid-${ns}-${name}`, creationTimestamp: '2026-11-30T00:00:00Z' },
  spec: {
    containers: [{ name: 'app', image: 'busybox:1.36' }],
    ...(privileged === undefined ? {} : { ephemeralContainers: [{ name: 'dbg', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File', securityContext: { privileged } }] }),
  },
})

class FakeApi {
  pods: JsonObject[] = []
  reports = new Map<string, JsonObject>()
  failApply = false
  failList = false
  readonly calls: string[] = []

  private labelsMatch(r: JsonObject, selector: string): boolean {
    const labels = ((r['metadata'] as JsonObject)['labels'] ?? {}) as Record<string, string>
    return selector.split(',').every((term) => {
      const ne = term.split('!=')
      if (ne.length === 2) return labels[ne[0]!] !== ne[1]
      const [k, v] = term.split('=')
      return labels[k!] === v
    })
  }

  api(): KubeApi {
    const get = async (path: string): Promise<JsonObject> => {
      this.calls.push(`GET ${path}`)
      const url = new URL(path, 'http://x')
      if (url.pathname === '/apis/wgpolicyk8s.io/v1alpha2') return { kind: 'APIResourceList' }
      if (url.pathname.endsWith('/pods')) {
        if (this.failList) throw new ClusterError('GET pods: the server is currently unable to handle the request', 503)
        const ns = url.pathname.match(/namespaces\/([^/]+)\/pods/)?.[1]
        const all = this.pods.filter((p) => ns === undefined || (p['metadata'] as JsonObject)['namespace'] === ns)
        const from = Number(url.searchParams.get('continue') ?? '0')
        const limit = Number(url.searchParams.get('limit'))
        const page = all.slice(from, from + limit)
        return { items: page, metadata: from + limit < all.length ? { continue: String(from + limit) } : {} }
      }
      if (url.pathname.endsWith('/policyreports')) {
        const ns = url.pathname.match(/namespaces\/([^/]+)\/policyreports/)?.[1]
        const selector = url.searchParams.get('labelSelector') ?? ''
        return { items: [...this.reports.values()].filter((r) => (ns === undefined || (r['metadata'] as JsonObject)['namespace'] === ns) && this.labelsMatch(r, selector)), metadata: {} }
      }
      throw new ClusterError(`GET ${path}: not found`, 404)
    }
    return {
      server: 'https://127.0.0.1:6443',
      get,
      getOptional: async (path) => get(path).catch(() => undefined),
      apply: async () => { throw new Error('the reporter applies through send') },
      delete: async (path) => {
        this.calls.push(`DELETE ${path}`)
        const m = path.match(/namespaces\/([^/]+)\/policyreports\/([^/]+)$/)!
        this.reports.delete(`${m[1]}/${m[2]}`)
      },
      send: async (method, path, body) => {
        this.calls.push(`${method} ${path.split('?')[0]}`)
        if (this.failApply) throw new ClusterError(`${method} ${path}: forbidden`, 403)
        const meta = body['metadata'] as JsonObject
        const key = `${String(meta['namespace'])}/${String(meta['name'])}`
        const existed = this.reports.has(key)
        this.reports.set(key, body)
        return { status: existed ? 200 : 201, object: body }
      },
      watch: async () => {},
    }
  }
}

const results = (r: JsonObject | undefined): string[] => ((r?.['results'] ?? []) as JsonObject[]).map((x) => `${String((x['resources'] as JsonObject[])[0]!['name'])}:${String(x['rule'])}=${String(x['result'])}`)

t.test('full and namespace scans keep one report per namespace with debug containers', async (t) => {
  const fake = new FakeApi()
  fake.pods = [pod('shop', 'cart', true), pod('shop', 'idle'), pod('web', 'front', false), pod('clean', 'api')]
  fake.reports.set('old/ephemeral-guard-default', { metadata: { namespace: 'old', name: 'ephemeral-guard-default', labels: { 'app.kubernetes.io/managed-by': 'ephemeral-guard', 'ephemeral-guard.dev/policy': 'default' } } })
  fake.reports.set('other/theirs', { metadata: { namespace: 'other', name: 'theirs', labels: { 'app.kubernetes.io/managed-by': 'kyverno' } } })
  const metrics = new ControllerMetrics({ processMetrics: false })
  const scans: string[] = []
  let leading = true
  const reporter = new Reporter({
    api: fake.api(), policy: () => ({ audit: combined.audit, inForce: 'default@abc' }), isLeader: () => leading, now: () => new Date('2026-12-01T00:00:00Z'),
    debounceMs: 5, pageSize: 2, metrics,
    onScan: (scope, r) => scans.push(`${scope.namespace ?? 'all'}:${r.pods}:${r.reports}${r.error ? `:${r.error.message}` : ''}`),
  })
  reporter.requestAll()
  await reporter.idle()
  t.same(scans, ['all:4:2'])
  t.same([...fake.reports.keys()].sort(), ['other/theirs', 'shop/ephemeral-guard-in-force', 'web/ephemeral-guard-in-force'], "another policy name's report removed, others' reports left alone")
  const shop = fake.reports.get('shop/ephemeral-guard-in-force')!
  t.same(results(shop), ['cart:default/no-privileged=fail'])
  t.match(shop['metadata'], { labels: { 'ephemeral-guard.dev/policy': REPORT_POLICY }, annotations: { [IN_FORCE_ANNOTATION]: 'default@abc' } })
  t.same(results(fake.reports.get('web/ephemeral-guard-in-force')), ['front:all-rules=pass'])

  // The privileged container is gone from shop (the pod was recycled): its report goes.
  fake.pods = [pod('shop', 'idle'), pod('web', 'front', false), pod('web', 'back', true)]
  reporter.requestNamespace('shop')
  reporter.requestNamespace('shop')
  reporter.requestNamespace('web')
  await reporter.idle()
  t.same(scans.slice(1).sort(), ['shop:1:0', 'web:2:1'], 'one scan per namespace however many events')
  t.notOk(fake.reports.has('shop/ephemeral-guard-in-force'), 'the emptied namespace has no report')
  t.same(results(fake.reports.get('web/ephemeral-guard-in-force')), ['back:default/no-privileged=fail', 'front:all-rules=pass'])

  // Pending namespace scans are absorbed by a full scan; an event once it runs queues one more.
  reporter.requestNamespace('web')
  reporter.requestAll()
  reporter.requestNamespace('web')
  await reporter.idle()
  t.same(scans.slice(3), ['all:3:1', 'web:2:1'])

  // Failures are counted, never thrown.
  fake.failApply = true
  reporter.requestAll()
  await reporter.idle()
  t.match(scans.at(-1), /^all:3:1:PATCH .*forbidden/)
  fake.failApply = false
  fake.failList = true
  await reporter.scan({ namespace: 'web' })
  t.match(scans.at(-1), /^web:0:0:GET pods/)
  fake.failList = false

  // Not leading: nothing scanned or written.
  leading = false
  const before = fake.calls.length
  reporter.requestAll()
  reporter.requestNamespace('web')
  await reporter.idle()
  t.equal(fake.calls.length, before, 'no request at all')

  const text = (await metrics.text()).body
  t.match(text, /report_writes_total\{action="created"\} 2/)
  t.match(text, /report_writes_total\{action="updated"\} [1-9]/)
  t.match(text, /report_writes_total\{action="deleted"\} 2/)
  t.match(text, /report_writes_total\{action="failed"\} 1/)
  t.match(text, /scans_total\{scope="all",result="success"\} 2/)
  t.match(text, /scans_total\{scope="namespace",result="failure"\} 1/)
  t.match(text, /scanned_pods_total 1[0-9]/)
  await reporter.stop()
  reporter.requestAll()
  reporter.requestNamespace('web')
  t.equal(fake.calls.length, before, 'stopped: no more scans')
})

t.test('losing the Lease mid-scan stops the writes', async (t) => {
  const fake = new FakeApi()
  fake.pods = [pod('a', 'p', true), pod('b', 'p', true)]
  let writes = 0
  const api = fake.api()
  const reporter = new Reporter({
    api: { ...api, send: async (...args) => { writes++; return api.send(...args) } },
    policy: () => ({ audit: combined.audit, inForce: 'default@abc' }), isLeader: () => writes < 1, now: () => new Date(), debounceMs: 1,
  })
  await reporter.scan({})
  t.equal(writes, 1, 'the second report is not written once the Lease is lost')
  fake.reports.set('x/ephemeral-guard-default', { metadata: { namespace: 'x', name: 'ephemeral-guard-default', labels: { 'app.kubernetes.io/managed-by': 'ephemeral-guard', 'ephemeral-guard.dev/policy': 'default' } } })
  fake.pods = []
  let deletes = 0
  let lead = 1
  const cleaner = new Reporter({
    api: { ...api, delete: async (p) => { deletes++; return api.delete(p) } },
    policy: () => ({ audit: combined.audit, inForce: 'default@abc' }), isLeader: () => lead-- > 0, now: () => new Date(), debounceMs: 1,
  })
  await cleaner.scan({})
  t.equal(deletes, 0, 'old reports are not deleted after the Lease is lost')
  const failingDelete = new Reporter({
    api: { ...api, delete: async () => { throw new ClusterError('DELETE: forbidden', 403) } },
    policy: () => ({ audit: combined.audit, inForce: 'default@abc' }), isLeader: () => true, now: () => new Date(), debounceMs: 1,
    metrics: new ControllerMetrics({ processMetrics: false }),
  })
  await failingDelete.scan({})
  t.pass('a failing delete is counted and reported, not thrown')
})
