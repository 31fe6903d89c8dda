// The e2e suite's network guard (test/e2e/support/network-guard.ts): its pure parts, and the real
// /proc walk on this process with loopback connections only. That the guard can fail is proven with
// 127.0.0.2 treated as "outside"; nothing here dials off loopback.
import t from 'tap'
import { createServer, connect, type Server, type Socket } from 'node:net'
import {
  calledServices, decodeAddress, descendants, dialableServices, isLoopback, NetworkGuard, offLoopback, parentPid,
  parseProcNet, socketInode, socketsOf, type ClusterObjects, type ProcSocket,
} from '../e2e/support/network-guard.js'

// Lines as a little-endian Linux prints them (header, then sl local rem st queues tr retrnsmt uid timeout inode ...).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0
   1: 0100007F:A1B2 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 1002 1 0000000000000000 20 4 30 10 -1
   2: 0F02000A:C000 0500000A:20FB 02 00000000:00000000 01:00000064 00000002     0        0 1003 1 0000000000000000 100 0 0 10 0
   3: 0100007F:C001 0200007F:01BB 01 00000000:00000000 00:00000000 00000000     0        0 1004 1 0000000000000000 20 4 30 10 -1
`
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2002 1 0000000000000000 20 4 30 10 -1
   2: 00000000000000000000000001000000:1F91 B80D0120000000000000000001000000:01BB 02 00000000:00000000 00:00000000 00000000     0        0 2003 1 0000000000000000 20 4 30 10 -1
`
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3001 2 0000000000000000 0
  101: 0100007F:D000 3500007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 3002 2 0000000000000000 0
  102: 0F02000A:D001 0808080808:0035 01 00000000:00000000 00:00000000 00000000     0        0 3003 2 0000000000000000 0
