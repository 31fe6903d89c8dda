// The e2e suite's regression guard for its network rule: traffic goes to loopback only (127.0.0.0/8,
// ::1), including the connections the API server makes on our behalf. scripts/loopback.sh already
// makes anything else fail (ENETUNREACH); this guard makes an attempt visible, and fails the file.
//
// Two checks, both run while the file runs (every SAMPLE_MS, after each subtest, and before the
// shared helpers stop their servers):
//  - sockets: the socket inodes of the test process and of all its descendants (the harness, every
//    server startService starts, kubectl, ...) from /proc/<pid>/fd, looked up in
//    /proc/<pid>/net/{tcp,tcp6,udp,udp6}. Any socket that is not listening and has a peer outside
//    127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 is a violation. A socket with no peer (0.0.0.0:0,
//    [::]:0: unconnected UDP, a TCP socket not connected yet) is not.
//  - Services: no Service that the API server may call (clientConfig.service of a webhook
//    configuration, of a CRD conversion webhook, spec.service of an APIService) may have a ready
//    endpoint, nor be of type ExternalName. EndpointSlices cannot hold loopback addresses, so the
//    API server (--enable-aggregator-routing, see the harness) would dial a real address.
//
// Usage, in every e2e file, before its environment: `guardNetwork(t)`. test/network-guard checks
// that every file does.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { endianness } from 'node:os'

export type Proto = 'tcp' | 'tcp6' | 'udp' | 'udp6'
export const PROTOS: readonly Proto[] = ['tcp', 'tcp6', 'udp', 'udp6']

export interface ProcSocket {
  readonly proto: Proto
  readonly localAddress: string
  readonly localPort: number
  readonly remoteAddress: string
  readonly remotePort: number
  /** The st column: a TCP state for tcp*, 7 (unconnected) or 1 (connected) for udp*. */
  readonly state: number
  readonly inode: number
}

const TCP_STATES = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV']
export const TCP_LISTEN = 0x0a
export const stateName = (s: ProcSocket): string => (s.proto.startsWith('tcp') ? TCP_STATES[s.state] ?? `state ${s.state}` : s.state === 1 ? 'connected' : `state ${s.state}`)

// ---- pure: /proc/net parsing ----

const HEX = /^[0-9A-Fa-f]+$/

/**
 * An address as /proc/net/{tcp,udp}[6] prints it: the bytes of each 32-bit word in host byte order
 * (8 hex digits for IPv4, 32 for IPv6). Returns the usual text form, or undefined when malformed.
 */
export function decodeAddress(hex: string, littleEndian: boolean = endianness() === 'LE'): string | undefined {
  if ((hex.length !== 8 && hex.length !== 32) || !HEX.test(hex)) return undefined
  const bytes: number[] = []
  for (let w = 0; w < hex.length; w += 8) {
    const word = [0, 2, 4, 6].map((i) => parseInt(hex.slice(w + i, w + i + 2), 16))
    bytes.push(...(littleEndian ? word.reverse() : word))
  }
  return bytes.length === 4 ? bytes.join('.') : formatIPv6(bytes)
}

