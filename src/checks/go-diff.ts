// The diff Kubernetes appends to "may not be changed" (ValidatePodEphemeralContainersUpdate): both
// ephemeral containers as the API server's internal Go structs, marshalled by encoding/json with a
// one-space indent (Go field names, every field, nil as null, map keys sorted, HTML characters
// escaped), compared line by line in a unified diff with three lines of context and no file header
// (the shape of difflib's unified_diff, whose SequenceMatcher this file follows).
import { isJsonObject, type JsonObject, type JsonValue } from '../kube/types.js'
import { goJson } from '../kube/go-text.js'
import { quantityOf, quantityString } from './support/quantity.js'

// ---- the internal structs, as far as an ephemeral container carries them ----

type Kind =
  | 'string' | 'bool' | 'int' | 'ptr' | 'strings' | 'quantities' | 'intOrString' | 'quantity' | 'raw'
  | { readonly struct: string; readonly ptr?: true } | { readonly slice: Kind }

/** [Go field name, v1 JSON name ('' for an embedded struct flattened into its parent), kind]. */
type Field = readonly [string, string, Kind]

const s = (go: string, json: string): Field => [go, json, 'string']
const b = (go: string, json: string): Field => [go, json, 'bool']
const i = (go: string, json: string): Field => [go, json, 'int']
const p = (go: string, json: string): Field => [go, json, 'ptr']
const ptr = (go: string, json: string, struct: string): Field => [go, json, { struct, ptr: true }]
const list = (go: string, json: string, struct: string): Field => [go, json, { slice: { struct } }]

const HANDLER: readonly Field[] = [ptr('Exec', 'exec', 'ExecAction'), ptr('HTTPGet', 'httpGet', 'HTTPGetAction'), ptr('TCPSocket', 'tcpSocket', 'TCPSocketAction')]