`

t.test('decodeAddress: /proc/net hex, host byte order, IPv4 and IPv6', async (t) => {
  t.equal(decodeAddress('0100007F', true), '127.0.0.1')
  t.equal(decodeAddress('7F000001', false), '127.0.0.1', 'big-endian hosts print the bytes in order')
  t.equal(decodeAddress('0500000A', true), '10.0.0.5')
  t.equal(decodeAddress('00000000000000000000000001000000', true), '::1')
  t.equal(decodeAddress('00000000000000000000000000000000', true), '::')
  t.equal(decodeAddress('0000000000000000FFFF00000100007F', true), '::ffff:127.0.0.1')
  t.equal(decodeAddress('B80D0120000000000000000001000000', true), '2001:db8::1')
  t.equal(decodeAddress('B80D0120010000000000000001000000', true), '2001:db8:0:1::1', 'the longest zero run is compressed')
  t.equal(decodeAddress('000080FE000000000000000000000000', true), 'fe80::')
  t.equal(decodeAddress('B80D0120020001000400030006000500', true), '2001:db8:1:2:3:4:5:6', 'no run to compress')
  for (const bad of ['', '0100007', 'ZZ00007F', '0100007F0', '0100007F '.trim() + 'x']) t.equal(decodeAddress(bad, true), undefined, `malformed ${JSON.stringify(bad)}`)
})

t.test('parseProcNet: every well-formed line; header and malformed lines skipped', async (t) => {
  const tcp = parseProcNet(TCP, 'tcp', true)
  t.same(tcp.map((s) => [s.localAddress, s.localPort, s.remoteAddress, s.remotePort, s.state, s.inode]), [
    ['127.0.0.1', 8080, '0.0.0.0', 0, 0x0a, 1001],
    ['127.0.0.1', 41394, '127.0.0.1', 8080, 1, 1002],
    ['10.0.2.15', 49152, '10.0.0.5', 8443, 2, 1003],
    ['127.0.0.1', 49153, '127.0.0.2', 443, 1, 1004],
  ])
  t.same(parseProcNet(TCP6, 'tcp6', true).map((s) => `${s.remoteAddress}:${s.remotePort}`), [':::0', '::ffff:127.0.0.1:50000', '2001:db8::1:443'])
  t.same(parseProcNet(UDP, 'udp', true).map((s) => s.inode), [3001, 3002], 'the line with a 5-byte address is dropped')
  t.same(parseProcNet('garbage\n0: x y z\n 7: 0100007F:0050 0100007F:0051 ZZ 0 0 0 0 0 9\n 8: 0100007F:0050 0100007F:0051 01 0 0 0 0 0 notanumber\n', 'tcp', true), [])
  t.same(parseProcNet('', 'udp6'), [])
})

t.test('socketInode and parentPid: what /proc links and stat hold', async (t) => {
  t.equal(socketInode('socket:[12345]'), 12345)
  for (const other of ['pipe:[12345]', '/dev/null', 'anon_inode:[eventpoll]', 'socket:[]', '']) t.equal(socketInode(other), undefined)
  t.equal(parentPid('4242 (node) S 4000 4242 4000 0 -1 4194560'), 4000)
  t.equal(parentPid('4243 (my (odd) name) R 1 4243'), 1, 'a command name with spaces and parentheses')
  t.equal(parentPid('nonsense'), undefined)
  t.equal(parentPid('1 (x) S notapid'), undefined)
})

t.test('descendants: the roots and everything below them, cycles and strangers ignored', async (t) => {
  const parents = new Map([[10, 1], [11, 10], [12, 11], [13, 10], [20, 1], [21, 20], [30, 31], [31, 30]])
  t.same([...descendants([10], parents)].sort(), [10, 11, 12, 13])
  t.same([...descendants([30, 99], parents)].sort(), [30, 31, 99], 'a root that is not in the table is kept')
})

t.test('isLoopback: 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104, and nothing else', async (t) => {
  for (const a of ['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::FFFF:127.1.2.3']) t.ok(isLoopback(a), a)
  for (const a of ['10.0.0.5', '192.168.1.1', '172.16.0.1', '0.0.0.0', '::', '128.0.0.1', '1.127.0.0', '::ffff:10.0.0.1', '::ffff:7f00:1', '2001:db8::1', 'fe80::1', '::2', '127.0.0.256', '127.0.0', 'localhost', '', ' 127.0.0.1']) t.notOk(isLoopback(a), JSON.stringify(a))
  t.notOk(isLoopback(42 as unknown as string), 'not a string')
  t.notOk(isLoopback('127.0.0.2', { extraOutside: ['127.0.0.2'] }), 'extraOutside wins')
  t.ok(isLoopback('127.0.0.1', { extraOutside: ['127.0.0.2'] }))
})

t.test('offLoopback: listening and peerless sockets pass; a peer off loopback fails', async (t) => {
  const all = [...parseProcNet(TCP, 'tcp', true), ...parseProcNet(TCP6, 'tcp6', true), ...parseProcNet(UDP, 'udp', true)]
  const bad = (o = {}): number[] => all.filter((s) => offLoopback(s, o)).map((s) => s.inode)
  t.same(bad(), [1003, 2003], 'the SYN_SENT to 10.0.0.5 and the one to 2001:db8::1')
  t.same(bad({ extraOutside: ['127.0.0.2'] }), [1003, 1004, 2003], 'with 127.0.0.2 as outside, the connection to it too')
  const listenOff: ProcSocket = { proto: 'tcp', localAddress: '0.0.0.0', localPort: 80, remoteAddress: '0.0.0.0', remotePort: 0, state: 0x0a, inode: 1 }
  t.notOk(offLoopback(listenOff), 'a listener has no peer (whatever it binds)')
  t.ok(offLoopback({ ...listenOff, proto: 'udp', state: 1, remoteAddress: '0.0.0.0', remotePort: 53 }), 'a peer 0.0.0.0 with a port is not "no peer"')
})

const objects = (o: Partial<ClusterObjects>): ClusterObjects => ({
  validatingWebhookConfigurations: [], mutatingWebhookConfigurations: [], customResourceDefinitions: [], apiServices: [], services: [], endpointSlices: [], endpoints: [], ...o,
})
const vwc = { metadata: { name: 'ephemeral-guard' }, webhooks: [{ name: 'validate.ephemeral-guard.dev', clientConfig: { service: { namespace: 'eg', name: 'svc', port: 443 } } }, { name: 'by-url', clientConfig: { url: 'https://127.0.0.1:1/x' } }] }
const slice = (ready: boolean | undefined, addresses = ['10.0.0.5'], service = 'svc', namespace = 'eg'): unknown => ({
  metadata: { name: `${service}-x`, namespace, labels: { 'kubernetes.io/service-name': service } },
  endpoints: [{ addresses, conditions: ready === undefined ? {} : { ready } }],
})

t.test('calledServices: webhook configurations, CRD conversion webhooks, APIServices', async (t) => {
  t.same(calledServices(objects({
    validatingWebhookConfigurations: [vwc, null, 'junk', { webhooks: 'no' }],
    mutatingWebhookConfigurations: [{ metadata: { name: 'm' }, webhooks: [{ name: 'w', clientConfig: { service: { namespace: 'eg', name: 'svc2' } } }] }],
    customResourceDefinitions: [{ metadata: { name: 'c.example.com' }, spec: { conversion: { strategy: 'Webhook', webhook: { clientConfig: { service: { namespace: 'eg', name: 'conv' } } } } } }, { metadata: { name: 'none' }, spec: { conversion: { strategy: 'None' } } }],
    apiServices: [{ metadata: { name: 'v1.' }, spec: { service: null } }, { metadata: { name: 'v1beta1.metrics.k8s.io' }, spec: { service: { namespace: 'kube-system', name: 'metrics-server' } } }],
  })).map((r) => `${r.by} -> ${r.namespace}/${r.name}`), [
    'validatingwebhookconfiguration/ephemeral-guard (webhook validate.ephemeral-guard.dev) -> eg/svc',
    'mutatingwebhookconfiguration/m (webhook w) -> eg/svc2',
    'customresourcedefinition/c.example.com (conversion webhook) -> eg/conv',
    'apiservice/v1beta1.metrics.k8s.io -> kube-system/metrics-server',
  ])
})

t.test('dialableServices: a ready endpoint or an ExternalName behind a called Service', async (t) => {
  t.same(dialableServices(objects({ validatingWebhookConfigurations: [vwc], endpointSlices: [slice(false)] })), [], 'a not-ready endpoint is fine')
  t.same(dialableServices(objects({ validatingWebhookConfigurations: [vwc], endpointSlices: [slice(true, [])] })), [], 'an endpoint without addresses is fine')
  t.same(dialableServices(objects({ endpointSlices: [slice(true)] })), [], 'a ready endpoint behind a Service nobody calls is fine')
  t.same(dialableServices(objects({ validatingWebhookConfigurations: [vwc], endpointSlices: [slice(true, ['10.0.0.5'], 'svc', 'other'), slice(true, ['10.0.0.6'], 'other')] })), [], 'other namespaces and Services do not count')
  t.same(dialableServices(objects({ validatingWebhookConfigurations: [vwc], endpointSlices: [slice(true)] })),
    ['validatingwebhookconfiguration/ephemeral-guard (webhook validate.ephemeral-guard.dev) calls service eg/svc, which has a ready endpoint 10.0.0.5 (endpointslice/svc-x)'])
  t.equal(dialableServices(objects({ validatingWebhookConfigurations: [vwc], endpointSlices: [slice(undefined)] })).length, 1, 'ready unset means ready, as for kube-apiserver')
  t.same(dialableServices(objects({
    validatingWebhookConfigurations: [vwc],
    endpoints: [{ metadata: { name: 'svc', namespace: 'eg' }, subsets: [{ addresses: [{ ip: '10.0.0.7' }], notReadyAddresses: [{ ip: '10.0.0.8' }] }] }, { metadata: { name: 'svc', namespace: 'eg2' }, subsets: [{ addresses: [{ ip: '10.0.0.9' }] }] }, { metadata: { name: 'svc', namespace: 'eg' }, subsets: [{ notReadyAddresses: [{ ip: '10.0.0.8' }] }] }],
    services: [{ metadata: { name: 'svc', namespace: 'eg' }, spec: { type: 'ExternalName', externalName: 'example.com' } }, { metadata: { name: 'svc', namespace: 'x' }, spec: { type: 'ExternalName' } }],
  })), [
    'validatingwebhookconfiguration/ephemeral-guard (webhook validate.ephemeral-guard.dev) calls service eg/svc, of type ExternalName (example.com)',
    'validatingwebhookconfiguration/ephemeral-guard (webhook validate.ephemeral-guard.dev) calls service eg/svc, which has ready addresses 10.0.0.7 (endpoints/svc)',
  ])
  t.same(dialableServices(objects({ validatingWebhookConfigurations: [vwc], endpointSlices: [null, 7, { metadata: { namespace: 'eg', labels: { 'kubernetes.io/service-name': 'svc' } }, endpoints: 'x' }], services: [null], endpoints: [null] })), [], 'junk never crashes')
})

const listen = (host: string): Promise<Server> => new Promise((resolve, reject) => {
  const s = createServer((c) => c.on('error', () => {}))
  s.once('error', reject)
  s.listen(0, host, () => resolve(s))
})
const dial = (host: string, port: number): Promise<Socket> => new Promise((resolve, reject) => {
  const c = connect(port, host, () => resolve(c))
  c.once('error', reject)
})
const portOf = (s: Server): number => (s.address() as { port: number }).port

t.test('socketsOf and NetworkGuard on this process: loopback passes; 127.0.0.2 as "outside" fails', async (t) => {
  const server = await listen('127.0.0.2')
  const client = await dial('127.0.0.2', portOf(server))
  t.teardown(() => { client.destroy(); server.close() })
  const mine = socketsOf([process.pid])
  const conn = mine.find((s) => s.remoteAddress === '127.0.0.2' && s.remotePort === portOf(server))
  t.ok(conn, 'the connection is found through /proc/self/fd and /proc/<pid>/net/tcp', { sockets: mine })
  t.equal(conn?.pid, process.pid)
  t.ok(mine.some((s) => s.localAddress === '127.0.0.2' && s.localPort === portOf(server) && s.state === 0x0a), 'and the listener')
  t.same(socketsOf([2 ** 22 + 12345]), [], 'a process that does not exist holds nothing')

  const clean = new NetworkGuard()
  clean.sample()
  t.equal(clean.failure(), undefined, 'all loopback: clean')
  t.ok(clean.pids.has(process.pid))
  t.ok(clean.connections.has('127.0.0.2'))
  t.match(clean.summary(), /^network guard: clean: 1 socket samples of \d+ processes, 0 Service checks; \d+ listening sockets on [^;]*127\.0\.0\.2[^;]*; peers seen: .*127\.0\.0\.2/)

  const strict = new NetworkGuard({ extraOutside: ['127.0.0.2'] })
  strict.sample()
  strict.sample()
  const failure = strict.failure()
  t.ok(failure, 'the connection to 127.0.0.2 is a violation')
  t.match(failure, new RegExp(`^network guard: 1 violation\\(s\\) of the loopback-only rule:\\n  socket off loopback: pid ${process.pid} \\(node[^)]*\\) tcp 127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.2:${portOf(server)} ESTABLISHED$`), 'reported once, with its owner')
  t.match(strict.summary(), /^network guard: FAILED: 2 socket samples/)
})

t.test('NetworkGuard.checkClusters: a dialable Service, and a cluster that cannot answer, are violations', async (t) => {
  const { trackCluster } = await import('../e2e/support/network-guard.js')
  const lists: Record<string, unknown[]> = {
    '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations': [vwc],
    '/apis/discovery.k8s.io/v1/endpointslices': [slice(true)],
  }
  const untrack = trackCluster({ api: async (_m, path) => ({ status: 200, body: { items: lists[path] ?? [] } }) })
  const guard = new NetworkGuard()
  await guard.checkpoint()
  untrack()
  t.match(guard.failure(), /API server could dial off loopback: validatingwebhookconfiguration\/ephemeral-guard .* ready endpoint 10\.0\.0\.5/)
  t.equal(guard.clusterChecks, 1)

  const down = trackCluster({ api: async () => ({ status: 503, body: {} }) })
  const g2 = new NetworkGuard()
  await g2.checkClusters()
  down()
  t.match(g2.failure(), /cannot check the Services the API server calls: GET \/apis\/\S+: 503/)
  const none = new NetworkGuard()
  await none.checkClusters()
  t.equal(none.clusterChecks, 0, 'untracked clusters are not asked')
})