function formatIPv6(b: readonly number[]): string {
  if (b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return `::ffff:${b.slice(12).join('.')}`
  const groups = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0))
  // The longest run of two or more zero groups becomes "::" (RFC 5952).
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) { best = i; bestLen = j - i }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (best < 0) return hex.join(':')
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`
}

function endpoint(field: string | undefined, littleEndian: boolean): { address: string; port: number } | undefined {
  const m = /^([0-9A-Fa-f]+):([0-9A-Fa-f]{4})$/.exec(field ?? '')
  if (m === null) return undefined
  const address = decodeAddress(m[1]!, littleEndian)
  return address === undefined ? undefined : { address, port: parseInt(m[2]!, 16) }
}

/** The sockets listed in the text of /proc/<pid>/net/<proto>; the header and malformed lines are skipped. */
export function parseProcNet(text: string, proto: Proto, littleEndian: boolean = endianness() === 'LE'): ProcSocket[] {
  const out: ProcSocket[] = []
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (!/^\d+:$/.test(f[0] ?? '')) continue
    const local = endpoint(f[1], littleEndian)
    const remote = endpoint(f[2], littleEndian)
    const state = /^[0-9A-Fa-f]{2}$/.test(f[3] ?? '') ? parseInt(f[3]!, 16) : NaN
    const inode = /^\d+$/.test(f[9] ?? '') ? Number(f[9]) : NaN
    if (local === undefined || remote === undefined || Number.isNaN(state) || Number.isNaN(inode)) continue
    out.push({ proto, localAddress: local.address, localPort: local.port, remoteAddress: remote.address, remotePort: remote.port, state, inode })
  }
  return out
}

/** The inode of a /proc/<pid>/fd/<n> link target "socket:[12345]"; undefined for anything else. */
export function socketInode(link: string): number | undefined {
  const m = /^socket:\[(\d+)\]$/.exec(link)
  return m === null ? undefined : Number(m[1])
}

export interface LoopbackOptions {
  /** Addresses treated as outside although they are loopback (to prove the guard can fail, e.g. 127.0.0.2). */
  readonly extraOutside?: readonly string[]
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
const isIPv4 = (a: string): boolean => { const m = IPV4.exec(a); return m !== null && m.slice(1).every((o) => Number(o) <= 255) }

/** 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 (IPv4-mapped 127/8); false for anything else, including garbage. */
export function isLoopback(address: string, o: LoopbackOptions = {}): boolean {
  if (typeof address !== 'string') return false
  const a = address.toLowerCase()
  if (o.extraOutside?.some((x) => x.toLowerCase() === a)) return false
  if (isIPv4(a)) return a.startsWith('127.')
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true
  const mapped = /^::ffff:(.+)$/.exec(a)
  return mapped !== null && isIPv4(mapped[1]!) && mapped[1]!.startsWith('127.')
}

const isUnspecified = (a: string): boolean => a === '0.0.0.0' || a === '::'

export interface OwnedSocket extends ProcSocket {
  readonly pid: number
  readonly command: string
}

/** True when `s` breaks the rule: not listening, with a peer, and that peer is not loopback. */
export function offLoopback(s: ProcSocket, o: LoopbackOptions = {}): boolean {
  if (s.proto.startsWith('tcp') && s.state === TCP_LISTEN) return false
  if (isUnspecified(s.remoteAddress) && s.remotePort === 0) return false
  return !isLoopback(s.remoteAddress, o)
}

export const describeSocket = (s: OwnedSocket): string =>
  `pid ${s.pid} (${s.command}) ${s.proto} ${s.localAddress}:${s.localPort} -> ${s.remoteAddress}:${s.remotePort} ${stateName(s)}`

/** The parent pid from the text of /proc/<pid>/stat ("pid (comm) state ppid ..."; comm may hold spaces and parentheses). */
export function parentPid(stat: string): number | undefined {
  const rest = stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/)
  const ppid = Number(rest[1])
  return stat.includes(')') && Number.isInteger(ppid) && ppid >= 0 ? ppid : undefined
}

/** `roots` and every process below them, given each process's parent. */
export function descendants(roots: Iterable<number>, parents: ReadonlyMap<number, number>): Set<number> {
  const children = new Map<number, number[]>()
  for (const [pid, ppid] of parents) children.set(ppid, [...(children.get(ppid) ?? []), pid])
  const seen = new Set<number>()
  const todo = [...roots]
  while (todo.length > 0) {
    const pid = todo.pop()!
    if (seen.has(pid)) continue
    seen.add(pid)
    todo.push(...(children.get(pid) ?? []))
  }
  return seen
}

// ---- pure: Services the API server may call ----

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Obj : {})
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : [])
const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const nameOf = (o: Obj): string => str(obj(o['metadata'])['name'])
const namespaceOf = (o: Obj): string => str(obj(o['metadata'])['namespace'])

export interface ClusterObjects {
  readonly validatingWebhookConfigurations: readonly unknown[]
  readonly mutatingWebhookConfigurations: readonly unknown[]
  readonly customResourceDefinitions: readonly unknown[]
  readonly apiServices: readonly unknown[]
  readonly services: readonly unknown[]
  readonly endpointSlices: readonly unknown[]
  readonly endpoints: readonly unknown[]
}

export interface ServiceReference { readonly namespace: string; readonly name: string; readonly by: string }

/** Every Service the API server may call: webhooks, CRD conversion webhooks, APIServices. */
export function calledServices(o: ClusterObjects): ServiceReference[] {
  const refs: ServiceReference[] = []
  const add = (service: unknown, by: string): void => {
    const s = obj(service)
    if (str(s['name']) !== '') refs.push({ namespace: str(s['namespace']), name: str(s['name']), by })
  }
  for (const [kind, list] of [['validatingwebhookconfiguration', o.validatingWebhookConfigurations], ['mutatingwebhookconfiguration', o.mutatingWebhookConfigurations]] as const) {
    for (const c of list.map(obj)) for (const w of arr(c['webhooks'])) add(obj(w['clientConfig'])['service'], `${kind}/${nameOf(c)} (webhook ${str(w['name'])})`)
  }
  for (const crd of o.customResourceDefinitions.map(obj)) add(obj(obj(obj(obj(crd['spec'])['conversion'])['webhook'])['clientConfig'])['service'], `customresourcedefinition/${nameOf(crd)} (conversion webhook)`)
  for (const a of o.apiServices.map(obj)) add(obj(a['spec'])['service'], `apiservice/${nameOf(a)}`)
  return refs
}

/**
 * One line for each Service the API server may call that it could reach off this machine: a ready
 * endpoint (EndpointSlice endpoint with addresses and ready not false, as kube-apiserver's
 * RandomEndpoint picks them; or an Endpoints address), or type ExternalName.
 */
export function dialableServices(o: ClusterObjects): string[] {
  const problems: string[] = []
  for (const ref of calledServices(o)) {
    const at = `${ref.by} calls service ${ref.namespace}/${ref.name}`
    const svc = o.services.map(obj).find((s) => namespaceOf(s) === ref.namespace && nameOf(s) === ref.name)
    if (svc !== undefined && str(obj(svc['spec'])['type']) === 'ExternalName') problems.push(`${at}, of type ExternalName (${str(obj(svc['spec'])['externalName'])})`)
    for (const slice of o.endpointSlices.map(obj)) {
      if (namespaceOf(slice) !== ref.namespace || str(obj(obj(slice['metadata'])['labels'])['kubernetes.io/service-name']) !== ref.name) continue
      for (const e of arr(slice['endpoints'])) {
        const addresses = Array.isArray(e['addresses']) ? e['addresses'].map(String) : []
        if (addresses.length > 0 && obj(e['conditions'])['ready'] !== false) problems.push(`${at}, which has a ready endpoint ${addresses.join(', ')} (endpointslice/${nameOf(slice)})`)
      }
    }
    for (const ep of o.endpoints.map(obj)) {
      if (namespaceOf(ep) !== ref.namespace || nameOf(ep) !== ref.name) continue
      const addresses = arr(ep['subsets']).flatMap((s) => arr(s['addresses']).map((a) => str(a['ip']) || str(a['hostname'])))
      if (addresses.length > 0) problems.push(`${at}, which has ready addresses ${addresses.join(', ')} (endpoints/${nameOf(ep)})`)
    }
  }
  return problems
}

// ---- reading /proc ----

const tryRead = (path: string): string | undefined => { try { return readFileSync(path, 'utf8') } catch { return undefined } }
const tryList = (path: string): string[] => { try { return readdirSync(path) } catch { return [] } }
const tryLink = (path: string): string | undefined => { try { return readlinkSync(path) } catch { return undefined } }

/** Every process's parent, from /proc/<pid>/stat. */
export function processParents(): Map<number, number> {
  const parents = new Map<number, number>()
  for (const entry of tryList('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const ppid = parentPid(tryRead(`/proc/${entry}/stat`) ?? '')
    if (ppid !== undefined) parents.set(Number(entry), ppid)
  }
  return parents
}

/**
 * The sockets held by `pids` (processes that are gone are skipped), each with its owner, read from
 * /proc/<pid>/fd and the /proc/<pid>/net tables of each network namespace involved.
 */
export function socketsOf(pids: Iterable<number>): OwnedSocket[] {
  const owner = new Map<number, number>()
  const byNamespace = new Map<string, number>()
  for (const pid of pids) {
    for (const fd of tryList(`/proc/${pid}/fd`)) {
      const inode = socketInode(tryLink(`/proc/${pid}/fd/${fd}`) ?? '')
      if (inode !== undefined && !owner.has(inode)) owner.set(inode, pid)
    }
    const ns = tryLink(`/proc/${pid}/ns/net`)
    if (ns !== undefined && !byNamespace.has(ns)) byNamespace.set(ns, pid)
  }
  const out: OwnedSocket[] = []
  for (const pid of byNamespace.values()) {
    for (const proto of PROTOS) {
      for (const s of parseProcNet(tryRead(`/proc/${pid}/net/${proto}`) ?? '', proto)) {
        const p = owner.get(s.inode)
        if (p !== undefined) out.push({ ...s, pid: p, command: (tryRead(`/proc/${p}/comm`) ?? '?').trim() })
      }
    }
  }
  return out
}

// ---- the guard ----

/** Something whose Services can be listed: Cluster.api of support/cluster.ts. */
export interface ApiClient {
  api(method: string, path: string): Promise<{ status: number; body: Record<string, unknown> }>
}

const trackedProcesses = new Map<number, string>()
const trackedClusters = new Set<ApiClient>()

/** Called by startService and startCluster: these processes are checked even if they leave the process tree. */
export function trackProcess(pid: number, name: string): void { trackedProcesses.set(pid, name) }
/** Once it has exited (its pid may be reused by a stranger). */
export function untrackProcess(pid: number): void { trackedProcesses.delete(pid) }
export function trackCluster(cluster: ApiClient): () => void {
  trackedClusters.add(cluster)
  return () => { trackedClusters.delete(cluster) }
}

async function clusterObjects(c: ApiClient): Promise<ClusterObjects> {
  const list = async (path: string): Promise<unknown[]> => {
    const r = await c.api('GET', path)
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status}`)
    return Array.isArray(r.body['items']) ? r.body['items'] : []
  }
  const [validatingWebhookConfigurations, mutatingWebhookConfigurations, customResourceDefinitions, apiServices, services, endpointSlices, endpoints] = await Promise.all([
    '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
    '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    '/apis/apiregistration.k8s.io/v1/apiservices',
    '/api/v1/services',
    '/apis/discovery.k8s.io/v1/endpointslices',
    '/api/v1/endpoints',
  ].map(list))
  return { validatingWebhookConfigurations: validatingWebhookConfigurations!, mutatingWebhookConfigurations: mutatingWebhookConfigurations!, customResourceDefinitions: customResourceDefinitions!, apiServices: apiServices!, services: services!, endpointSlices: endpointSlices!, endpoints: endpoints! }
}