const STRUCTS: Readonly<Record<string, readonly Field[]>> = {
  EphemeralContainer: [
    s('Name', 'name'), s('Image', 'image'), ['Command', 'command', 'strings'], ['Args', 'args', 'strings'], s('WorkingDir', 'workingDir'),
    list('Ports', 'ports', 'ContainerPort'), list('EnvFrom', 'envFrom', 'EnvFromSource'), list('Env', 'env', 'EnvVar'),
    ['Resources', 'resources', { struct: 'ResourceRequirements' }], list('ResizePolicy', 'resizePolicy', 'ContainerResizePolicy'),
    p('RestartPolicy', 'restartPolicy'), ['RestartPolicyRules', 'restartPolicyRules', 'raw'], list('VolumeMounts', 'volumeMounts', 'VolumeMount'),
    list('VolumeDevices', 'volumeDevices', 'VolumeDevice'), ptr('LivenessProbe', 'livenessProbe', 'Probe'), ptr('ReadinessProbe', 'readinessProbe', 'Probe'),
    ptr('StartupProbe', 'startupProbe', 'Probe'), ptr('Lifecycle', 'lifecycle', 'Lifecycle'), s('TerminationMessagePath', 'terminationMessagePath'),
    s('TerminationMessagePolicy', 'terminationMessagePolicy'), s('ImagePullPolicy', 'imagePullPolicy'), ptr('SecurityContext', 'securityContext', 'SecurityContext'),
    b('Stdin', 'stdin'), b('StdinOnce', 'stdinOnce'), b('TTY', 'tty'), s('TargetContainerName', 'targetContainerName'),
  ],
  ContainerPort: [s('Name', 'name'), i('HostPort', 'hostPort'), i('ContainerPort', 'containerPort'), s('Protocol', 'protocol'), s('HostIP', 'hostIP')],
  EnvFromSource: [s('Prefix', 'prefix'), ptr('ConfigMapRef', 'configMapRef', 'ConfigMapEnvSource'), ptr('SecretRef', 'secretRef', 'SecretEnvSource')],
  ConfigMapEnvSource: [s('Name', 'name'), p('Optional', 'optional')],
  SecretEnvSource: [s('Name', 'name'), p('Optional', 'optional')],
  EnvVar: [s('Name', 'name'), s('Value', 'value'), ptr('ValueFrom', 'valueFrom', 'EnvVarSource')],
  EnvVarSource: [ptr('FieldRef', 'fieldRef', 'ObjectFieldSelector'), ptr('ResourceFieldRef', 'resourceFieldRef', 'ResourceFieldSelector'),
    ptr('ConfigMapKeyRef', 'configMapKeyRef', 'ConfigMapKeySelector'), ptr('SecretKeyRef', 'secretKeyRef', 'SecretKeySelector'), ptr('FileKeyRef', 'fileKeyRef', 'FileKeySelector')],
  ObjectFieldSelector: [s('APIVersion', 'apiVersion'), s('FieldPath', 'fieldPath')],
  ResourceFieldSelector: [s('ContainerName', 'containerName'), s('Resource', 'resource'), ['Divisor', 'divisor', 'quantity']],
  ConfigMapKeySelector: [s('Name', 'name'), s('Key', 'key'), p('Optional', 'optional')],
  SecretKeySelector: [s('Name', 'name'), s('Key', 'key'), p('Optional', 'optional')],
  FileKeySelector: [s('VolumeName', 'volumeName'), s('Path', 'path'), s('Key', 'key'), p('Optional', 'optional')],
  ResourceRequirements: [['Limits', 'limits', 'quantities'], ['Requests', 'requests', 'quantities'], list('Claims', 'claims', 'ResourceClaim')],
  ResourceClaim: [s('Name', 'name'), s('Request', 'request')],
  ContainerResizePolicy: [s('ResourceName', 'resourceName'), s('RestartPolicy', 'restartPolicy')],
  VolumeMount: [s('Name', 'name'), b('ReadOnly', 'readOnly'), p('RecursiveReadOnly', 'recursiveReadOnly'), s('MountPath', 'mountPath'), s('SubPath', 'subPath'),
    p('MountPropagation', 'mountPropagation'), s('SubPathExpr', 'subPathExpr'), ['BindMountOptions', 'bindMountOptions', 'raw']],
  VolumeDevice: [s('Name', 'name'), s('DevicePath', 'devicePath')],
  SecurityContext: [ptr('Capabilities', 'capabilities', 'Capabilities'), p('Privileged', 'privileged'), ptr('SELinuxOptions', 'seLinuxOptions', 'SELinuxOptions'),
    ptr('WindowsOptions', 'windowsOptions', 'WindowsSecurityContextOptions'), p('RunAsUser', 'runAsUser'), p('RunAsGroup', 'runAsGroup'), p('RunAsNonRoot', 'runAsNonRoot'),
    p('ReadOnlyRootFilesystem', 'readOnlyRootFilesystem'), p('AllowPrivilegeEscalation', 'allowPrivilegeEscalation'), p('ProcMount', 'procMount'),
    ptr('SeccompProfile', 'seccompProfile', 'SeccompProfile'), ptr('AppArmorProfile', 'appArmorProfile', 'AppArmorProfile')],
  Capabilities: [['Add', 'add', 'strings'], ['Drop', 'drop', 'strings']],
  SELinuxOptions: [s('User', 'user'), s('Role', 'role'), s('Type', 'type'), s('Level', 'level')],
  WindowsSecurityContextOptions: [p('GMSACredentialSpecName', 'gmsaCredentialSpecName'), p('GMSACredentialSpec', 'gmsaCredentialSpec'), p('RunAsUserName', 'runAsUserName'), p('HostProcess', 'hostProcess')],
  SeccompProfile: [s('Type', 'type'), p('LocalhostProfile', 'localhostProfile')],
  AppArmorProfile: [s('Type', 'type'), p('LocalhostProfile', 'localhostProfile')],
  Probe: [...HANDLER, ptr('GRPC', 'grpc', 'GRPCAction'), i('InitialDelaySeconds', 'initialDelaySeconds'), i('TimeoutSeconds', 'timeoutSeconds'),
    i('PeriodSeconds', 'periodSeconds'), i('SuccessThreshold', 'successThreshold'), i('FailureThreshold', 'failureThreshold'), p('TerminationGracePeriodSeconds', 'terminationGracePeriodSeconds')],
  Lifecycle: [ptr('PostStart', 'postStart', 'LifecycleHandler'), ptr('PreStop', 'preStop', 'LifecycleHandler'), p('StopSignal', 'stopSignal')],
  LifecycleHandler: [...HANDLER, ptr('Sleep', 'sleep', 'SleepAction')],
  SleepAction: [i('Seconds', 'seconds')],
  ExecAction: [['Command', 'command', 'strings']],
  HTTPGetAction: [s('Path', 'path'), ['Port', 'port', 'intOrString'], s('Host', 'host'), s('Scheme', 'scheme'), list('HTTPHeaders', 'httpHeaders', 'HTTPHeader')],
  HTTPHeader: [s('Name', 'name'), s('Value', 'value')],
  TCPSocketAction: [['Port', 'port', 'intOrString'], s('Host', 'host')],
  GRPCAction: [i('Port', 'port'), p('Service', 'service')],
}

