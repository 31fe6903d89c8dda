// The table of newly added ephemeral containers that drives the unit suite and, in the e2e suite, the
// fidelity check against the real API server. `kubernetes` lists the messages Kubernetes' own
// validation gives (empty: Kubernetes accepts); `policy` the default policy's rules that are violated.
import { debugContainer, profileContainer, type Container, type Profile } from './reviews.js'

export interface ContainerCase {
  readonly name: string
  /** The check or rule this case is about; the completeness test wants an allow and a deny for each. */
  readonly about: string
  /** Containers appended to the pod, which already holds `existing`. */
  readonly added: Container[]
  readonly existing?: Container[]
  readonly kubernetes: readonly string[]
  readonly policy: readonly string[]
  /** Judged against the pod's containers, which the legacy EphemeralContainers object lacks. */
  readonly needsPodSpec?: boolean
  /** The API server never delivers this shape (it fails decoding first), so the e2e suite skips it. */
  readonly notSendable?: string
}

const FORBIDDEN = 'Forbidden: cannot be set for an Ephemeral Container'
const DNS_LABEL = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
const at = (i: number, rest: string): string => `spec.ephemeralContainers[${i}].${rest}`

const profileCases = (['legacy', 'general', 'baseline', 'restricted', 'netadmin', 'sysadmin'] as Profile[]).map((p): ContainerCase => ({
  name: `kubectl debug --profile=${p}`,
  about: p === 'netadmin' ? 'allowed-capabilities' : p === 'sysadmin' ? 'no-privileged' : 'profiles',
  added: [profileContainer(p)],
  kubernetes: [],
  policy: p === 'netadmin' ? ['allowed-capabilities', 'allowed-capabilities'] : p === 'sysadmin' ? ['no-privileged'] : [],
}))