export interface GuardOptions extends LoopbackOptions {
  /** Processes whose trees are checked besides the tracked ones (default: this process). */
  readonly roots?: readonly number[]
}

/** The state of one file's guard: what it looked at, and every violation seen (each once). */
export class NetworkGuard {
  samples = 0
  clusterChecks = 0
  readonly pids = new Set<number>()
  readonly connections = new Set<string>()
  readonly listening = new Set<string>()
  readonly violations = new Set<string>()

  constructor(private readonly options: GuardOptions = {}) {}

  /** One look at the sockets of the roots, the tracked processes and all their descendants. */
  sample(): void {
    this.samples++
    const roots = [...(this.options.roots ?? [process.pid]), ...trackedProcesses.keys()]
    const pids = descendants(roots, processParents())
    for (const pid of pids) this.pids.add(pid)
    for (const s of socketsOf(pids)) {
      if (offLoopback(s, this.options)) this.violations.add(`socket off loopback: ${describeSocket(s)}`)
      else if (s.proto.startsWith('tcp') && s.state === TCP_LISTEN) this.listening.add(`${s.localAddress}:${s.localPort}`)
      else if (!(isUnspecified(s.remoteAddress) && s.remotePort === 0)) this.connections.add(`${s.remoteAddress}`)
    }
  }