// ---- encoding/json.MarshalIndent(v, "", " ") of the Go value the JSON decodes to ----

type GoValue = null | string | number | boolean | readonly GoValue[] | { readonly entries: ReadonlyArray<readonly [string, GoValue]> }

function goValueOf(v: JsonValue | undefined, kind: Kind): GoValue {
  if (kind === 'string') return typeof v === 'string' ? v : ''
  if (kind === 'bool') return v === true
  if (kind === 'int') return typeof v === 'number' ? v : 0
  if (kind === 'ptr' || kind === 'intOrString') return v === undefined || v === null ? (kind === 'ptr' ? null : 0) : v as GoValue
  if (kind === 'strings') return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : '')) : null
  if (kind === 'quantity') {
    const q = quantityOf(v)
    return q === undefined ? '0' : quantityString(q)
  }
  if (kind === 'quantities') {
    if (!isJsonObject(v)) return null
    return { entries: Object.keys(v).sort().map((k) => [k, goValueOf(v[k], 'quantity')] as const) }
  }
  if (kind === 'raw') return v === undefined ? null : rawOf(v)
  if ('slice' in kind) return Array.isArray(v) ? v.map((x) => goValueOf(x, kind.slice)) : null
  if (kind.ptr && (v === undefined || v === null)) return null
  const o: JsonObject = isJsonObject(v) ? v : {}
  return { entries: STRUCTS[kind.struct]!.map(([go, json, k]) => [go, goValueOf(o[json], k)] as const) }
}

/** A value without a known struct: JSON as it came, map keys sorted as encoding/json sorts them. */
const rawOf = (v: JsonValue): GoValue =>
  Array.isArray(v) ? v.map(rawOf) : isJsonObject(v) ? { entries: Object.keys(v).sort().map((k) => [k, rawOf(v[k]!)] as const) } : v

function marshalIndent(v: GoValue, indent: string, out: string[], prefix: string, suffix: string): void {
  if (v === null || typeof v !== 'object') {
    out.push(`${indent}${prefix}${typeof v === 'string' ? goJson(v) : String(v)}${suffix}`)
    return
  }
  const items: ReadonlyArray<readonly [string | undefined, GoValue]> = Array.isArray(v) ? (v as GoValue[]).map((x) => [undefined, x] as const) : (v as { entries: ReadonlyArray<readonly [string, GoValue]> }).entries
  const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}']
  if (items.length === 0) {
    out.push(`${indent}${prefix}${open}${close}${suffix}`)
    return
  }
  out.push(`${indent}${prefix}${open}`)
  items.forEach(([key, x], n) => marshalIndent(x, `${indent} `, out, key === undefined ? '' : `${goJson(key)}: `, n === items.length - 1 ? '' : ','))
  out.push(`${indent}${close}${suffix}`)
}

/** The lines of an ephemeral container as the API server's internal struct, marshalled with a one-space indent. */
export function internalLines(container: JsonValue): string[] {
  const out: string[] = []
  marshalIndent(goValueOf(container, { struct: 'EphemeralContainer' }), '', out, '', '')
  return out
}

// ---- difflib: SequenceMatcher and unified_diff ----

type Block = readonly [number, number, number]
type Opcode = readonly ['equal' | 'replace' | 'delete' | 'insert', number, number, number, number]

function matchingBlocks(a: readonly string[], b: readonly string[]): Block[] {
  const b2j = new Map<string, number[]>()
  b.forEach((line, j) => { const l = b2j.get(line); if (l) l.push(j); else b2j.set(line, [j]) })
  if (b.length >= 200) {
    const ntest = Math.floor(b.length / 100) + 1
    for (const [line, idxs] of b2j) if (idxs.length > ntest) b2j.delete(line)
  }
  const longest = (alo: number, ahi: number, blo: number, bhi: number): Block => {
    let [besti, bestj, bestsize] = [alo, blo, 0]
    let j2len = new Map<number, number>()
    for (let x = alo; x < ahi; x++) {
      const next = new Map<number, number>()
      for (const j of b2j.get(a[x]!) ?? []) {
        if (j < blo) continue
        if (j >= bhi) break
        const k = (j2len.get(j - 1) ?? 0) + 1
        next.set(j, k)
        if (k > bestsize) [besti, bestj, bestsize] = [x - k + 1, j - k + 1, k]
      }
      j2len = next
    }
    while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) { besti--; bestj--; bestsize++ }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) bestsize++
    return [besti, bestj, bestsize]
  }
  const queue: Array<readonly [number, number, number, number]> = [[0, a.length, 0, b.length]]
  const found: Block[] = []
  while (queue.length > 0) {
    const [alo, ahi, blo, bhi] = queue.pop()!
    const m = longest(alo, ahi, blo, bhi)
    const [x, y, k] = m
    if (k > 0) {
      found.push(m)
      if (alo < x && blo < y) queue.push([alo, x, blo, y])
      if (x + k < ahi && y + k < bhi) queue.push([x + k, ahi, y + k, bhi])
    }
  }
  found.sort((l, r) => l[0] - r[0] || l[1] - r[1] || l[2] - r[2])
  const merged: Block[] = []
  let [i1, j1, k1] = [0, 0, 0]
  for (const [i2, j2, k2] of found) {
    if (i1 + k1 === i2 && j1 + k1 === j2) k1 += k2
    else {
      if (k1 > 0) merged.push([i1, j1, k1])
      ;[i1, j1, k1] = [i2, j2, k2]
    }
  }
  if (k1 > 0) merged.push([i1, j1, k1])
  merged.push([a.length, b.length, 0])
  return merged
}