export const containerCases: readonly ContainerCase[] = [
  ...profileCases,
  { name: 'a plain debug container', about: 'ephemeral-allow-list', added: [debugContainer()], kubernetes: [], policy: [] },
  { name: 'resources {} is the zero value', about: 'ephemeral-allow-list', added: [debugContainer({ resources: {} })], kubernetes: [], policy: [] },
  { name: 'ports are forbidden', about: 'ephemeral-allow-list', added: [debugContainer({ ports: [{ containerPort: 80, protocol: 'TCP' }] })], kubernetes: [at(0, `ports: ${FORBIDDEN}`)], policy: [] },
  { name: 'resources with limits are forbidden', about: 'ephemeral-allow-list', added: [debugContainer({ resources: { limits: { cpu: '1' } } })], kubernetes: [at(0, `resources: ${FORBIDDEN}`)], policy: [] },
  {
    name: 'probes and lifecycle are forbidden',
    about: 'ephemeral-allow-list',
    added: [debugContainer({
      livenessProbe: { exec: { command: ['true'] }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
      readinessProbe: { exec: { command: ['true'] }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
      startupProbe: { exec: { command: ['true'] }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
      lifecycle: { preStop: { exec: { command: ['true'] } } },
    })],
    kubernetes: [at(0, `livenessProbe: ${FORBIDDEN}`), at(0, `readinessProbe: ${FORBIDDEN}`), at(0, `startupProbe: ${FORBIDDEN}`), at(0, `lifecycle: ${FORBIDDEN}`)],
    policy: [],
  },
  { name: 'restartPolicy is forbidden', about: 'ephemeral-allow-list', added: [debugContainer({ restartPolicy: 'Always' })], kubernetes: [at(0, `restartPolicy: ${FORBIDDEN}`)], policy: [] },
  { name: 'resizePolicy is forbidden', about: 'ephemeral-allow-list', added: [debugContainer({ resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }] })], kubernetes: [at(0, `resizePolicy: ${FORBIDDEN}`)], policy: [] },
  { name: 'volumeMounts subPath is forbidden', about: 'ephemeral-allow-list', added: [debugContainer({ volumeMounts: [{ name: 'data', mountPath: '/data', subPath: 'cache' }] })], kubernetes: [at(0, `volumeMounts[0].subPath: ${FORBIDDEN}`)], policy: [] },
  { name: 'volumeMounts subPathExpr is forbidden', about: 'ephemeral-allow-list', added: [debugContainer({ volumeMounts: [{ name: 'data', mountPath: '/data', subPathExpr: '$(POD_NAME)' }] })], kubernetes: [at(0, `volumeMounts[0].subPathExpr: ${FORBIDDEN}`)], policy: [] },
  { name: 'a volume mount must name a pod volume', about: 'volume-mounts', needsPodSpec: true, added: [debugContainer({ volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] })], kubernetes: [at(0, 'volumeMounts[0].name: Not found: "scratch"')], policy: [] },
  { name: 'a volume mount of the service account token', about: 'volume-mounts', added: [debugContainer({ volumeMounts: [{ name: 'kube-api-access-x7k2p', mountPath: '/sa', readOnly: true }] })], kubernetes: [], policy: [] },
  { name: 'a volume mount without subPath is fine', about: 'volume-mounts', added: [debugContainer({ volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }] })], kubernetes: [], policy: [] },
  { name: 'an empty volumeDevices list', about: 'volume-devices', added: [debugContainer({ volumeDevices: [] })], kubernetes: [], policy: [] },
  { name: 'a volume device must be a PersistentVolumeClaim or Ephemeral volume', about: 'volume-devices', needsPodSpec: true, added: [debugContainer({ volumeDevices: [{ name: 'data', devicePath: '/dev/xvda' }] })], kubernetes: [at(0, 'volumeDevices[0].name: Invalid value: "data": can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode')], policy: [] },
  { name: 'a volume device must name a pod volume', about: 'volume-devices', needsPodSpec: true, added: [debugContainer({ volumeDevices: [{ name: 'scratch', devicePath: '/dev/xvda' }] })], kubernetes: [at(0, 'volumeDevices[0].name: Not found: "scratch"')], policy: [] },
  {
    name: 'volume devices need a unique name and a devicePath without backsteps',
    about: 'volume-devices',
    needsPodSpec: true,
    added: [debugContainer({ volumeDevices: [{ name: 'x', devicePath: '' }, { name: 'x', devicePath: '/dev/../sda' }] })],
    kubernetes: [
      at(0, 'volumeDevices[0].name: Not found: "x"'), at(0, 'volumeDevices[0].devicePath: Required value'),
      at(0, 'volumeDevices[1].name: Invalid value: "x": must be unique'), at(0, 'volumeDevices[1].name: Not found: "x"'),
      at(0, 'volumeDevices[1].devicePath: Invalid value: "/dev/../sda": can not contain backsteps (\'..\')'),
    ],
    policy: [],
  },
  { name: 'env: plain values and a downward API field', about: 'env', added: [debugContainer({ env: [{ name: 'DEBUG', value: '1' }, { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }] })], kubernetes: [], policy: [] },
  {
    name: "env: a name with '=' and a valueFrom without a source",
    about: 'env',
    added: [debugContainer({ env: [{ name: 'A=B', value: '1' }, { name: 'V', valueFrom: {} }] })],
    kubernetes: [
      at(0, "env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='"),
      at(0, 'env[1].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`'),
    ],
    policy: [],
  },
  { name: 'envFrom a ConfigMap with a prefix', about: 'env-from', added: [debugContainer({ envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'cart-config' } }] })], kubernetes: [], policy: [] },
  { name: 'envFrom without a source', about: 'env-from', added: [debugContainer({ envFrom: [{ prefix: 'P_' }] })], kubernetes: [at(0, 'envFrom: Invalid value: "": must specify one of: `configMapRef` or `secretRef`')], policy: [] },
  { name: 'a securityContext in range', about: 'security-context', added: [debugContainer({ securityContext: { runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } } })], kubernetes: [], policy: [] },
  {
    name: 'a negative runAsUser and a Localhost seccomp profile without a profile',
    about: 'security-context',
    added: [debugContainer({ securityContext: { runAsUser: -1, seccompProfile: { type: 'Localhost' } } })],
    kubernetes: [
      at(0, 'securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive'),
      at(0, 'securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost'),
    ],
    policy: [],
  },
  { name: 'hostProcess false in a pod without spec.os', about: 'host-process', needsPodSpec: true, added: [debugContainer({ securityContext: { windowsOptions: { hostProcess: false } } })], kubernetes: [], policy: [] },
  {
    name: 'one hostProcess container among ordinary ones',
    about: 'host-process',
    needsPodSpec: true,
    added: [debugContainer({ securityContext: { windowsOptions: { hostProcess: true } } })],
    kubernetes: ['spec: Invalid value: "": If pod contains any hostProcess containers then all containers must be HostProcess containers', 'spec.hostNetwork: Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers'],
    policy: ['no-privileged-equivalents'],
  },
  { name: 'fileKeyRef on an emptyDir volume', about: 'file-key-ref-volumes', needsPodSpec: true, added: [debugContainer({ env: [{ name: 'T', valueFrom: { fileKeyRef: { volumeName: 'data', path: 'app.env', key: 'T' } } }] })], kubernetes: [], policy: [] },
  {
    name: 'fileKeyRef on a volume that is no emptyDir',
    about: 'file-key-ref-volumes',
    needsPodSpec: true,
    added: [debugContainer({ env: [{ name: 'T', valueFrom: { fileKeyRef: { volumeName: 'kube-api-access-x7k2p', path: 'app.env', key: 'T' } } }] })],
    kubernetes: [at(0, 'env[0].valueFrom.fileKeyRef.volumeName: Invalid value: "kube-api-access-x7k2p": referenced volume must be of type emptyDir')],
    policy: [],
  },
  { name: 'the name must be a DNS-1123 label', about: 'container-name', added: [debugContainer({ name: 'Debug_1' })], kubernetes: [at(0, `name: Invalid value: "Debug_1": ${DNS_LABEL}`)], policy: [] },
  { name: 'the name must be at most 63 characters', about: 'container-name', added: [debugContainer({ name: 'd'.repeat(64) })], kubernetes: [at(0, `name: Invalid value: "${'d'.repeat(64)}": must be no more than 63 characters`)], policy: [] },
  { name: 'the image is required', about: 'container-image', added: [debugContainer({ image: '' })], kubernetes: [at(0, 'image: Required value')], policy: [] },
  { name: 'the image has no surrounding whitespace', about: 'image-whitespace', added: [debugContainer({ image: ' busybox' })], kubernetes: [at(0, 'image: Invalid value: " busybox": must not have leading or trailing whitespace')], policy: [] },
  { name: 'imagePullPolicy must be supported', about: 'image-pull-policy', added: [debugContainer({ imagePullPolicy: 'Sometimes' })], kubernetes: [at(0, 'imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"')], policy: [] },
  { name: 'a name used by a container is a duplicate', needsPodSpec: true, about: 'unique-names', added: [debugContainer({ name: 'cart' })], kubernetes: [at(0, 'name: Duplicate value: "cart"')], policy: [] },
  { name: 'a name used by an init container is a duplicate', needsPodSpec: true, about: 'unique-names', added: [debugContainer({ name: 'migrate' })], kubernetes: [at(0, 'name: Duplicate value: "migrate"')], policy: [] },
  { name: 'two new containers with one name', about: 'unique-names', added: [debugContainer({ name: 'dbg' }), debugContainer({ name: 'dbg' })], kubernetes: [at(1, 'name: Duplicate value: "dbg"')], policy: [] },
  { name: 'a second debug container with a fresh name', about: 'unique-names', existing: [debugContainer({ name: 'debugger-aaaaa' })], added: [debugContainer({ name: 'debugger-bbbbb' })], kubernetes: [], policy: [] },
  { name: 'the target may be an init container', needsPodSpec: true, about: 'target-container', added: [debugContainer({ targetContainerName: 'migrate' })], kubernetes: [], policy: [] },
  { name: 'the target must exist', needsPodSpec: true, about: 'target-container', added: [debugContainer({ targetContainerName: 'nope' })], kubernetes: [at(0, 'targetContainerName: Not found: "nope"')], policy: [] },
  { name: 'the target may not be an ephemeral container', needsPodSpec: true, about: 'target-container', existing: [debugContainer({ name: 'debugger-aaaaa' })], added: [debugContainer({ name: 'debugger-bbbbb', targetContainerName: 'debugger-aaaaa' })], kubernetes: [at(1, 'targetContainerName: Not found: "debugger-aaaaa"')], policy: [] },
  { name: 'privilege escalation is denied', about: 'no-privilege-escalation', added: [debugContainer({ securityContext: { allowPrivilegeEscalation: true } })], kubernetes: [], policy: ['no-privilege-escalation'] },
  { name: 'privilege escalation false is fine', about: 'no-privilege-escalation', added: [debugContainer({ securityContext: { allowPrivilegeEscalation: false } })], kubernetes: [], policy: [] },
  { name: 'privileged false is fine', about: 'no-privileged', added: [debugContainer({ securityContext: { privileged: false } })], kubernetes: [], policy: [] },
  { name: 'SYS_PTRACE is the one capability allowed', about: 'allowed-capabilities', added: [debugContainer({ securityContext: { capabilities: { add: ['SYS_PTRACE'], drop: ['ALL'] } } })], kubernetes: [], policy: [] },
  { name: 'SYS_ADMIN is not', about: 'allowed-capabilities', added: [debugContainer({ securityContext: { capabilities: { add: ['SYS_PTRACE', 'SYS_ADMIN'] } } })], kubernetes: [], policy: ['allowed-capabilities'] },
  { name: 'seccomp and AppArmor RuntimeDefault, SELinux container_t are fine', about: 'no-privileged-equivalents', added: [debugContainer({ securityContext: { seccompProfile: { type: 'RuntimeDefault' }, appArmorProfile: { type: 'RuntimeDefault' }, seLinuxOptions: { type: 'container_t' } } })], kubernetes: [], policy: [] },
  { name: 'seccomp Unconfined is privileged-equivalent', about: 'no-privileged-equivalents', added: [debugContainer({ securityContext: { seccompProfile: { type: 'Unconfined' } } })], kubernetes: [], policy: ['no-privileged-equivalents'] },
  { name: 'AppArmor Unconfined and SELinux spc_t are privileged-equivalent', about: 'no-privileged-equivalents', added: [debugContainer({ securityContext: { appArmorProfile: { type: 'Unconfined' }, seLinuxOptions: { type: 'spc_t' } } })], kubernetes: [], policy: ['no-privileged-equivalents', 'no-privileged-equivalents'] },
  { name: 'an image reference that parses', about: 'image-reference', added: [debugContainer({ image: 'registry.example.com:5000/debug/tools:1.2@sha256:' + 'a'.repeat(64) })], kubernetes: [], policy: [] },
  { name: 'an image reference with upper case is refused', about: 'image-reference', added: [debugContainer({ image: 'BusyBox' })], kubernetes: [], policy: ['image-reference'] },
  { name: 'an image reference with a bad digest is refused', about: 'image-reference', added: [debugContainer({ image: 'busybox@sha256:abc' })], kubernetes: [], policy: ['image-reference'] },
  {
    name: 'every violation of every new container is listed',
    about: 'ephemeral-allow-list',
    added: [debugContainer({ name: 'one', ports: [{ containerPort: 1, protocol: 'TCP' }], securityContext: { privileged: true } }), debugContainer({ name: 'two', image: 'NOPE', imagePullPolicy: 'Sometimes' })],
    kubernetes: [at(0, `ports: ${FORBIDDEN}`), at(1, 'imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"')],
    policy: ['no-privileged', 'image-reference'],
  },
  { name: 'a name with dots', about: 'container-name', added: [debugContainer({ name: 'debug.tools' })], kubernetes: [at(0, 'name: Invalid value: "debug.tools": must not contain dots')], policy: [] },
  { name: 'a DNS-1123 label name', about: 'container-name', added: [debugContainer({ name: 'debug-1' })], kubernetes: [], policy: [] },
  { name: 'an image is given', about: 'container-image', added: [debugContainer({ image: 'alpine:3.20' })], kubernetes: [], policy: [] },
  { name: 'a leading U+FEFF is no whitespace to Go', about: 'image-whitespace', added: [debugContainer({ image: '\ufeffbusybox:1.36' })], kubernetes: [], policy: ['image-reference'] },
  { name: 'a trailing U+0085 is whitespace to Go', about: 'image-whitespace', added: [debugContainer({ image: 'busybox:1.36\u0085' })], kubernetes: [at(0, 'image: Invalid value: "busybox:1.36\\u0085": must not have leading or trailing whitespace')], policy: [] },
  { name: 'imagePullPolicy Never', about: 'image-pull-policy', added: [debugContainer({ imagePullPolicy: 'Never' })], kubernetes: [], policy: [] },
  { name: 'terminationMessagePolicy FallbackToLogsOnError', about: 'termination-message-policy', added: [debugContainer({ terminationMessagePolicy: 'FallbackToLogsOnError' })], kubernetes: [], policy: [] },
  { name: 'terminationMessagePolicy must be supported, <>& escaped as JSON', about: 'termination-message-policy', added: [debugContainer({ terminationMessagePolicy: '<File>' })], kubernetes: [at(0, 'terminationMessagePolicy: Unsupported value: "\\u003cFile\\u003e": supported values: "File", "FallbackToLogsOnError"')], policy: [] },
  { name: 'no ports', about: 'container-ports', added: [debugContainer({ ports: null })], kubernetes: [], policy: [] },
  { name: 'resources null', about: 'container-resources', added: [debugContainer({ resources: null })], kubernetes: [], policy: [] },
  { name: 'resizePolicy null', about: 'resize-policy', added: [debugContainer({ resizePolicy: null })], kubernetes: [], policy: [] },
  { name: 'an image without surrounding whitespace', about: 'image-whitespace', added: [debugContainer({ image: 'busybox:1.36' })], kubernetes: [], policy: [] },
  { name: 'valid ports are only forbidden', about: 'container-ports', added: [debugContainer({ ports: [{ name: 'http', containerPort: 8080, protocol: 'UDP' }] })], kubernetes: [at(0, `ports: ${FORBIDDEN}`)], policy: [] },
  {
    name: 'ports are validated, then forbidden',
    about: 'container-ports',
    added: [debugContainer({ ports: [{ name: 'HTTP', containerPort: 0, hostPort: 70000, protocol: 'ICMP' }] })],
    kubernetes: [
      at(0, 'ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'),
      at(0, 'ports[0].name: Invalid value: "HTTP": must contain at least one letter (a-z)'),
      at(0, 'ports[0].containerPort: Required value'),
      at(0, 'ports[0].hostPort: Invalid value: 70000: must be between 1 and 65535, inclusive'),
      at(0, 'ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'),
      at(0, `ports: ${FORBIDDEN}`),
    ],
    policy: [],
  },
  { name: 'valid resources are only forbidden', about: 'container-resources', added: [debugContainer({ resources: { limits: { cpu: '1' }, requests: { cpu: '500m' } } })], kubernetes: [at(0, `resources: ${FORBIDDEN}`)], policy: [] },
  { name: 'a request above its limit', about: 'container-resources', added: [debugContainer({ resources: { limits: { memory: '1Gi' }, requests: { memory: '2048Mi' } } })], kubernetes: [at(0, 'resources.requests: Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi'), at(0, `resources: ${FORBIDDEN}`)], policy: [] },
  { name: 'a valid resizePolicy is only forbidden', about: 'resize-policy', added: [debugContainer({ resizePolicy: [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }] })], kubernetes: [at(0, `resizePolicy: ${FORBIDDEN}`)], policy: [] },
  { name: 'a resizePolicy for an unknown resource', about: 'resize-policy', added: [debugContainer({ resizePolicy: [{ resourceName: 'gpu', restartPolicy: 'NotRequired' }] })], kubernetes: [at(0, 'resizePolicy: Unsupported value: "gpu": supported values: "cpu", "memory"'), at(0, `resizePolicy: ${FORBIDDEN}`)], policy: [] },
  {
    name: "a subPath with '..', reported at volumeMounts.subPath",
    about: 'volume-mounts',
    added: [debugContainer({ volumeMounts: [{ name: 'data', mountPath: '/data', subPath: '../etc' }] })],
    kubernetes: [at(0, "volumeMounts.subPath: Invalid value: \"../etc\": must not contain '..'"), at(0, `volumeMounts[0].subPath: ${FORBIDDEN}`)],
    policy: [],
  },
]