  /** The Services check on every tracked cluster; a cluster that cannot answer is a violation too. */
  async checkClusters(): Promise<void> {
    for (const c of trackedClusters) {
      this.clusterChecks++
      try {
        for (const p of dialableServices(await clusterObjects(c))) this.violations.add(`API server could dial off loopback: ${p}`)
      } catch (e) {
        this.violations.add(`cannot check the Services the API server calls: ${e instanceof Error ? e.message : String(e)}`)
      }
    }
  }

  async checkpoint(): Promise<void> {
    this.sample()
    await this.checkClusters()
  }

  /** undefined when clean; else the failure message, one violation a line. */
  failure(): string | undefined {
    if (this.violations.size === 0) return undefined
    return `network guard: ${this.violations.size} violation(s) of the loopback-only rule:\n${[...this.violations].map((v) => `  ${v}`).join('\n')}`
  }

  summary(): string {
    const list = (xs: Iterable<string>): string => [...new Set(xs)].sort().join(', ') || 'none'
    return `network guard: ${this.failure() === undefined ? 'clean' : 'FAILED'}: ${this.samples} socket samples of ${this.pids.size} processes, ` +
      `${this.clusterChecks} Service checks; ${this.listening.size} listening sockets on ${list([...this.listening].map((l) => l.replace(/:\d+$/, '')))}; peers seen: ${list(this.connections)}`
  }
}