function opcodes(a: readonly string[], b: readonly string[]): Opcode[] {
  let [x, y] = [0, 0]
  const out: Opcode[] = []
  for (const [ai, bj, size] of matchingBlocks(a, b)) {
    const tag = x < ai && y < bj ? 'replace' : x < ai ? 'delete' : y < bj ? 'insert' : undefined
    if (tag) out.push([tag, x, ai, y, bj])
    ;[x, y] = [ai + size, bj + size]
    if (size > 0) out.push(['equal', ai, x, bj, y])
  }
  return out
}

function groupedOpcodes(a: readonly string[], b: readonly string[], n = 3): Opcode[][] {
  const codes = opcodes(a, b)
  if (codes.length === 0) codes.push(['equal', 0, 1, 0, 1])
  const first = codes[0]!
  if (first[0] === 'equal') codes[0] = ['equal', Math.max(first[1], first[2] - n), first[2], Math.max(first[3], first[4] - n), first[4]]
  const last = codes[codes.length - 1]!
  if (last[0] === 'equal') codes[codes.length - 1] = ['equal', last[1], Math.min(last[2], last[1] + n), last[3], Math.min(last[4], last[3] + n)]
  const groups: Opcode[][] = []
  let group: Opcode[] = []
  for (const code of codes) {
    let [tag, i1, i2, j1, j2] = code
    if (tag === 'equal' && i2 - i1 > 2 * n) {
      group.push([tag, i1, Math.min(i2, i1 + n), j1, Math.min(j2, j1 + n)])
      groups.push(group)
      group = []
      ;[i1, j1] = [Math.max(i1, i2 - n), Math.max(j1, j2 - n)]
    }
    group.push([tag, i1, i2, j1, j2])
  }
  if (group.length > 0 && !(group.length === 1 && group[0]![0] === 'equal')) groups.push(group)
  return groups
}

const range = (start: number, stop: number): string => {
  const length = stop - start
  if (length === 1) return `${start + 1}`
  return `${length === 0 ? start : start + 1},${length}`
}

/** The unified diff of two line lists, every line ending in "\n", no file header. */
export function unifiedDiff(a: readonly string[], b: readonly string[]): string {
  let out = ''
  for (const group of groupedOpcodes(a, b)) {
    const first = group[0]!
    const last = group[group.length - 1]!
    out += `@@ -${range(first[1], last[2])} +${range(first[3], last[4])} @@\n`
    for (const [tag, i1, i2, j1, j2] of group) {
      if (tag === 'equal') { for (const l of a.slice(i1, i2)) out += ` ${l}\n`; continue }
      if (tag === 'replace' || tag === 'delete') for (const l of a.slice(i1, i2)) out += `-${l}\n`
      if (tag === 'replace' || tag === 'insert') for (const l of b.slice(j1, j2)) out += `+${l}\n`
    }
  }
  return out
}

/**
 * Bounded work: the matching is superlinear in the lines, and a changed container can be megabytes
 * (the body limit is 7 MiB). Past this many lines on either side, the diff is left out, and said to
 * be; a denial shows at most 1 KiB of each violation anyway.
 */
export const MAX_DIFF_LINES = 4000

/** Kubernetes' diff of a stored ephemeral container and its changed form. */
export function containerDiff(before: JsonValue, after: JsonValue): string {
  const a = internalLines(before)
  const b = internalLines(after)
  if (a.length > MAX_DIFF_LINES || b.length > MAX_DIFF_LINES) return `(diff of ${a.length} and ${b.length} lines left out by ephemeral-guard: longer than ${MAX_DIFF_LINES} lines)\n`
  return unifiedDiff(a, b)
}