let active: NetworkGuard | undefined
const SAMPLE_MS = 250

/** The guard of this file; the shared helpers refuse to start a cluster without one. */
export function activeGuard(): NetworkGuard | undefined { return active }

/** A look now (sockets and Services); the shared helpers call it before they stop their servers. */
export async function networkCheckpoint(): Promise<void> { await active?.checkpoint() }

interface TapLike {
  before(fn: () => Promise<void> | void): void
  afterEach(fn: () => Promise<void> | void): void
  teardown(fn: () => Promise<void> | void): void
}

/**
 * The guard for one e2e file. Call it first (before fileEnvironment/fileCluster/setup): it samples
 * every SAMPLE_MS from t.before on, checks after each subtest, and in its teardown (which tap runs
 * last) takes a final look, prints its summary and throws, failing the file, on any violation.
 */
export function guardNetwork(t: TapLike, options: GuardOptions = {}): NetworkGuard {
  const guard = new NetworkGuard(options)
  active = guard
  let timer: NodeJS.Timeout | undefined
  t.before(() => {
    guard.sample()
    timer = setInterval(() => guard.sample(), SAMPLE_MS)
    timer.unref()
  })
  t.afterEach(() => guard.checkpoint())
  t.teardown(() => {
    clearInterval(timer)
    guard.sample()
    console.error(`# ${guard.summary()}`)
    const failure = guard.failure()
    if (failure !== undefined) throw new Error(failure)
  })
  return guard
}
