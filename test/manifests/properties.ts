// The install's contract, as a list of problems found in a set of Kubernetes objects: used on the
// raw manifests (unit tests) and on what `kubectl kustomize` renders (test/e2e/manifests.test.ts).
// An empty list means every property the issue asks for holds.
import { X509Certificate } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import { serviceDnsNames, SECRET_NAME } from '../../src/certs/self-managed.js'

export interface Metadata {
  name: string
  namespace?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}
export interface K8sObject {
  apiVersion: string
  kind: string
  metadata: Metadata
  [field: string]: unknown
}

interface Probe { httpGet?: { path?: string; port?: string | number; scheme?: string }; periodSeconds?: number; timeoutSeconds?: number; failureThreshold?: number }
interface Container {
  name: string
  image?: string
  args?: string[]
  command?: string[]
  ports?: Array<{ name?: string; containerPort: number }>
  readinessProbe?: Probe
  livenessProbe?: Probe
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> }
  securityContext?: { runAsNonRoot?: boolean; readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; privileged?: boolean; capabilities?: { drop?: string[]; add?: string[] }; seccompProfile?: { type?: string } }
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string; subPathExpr?: string; readOnly?: boolean }>
}
interface PodSpec {
  serviceAccountName?: string
  priorityClassName?: string
  terminationGracePeriodSeconds?: number
  hostNetwork?: boolean
  hostPID?: boolean
  hostIPC?: boolean
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type?: string } }
  topologySpreadConstraints?: Array<{ topologyKey: string; maxSkew: number; whenUnsatisfiable: string; labelSelector?: { matchLabels?: Record<string, string> } }>
  containers: Container[]
  initContainers?: Container[]
  volumes?: Array<{ name: string; secret?: { secretName?: string }; configMap?: { name?: string } }>
}
interface Webhook {
  name: string
  rules?: unknown[]
  sideEffects?: string
  admissionReviewVersions?: string[]
  timeoutSeconds?: number
  failurePolicy?: string
  reinvocationPolicy?: string
  namespaceSelector?: unknown
  objectSelector?: unknown
  matchConditions?: unknown[]
  clientConfig?: { url?: string; caBundle?: string; service?: { name?: string; namespace?: string; path?: string; port?: number } }
}

/** How the serving certificate reaches the pods and the caBundle the webhooks. */
export type Certificates = 'none' | 'cert-manager' | 'self-managed'

export const NAMESPACE = 'ephemeral-guard'
/** The exact rule both webhooks carry (issue 6; reference B4). */
export const EPHEMERAL_CONTAINERS_RULE = { apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['pods/ephemeralcontainers'], scope: 'Namespaced' }
/** The grant webhooks' rules: both grant kinds; CREATE and UPDATE validated, CREATE mutated (identities stamped). */
export const GRANT_WEBHOOK = 'grants.ephemeral-guard.dev'
const grantRule = (validating: boolean) => ({ apiGroups: ['ephemeral-guard.dev'], apiVersions: ['v1alpha1'], operations: validating ? ['CREATE', 'UPDATE'] : ['CREATE'], resources: ['debuggrants', 'debuggrantapprovals'], scope: 'Namespaced' })
/** The policy webhook's rule: both policy kinds, CREATE and UPDATE (docs/design/policies-and-grants.md §5). */
export const POLICY_OBJECTS_RULE = { apiGroups: ['ephemeral-guard.dev'], apiVersions: ['v1alpha1'], operations: ['CREATE', 'UPDATE'], resources: ['ephemeralcontainerpolicies', 'debugpolicies'], scope: '*' }
export const POLICY_WEBHOOK = 'policies.ephemeral-guard.dev'
/** The API server's per-call timeouts (timeoutSeconds) of the two webhooks. */
const TIMEOUTS: Record<string, number> = { ValidatingWebhookConfiguration: 5, MutatingWebhookConfiguration: 3 }
/**
 * What the service account may do: read namespaces and the policy objects; for the grant webhook, read
 * grants and approvals and create SubjectAccessReviews; nothing else.
 */
export const RBAC_RULES = [
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['ephemeral-guard.dev'], resources: ['ephemeralcontainerpolicies', 'debugpolicies'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['ephemeral-guard.dev'], resources: ['debuggrants', 'debuggrantapprovals'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
]

const one = (objects: readonly K8sObject[], kind: string, problems: string[]): K8sObject | undefined => {
  const found = objects.filter((o) => o.kind === kind)
  if (found.length !== 1) problems.push(`expected exactly one ${kind}, found ${found.length}`)
  return found[0]
}

/** "--name=value" or "--name value" from an argument list. */
export function flag(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1]
    if (args[i]!.startsWith(`--${name}=`)) return args[i]!.slice(name.length + 3)
  }
  return undefined
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v)

/** Every key named `subPath` or `subPathExpr`, anywhere, with its path. */
export function subPaths(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => subPaths(v, `${path}[${i}]`))
  if (typeof value !== 'object' || value === null) return []
  return Object.entries(value).flatMap(([k, v]) => [...(k === 'subPath' || k === 'subPathExpr' ? [`${path}.${k}`] : []), ...subPaths(v, `${path}.${k}`)])
}

const pemCertificates = (pem: string): X509Certificate[] =>
  (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p))

/** The controller's objects (manifests/base/controller.yaml): judged by controllerProblems, apart from the webhook's. */
export const isController = (o: K8sObject): boolean => o.metadata.labels?.['app.kubernetes.io/component'] === 'controller'

/** The exact rules of the controller's ClusterRole and Role (README "Operate → controller and reports"). */
export const CONTROLLER_RULES = [
  { apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['ephemeral-guard.dev'], resources: ['ephemeralcontainerpolicies', 'debugpolicies'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['ephemeral-guard.dev'], resources: ['ephemeralcontainerpolicies/status', 'debugpolicies/status'], verbs: ['update', 'patch'] },
  { apiGroups: ['wgpolicyk8s.io'], resources: ['policyreports'], verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'] },
]
export const LEASE_RULES = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['ephemeral-guard-controller'], verbs: ['get', 'update'] },
]

/** The controller: its own ServiceAccount and RBAC, two replicas of `controller`, probes, non-root. */
export function controllerProblems(objects: readonly K8sObject[], ns: string = NAMESPACE): string[] {
  const problems: string[] = []
  const problem = (p: string): void => { problems.push(`controller: ${p}`) }
  const sa = one(objects, 'ServiceAccount', problems)
  const role = one(objects, 'ClusterRole', problems)
  const binding = one(objects, 'ClusterRoleBinding', problems)
  const lease = one(objects, 'Role', problems)
  const leaseBinding = one(objects, 'RoleBinding', problems)
  const deployment = one(objects, 'Deployment', problems)
  if (role && !isDeepStrictEqual(role['rules'], CONTROLLER_RULES)) problem(`ClusterRole rules must be exactly ${JSON.stringify(CONTROLLER_RULES)}`)
  if (lease && !isDeepStrictEqual(lease['rules'], LEASE_RULES)) problem('the Role may only create leases and get/update the controller\'s Lease')
  for (const [b, r] of [[binding, role], [leaseBinding, lease]] as const) {
    if (b && r && sa) {
      if (!isDeepStrictEqual(b['roleRef'], { apiGroup: 'rbac.authorization.k8s.io', kind: r.kind, name: r.metadata.name })) problem(`${b.kind} must reference the ${r.kind}`)
      if (!isDeepStrictEqual(b['subjects'], [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: ns }])) problem(`${b.kind} must bind the controller's ServiceAccount only`)
    }
  }
  const spec = deployment?.['spec'] as { replicas?: number; template: { spec: PodSpec } } | undefined
  const pod = spec?.template.spec
  const container = pod?.containers[0] as (Container & { env?: Array<{ name: string; valueFrom?: { fieldRef?: { fieldPath?: string } } }> }) | undefined
  if (spec && pod && container) {
    if (spec.replicas !== 2) problem(`replicas must be 2 (one writes, one waits), got ${spec.replicas}`)
    if (pod.serviceAccountName !== sa?.metadata.name) problem('the pods must run as the controller\'s ServiceAccount')
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problem('no host namespaces')
    if (!isDeepStrictEqual(container.command?.slice(-1), ['controller'])) problem('the container must run the controller command')
    if (container.env?.find((e) => e.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath !== 'metadata.name') problem('POD_NAME must be the pod name (the Lease holder identity)')
    const port = flag(container.args ?? [], 'metrics-port')
    if (container.readinessProbe?.httpGet?.path !== '/readyz' || container.livenessProbe?.httpGet?.path !== '/healthz') problem('probes on /readyz and /healthz')
    if (!container.ports?.some((p) => p.name === 'metrics' && String(p.containerPort) === port)) problem('the metrics port must be the --metrics-port')
    const sc = container.securityContext
    if (sc?.runAsNonRoot !== true || sc.readOnlyRootFilesystem !== true || sc.allowPrivilegeEscalation !== false || !isDeepStrictEqual(sc.capabilities?.drop, ['ALL'])) problem('the container must run non-root, read-only, without privilege escalation or capabilities')
    if (container.resources?.limits?.['memory'] === undefined) problem('a memory limit')
  }
  return problems
}

/** The policy-authoring ClusterRoles (manifests/base/policy-roles.yaml): judged by policyRoleProblems. */
export const isPolicyRole = (o: K8sObject): boolean => o.metadata.labels?.['app.kubernetes.io/component'] === 'policy-roles'

const POLICY_GROUP = 'ephemeral-guard.dev'
const WRITE_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']

/**
 * Who may write which policy: DebugPolicy write access aggregated into `admin` only, read access into
 * `edit` and `view`, a bindable role for cluster policies, no binding and never a status verb.
 */
export function policyRoleProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = []
  const problem = (p: string): void => { problems.push(`policy roles: ${p}`) }
  if (objects.some((o) => o.kind !== 'ClusterRole')) problem('only ClusterRoles, no bindings')
  const byAggregation = (label: string) => objects.filter((o) => o.metadata.labels?.[`rbac.authorization.k8s.io/${label}`] === 'true')
  const rulesOf = (o: K8sObject) => (o['rules'] ?? []) as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>
  const admin = byAggregation('aggregate-to-admin')
  if (admin.length !== 1 || !isDeepStrictEqual(rulesOf(admin[0]!), [{ apiGroups: [POLICY_GROUP], resources: ['debugpolicies'], verbs: WRITE_VERBS }])) problem('exactly one role aggregated to admin, writing debugpolicies only')
  for (const label of ['aggregate-to-edit', 'aggregate-to-view']) {
    for (const o of byAggregation(label)) if (rulesOf(o).some((r) => r.verbs.some((v) => !['get', 'list', 'watch'].includes(v)) || r.resources.some((x) => x !== 'debugpolicies'))) problem(`${o.metadata.name}: a role aggregated to ${label.slice(13)} may only read debugpolicies`)
  }
  for (const o of objects) if (rulesOf(o).some((r) => r.resources.some((x) => x.endsWith('/status')))) problem(`${o.metadata.name}: no status verbs (the controller's)`)
  if (!objects.some((o) => rulesOf(o).some((r) => r.resources.includes('ephemeralcontainerpolicies')) && Object.keys(o.metadata.labels ?? {}).every((k) => !k.startsWith('rbac.authorization.k8s.io/aggregate-to-')))) problem('a role for cluster policies, aggregated nowhere')
  return problems
}

export function installProblems(all: readonly K8sObject[], certificates: Certificates, policyText?: string): string[] {
  const objects = all.filter((o) => !isController(o) && !isPolicyRole(o))
  const problems: string[] = [
    ...controllerProblems(all.filter(isController), all.find((o) => o.kind === 'Namespace')?.metadata.name),
    ...policyRoleProblems(all.filter(isPolicyRole)),
  ]
  const problem = (p: string): void => { problems.push(p) }
  for (const o of objects) for (const p of subPaths(o)) problem(`${o.kind}/${o.metadata.name}${p}: subPath mounts never see Secret or ConfigMap updates`)

  const namespace = one(objects, 'Namespace', problems)
  const ns = namespace?.metadata.name ?? NAMESPACE
  for (const o of objects) {
    const clusterScoped = ['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'].includes(o.kind)
    if (!clusterScoped && o.metadata.namespace !== ns) problem(`${o.kind}/${o.metadata.name} is in namespace ${String(o.metadata.namespace)}, not ${ns}`)
  }

  // RBAC: namespaces and the policy objects get/list/watch; for the grant webhook, grants and approvals read and SubjectAccessReviews created; nothing else.
  const sa = one(objects, 'ServiceAccount', problems)
  const role = one(objects, 'ClusterRole', problems)
  const binding = one(objects, 'ClusterRoleBinding', problems)
  if (objects.some((o) => o.kind === 'Role' || o.kind === 'RoleBinding')) problem('no namespaced Role or RoleBinding is needed')
  if (role && !isDeepStrictEqual(role['rules'], RBAC_RULES)) {
    problem(`ClusterRole rules must be exactly namespaces and ephemeralcontainerpolicies/debugpolicies get/list/watch, debuggrants and debuggrantapprovals get/list/watch, subjectaccessreviews create, got ${JSON.stringify(role['rules'])}`)
  }
  if (binding && role && sa) {
    if (!isDeepStrictEqual(binding['roleRef'], { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name })) problem('ClusterRoleBinding must reference the ClusterRole')
    if (!isDeepStrictEqual(binding['subjects'], [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: ns }])) problem('ClusterRoleBinding must bind the ServiceAccount only')
  }

  // The Deployment.
  const deployment = one(objects, 'Deployment', problems)
  const spec = deployment?.['spec'] as { replicas?: number; strategy?: { rollingUpdate?: { maxUnavailable?: number } }; template: { metadata: Metadata; spec: PodSpec } } | undefined
  const pod = spec?.template.spec
  const podLabels = spec?.template.metadata.labels
  const container = pod?.containers[0]
  if (spec && pod && container) {
    if (spec.replicas !== 3) problem(`replicas must be 3, got ${spec.replicas}`)
    if (spec.strategy?.rollingUpdate?.maxUnavailable !== 0) problem('a rolling update must not take a replica away before its successor is ready (maxUnavailable 0)')
    if (pod.priorityClassName !== 'system-cluster-critical') problem('priorityClassName must be system-cluster-critical')
    if (pod.serviceAccountName !== sa?.metadata.name) problem('the pods must run as the ServiceAccount')
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problem('no host namespaces')
    const spread = pod.topologySpreadConstraints?.find((c) => c.topologyKey === 'kubernetes.io/hostname')
    if (!spread || spread.maxSkew !== 1 || spread.whenUnsatisfiable !== 'DoNotSchedule' || !matches(spread.labelSelector?.matchLabels, podLabels)) problem('replicas must be spread across nodes (kubernetes.io/hostname, maxSkew 1, DoNotSchedule, selecting the pods)')
    if (pod.securityContext?.runAsNonRoot !== true) problem('pod securityContext.runAsNonRoot must be true')
    if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') problem('pod seccompProfile must be RuntimeDefault')
    if (pod.containers.length !== 1 || (pod.initContainers ?? []).length !== 0) problem('one container, no init containers')
    const sc = container.securityContext
    if (sc?.readOnlyRootFilesystem !== true) problem('readOnlyRootFilesystem must be true')
    if (sc?.allowPrivilegeEscalation !== false) problem('allowPrivilegeEscalation must be false')
    if (sc?.privileged === true) problem('the container must not be privileged')
    if (!isDeepStrictEqual(sc?.capabilities?.drop, ['ALL']) || (sc?.capabilities?.add ?? []).length > 0) problem('capabilities must drop ALL and add none')
    if (sc?.runAsNonRoot === false) problem('the container must not override runAsNonRoot')
    if (sc?.seccompProfile !== undefined && sc.seccompProfile.type !== 'RuntimeDefault') problem('the container must not override the seccomp profile')
    if (container.command !== undefined) problem('the image entrypoint (node dist/main.js serve) must not be overridden: set args only')
    const args = container.args ?? []
    const https = container.ports?.find((p) => p.name === 'https')
    const metrics = container.ports?.find((p) => p.name === 'metrics')
    if (https?.containerPort !== Number(flag(args, 'port') ?? 8443)) problem('port "https" must be the serve --port')
    if (metrics === undefined || metrics.containerPort !== Number(flag(args, 'metrics-port'))) problem('port "metrics" must be the serve --metrics-port')
    // Probes on the operations port: with --client-ca the HTTPS port refuses the kubelet.
    for (const [kind, path] of [['readinessProbe', '/readyz'], ['livenessProbe', '/healthz']] as const) {
      const probe = container[kind]?.httpGet
      if (probe?.path !== path || (probe.scheme ?? 'HTTP') !== 'HTTP' || (probe.port !== 'metrics' && probe.port !== metrics?.containerPort)) problem(`${kind} must GET ${path} over HTTP on the metrics port`)
    }
    const { requests, limits } = container.resources ?? {}
    if (!requests?.['cpu'] || !requests['memory']) problem('CPU and memory requests must be set')
    if (!limits?.['memory']) problem('a memory limit must be set')
    if (limits?.['cpu'] !== undefined) problem('no CPU limit: throttling adds latency against the webhook timeouts')
    // Shutdown: readiness fails at once, serving continues --shutdown-delay seconds, then in-flight
    // requests (each bounded by the longest webhook timeout) drain; the grace period covers both.
    const delay = Number(flag(args, 'shutdown-delay'))
    const grace = pod.terminationGracePeriodSeconds ?? 30
    if (!(delay > 0) || grace < delay + Math.max(...Object.values(TIMEOUTS)) + 5) problem(`terminationGracePeriodSeconds (${grace}) must cover --shutdown-delay (${delay}) plus draining`)
    // Volumes: the Secret and the ConfigMap mounted as directories, and the flags pointing into them.
    const mountOf = (volume: string | undefined): string | undefined => container.volumeMounts?.find((m) => m.name === volume)?.mountPath
    const tls = pod.volumes?.find((v) => v.secret?.secretName === SECRET_NAME)
    const tlsDir = mountOf(tls?.name)
    if (tlsDir === undefined) problem(`the Secret ${SECRET_NAME} must be mounted`)
    if (flag(args, 'tls-cert') !== `${tlsDir}/tls.crt` || flag(args, 'tls-key') !== `${tlsDir}/tls.key`) problem('--tls-cert and --tls-key must be tls.crt and tls.key in the Secret\'s directory')
    // The policy: the cluster's policy objects (--cluster-policies), or a file from a ConfigMap.
    if (args.includes('--cluster-policies')) {
      if (flag(args, 'policy') !== undefined) problem('--cluster-policies and --policy exclude each other')
      if (objects.some((o) => o.kind === 'ConfigMap')) problem('no policy ConfigMap with --cluster-policies')
      if ((pod.volumes ?? []).some((v) => v.configMap !== undefined)) problem('no ConfigMap mounted with --cluster-policies')
    } else {
      const configMap = one(objects, 'ConfigMap', problems)
      const policyVolume = pod.volumes?.find((v) => v.configMap?.name !== undefined && v.configMap.name === configMap?.metadata.name)
      const policyDir = mountOf(policyVolume?.name)
      if (policyDir === undefined) problem('the policy ConfigMap must be mounted')
      if (flag(args, 'policy') !== `${policyDir}/policy.yaml`) problem('--policy must be policy.yaml in the ConfigMap\'s directory (or --cluster-policies)')
      const policyData = (configMap?.['data'] as Record<string, string> | undefined)?.['policy.yaml']
      if (policyData === undefined) problem('the ConfigMap must hold policy.yaml')
      else if (policyText !== undefined && policyData !== policyText) problem('the ConfigMap\'s policy.yaml differs from policies/default.yaml')
    }
    for (const m of container.volumeMounts ?? []) if (m.readOnly !== true) problem(`volume mount ${m.name} must be read-only`)
  }

  // NetworkPolicy (issue 18): ingress to the two ports only; metrics from the documented namespaces.
  const networkPolicy = one(objects, 'NetworkPolicy', problems)
  if (networkPolicy && container) problems.push(...networkPolicyProblems(networkPolicy, podLabels, container))

  // Service, PodDisruptionBudget.
  const service = one(objects, 'Service', problems)
  const serviceSpec = service?.['spec'] as { selector?: Record<string, string>; ports?: Array<{ name?: string; port: number; targetPort?: string | number }> } | undefined
  if (serviceSpec) {
    if (!matches(serviceSpec.selector, podLabels)) problem('the Service must select the pods')
    const port443 = serviceSpec.ports?.find((p) => p.port === 443)
    if (port443?.targetPort !== 'https' && port443?.targetPort !== 8443) problem('the Service must send 443 to the container port https (8443)')
    if (!serviceSpec.ports?.some((p) => p.targetPort === 'metrics')) problem('the Service must expose the metrics port')
  }
  const pdb = one(objects, 'PodDisruptionBudget', problems)
  const pdbSpec = pdb?.['spec'] as { maxUnavailable?: number; minAvailable?: number; selector?: { matchLabels?: Record<string, string> } } | undefined
  if (pdbSpec) {
    if (!matches(pdbSpec.selector?.matchLabels, podLabels)) problem('the PodDisruptionBudget must select the pods')
    if (pdbSpec.maxUnavailable !== 1) problem('the PodDisruptionBudget must allow one voluntary disruption at a time (maxUnavailable 1)')
  }

  // Webhook configurations.
  const caBundles: string[] = []
  for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
    const config = one(objects, kind, problems)
    if (!config) continue
    const validating = kind === 'ValidatingWebhookConfiguration'
    const all = (config['webhooks'] ?? []) as Webhook[]
    const names = all.map((w) => w.name)
    const expected = validating ? ['validate.ephemeral-guard.dev', POLICY_WEBHOOK, GRANT_WEBHOOK] : ['mutate.ephemeral-guard.dev', GRANT_WEBHOOK]
    if (!isDeepStrictEqual(names, expected)) problem(`${kind} must hold the webhooks ${expected.join(', ')}, got ${names.join(', ')}`)
    const policyHook = all.find((w) => w.name === POLICY_WEBHOOK)
    if (validating && policyHook) {
      const where = `${kind} ${POLICY_WEBHOOK}`
      if (!isDeepStrictEqual(policyHook.rules, [POLICY_OBJECTS_RULE])) problem(`${where}: rules must be exactly CREATE and UPDATE of ephemeralcontainerpolicies and debugpolicies in ephemeral-guard.dev/v1alpha1, got ${JSON.stringify(policyHook.rules)}`)
      if (policyHook.sideEffects !== 'None') problem(`${where}: sideEffects must be None`)
      if (!isDeepStrictEqual(policyHook.admissionReviewVersions, ['v1', 'v1beta1'])) problem(`${where}: admissionReviewVersions must be [v1, v1beta1]`)
      if (policyHook.timeoutSeconds !== 5) problem(`${where}: timeoutSeconds must be 5`)
      if (policyHook.failurePolicy !== 'Ignore') problem(`${where}: failurePolicy must be Ignore (admins repair policies while the webhook is down)`)
      if (policyHook.objectSelector !== undefined && !isDeepStrictEqual(policyHook.objectSelector, {})) problem(`${where}: no objectSelector`)
      if (policyHook.namespaceSelector !== undefined && !isDeepStrictEqual(policyHook.namespaceSelector, {})) problem(`${where}: no namespaceSelector (DebugPolicy objects of every namespace are judged)`)
      if (policyHook.matchConditions !== undefined) problem(`${where}: no matchConditions`)
      const svc = policyHook.clientConfig?.service
      if (policyHook.clientConfig?.url !== undefined || svc?.name !== service?.metadata.name || svc?.namespace !== ns || svc?.port !== 443 || svc?.path !== '/validate-policy') problem(`${where}: clientConfig must call the Service on 443 at /validate-policy`)
      if (policyHook.clientConfig?.caBundle !== undefined) caBundles.push(policyHook.clientConfig.caBundle)
      else if (certificates === 'self-managed') problem(`${where}: caBundle must be set`)
    }
    const grants = all.filter((w) => w.name === GRANT_WEBHOOK)
    for (const w of grants) {
      const where = `${kind} ${w.name}`
      if (!isDeepStrictEqual(w.rules, [grantRule(validating)])) problem(`${where}: rules must be exactly ${validating ? 'CREATE and UPDATE' : 'CREATE'} of debuggrants and debuggrantapprovals, got ${JSON.stringify(w.rules)}`)
      if (w.sideEffects !== 'None') problem(`${where}: sideEffects must be None`)
      if (!isDeepStrictEqual(w.admissionReviewVersions, ['v1', 'v1beta1'])) problem(`${where}: admissionReviewVersions must be [v1, v1beta1]`)
      if (w.timeoutSeconds !== 5) problem(`${where}: timeoutSeconds must be 5`)
      if (w.failurePolicy !== 'Fail') problem(`${where}: failurePolicy must be Fail (identities are stamped and checked there)`)
      if (w.reinvocationPolicy !== (validating ? undefined : 'Never')) problem(`${where}: reinvocationPolicy must be ${validating ? 'unset' : 'Never'}`)
      if (w.namespaceSelector !== undefined && !isDeepStrictEqual(w.namespaceSelector, {})) problem(`${where}: no namespaceSelector (grants in every namespace)`)
      const svc = w.clientConfig?.service
      const path = validating ? '/validate-grants' : '/mutate-grants'
      if (w.clientConfig?.url !== undefined || svc?.name !== service?.metadata.name || svc?.namespace !== ns || svc?.port !== 443 || svc?.path !== path) problem(`${where}: clientConfig must call the Service on 443 at ${path}`)
      if (w.clientConfig?.caBundle !== undefined) caBundles.push(w.clientConfig.caBundle)
      else if (certificates === 'self-managed') problem(`${where}: caBundle must be set`)
    }
    for (const w of all.filter((x) => x.name !== POLICY_WEBHOOK && x.name !== GRANT_WEBHOOK)) {
      const where = `${kind} ${w.name}`
      if (!isDeepStrictEqual(w.rules, [EPHEMERAL_CONTAINERS_RULE])) problem(`${where}: rules must be exactly UPDATE pods/ephemeralcontainers in group "" version v1, got ${JSON.stringify(w.rules)}`)
      if (w.sideEffects !== 'None') problem(`${where}: sideEffects must be None`)
      if (!isDeepStrictEqual(w.admissionReviewVersions, ['v1', 'v1beta1'])) problem(`${where}: admissionReviewVersions must be [v1, v1beta1]`)
      if (w.timeoutSeconds !== TIMEOUTS[kind]) problem(`${where}: timeoutSeconds must be ${TIMEOUTS[kind]}`)
      if (w.failurePolicy !== (validating ? 'Fail' : 'Ignore')) problem(`${where}: failurePolicy must be ${validating ? 'Fail' : 'Ignore'}`)
      if (w.reinvocationPolicy !== (validating ? undefined : 'IfNeeded')) problem(`${where}: reinvocationPolicy must be ${validating ? 'unset' : 'IfNeeded'}`)
      if (!isDeepStrictEqual(w.namespaceSelector, { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [ns] }] })) problem(`${where}: namespaceSelector must exclude exactly the namespace ${ns} by kubernetes.io/metadata.name`)
      // The API server stores an absent selector as {} (matches everything).
      if (w.objectSelector !== undefined && !isDeepStrictEqual(w.objectSelector, {})) problem(`${where}: no objectSelector (labels are set by users)`)
      if (w.matchConditions !== undefined) problem(`${where}: matchConditions (break-glass) is left commented out`)
      const svc = w.clientConfig?.service
      if (w.clientConfig?.url !== undefined || svc?.name !== service?.metadata.name || svc?.namespace !== ns || svc?.port !== 443 || svc?.path !== (validating ? '/validate' : '/mutate')) problem(`${where}: clientConfig must call the Service on 443 at ${validating ? '/validate' : '/mutate'}`)
      if (w.clientConfig?.caBundle !== undefined) caBundles.push(w.clientConfig.caBundle)
      else if (certificates === 'self-managed') problem(`${where}: caBundle must be set`)
    }
    const inject = config.metadata.annotations?.['cert-manager.io/inject-ca-from']
    if (certificates === 'cert-manager') {
      const serving = objects.find((o) => o.kind === 'Certificate' && (o['spec'] as { secretName?: string }).secretName === SECRET_NAME)
      if (inject === undefined || inject !== `${ns}/${serving?.metadata.name}`) problem(`${kind}: cert-manager.io/inject-ca-from must name the serving Certificate, got ${String(inject)}`)
    } else if (inject !== undefined) problem(`${kind}: no cert-manager annotation without cert-manager`)
  }
  if (certificates !== 'self-managed' && caBundles.length > 0) problem('caBundle is set only by the self-managed overlay (cert-manager injects it)')

  // Where the serving certificate comes from.
  const secrets = objects.filter((o) => o.kind === 'Secret')
  if (certificates === 'cert-manager') problems.push(...certManagerProblems(objects, ns, service?.metadata.name ?? ''))
  if (certificates === 'self-managed') {
    const secret = secrets.find((s) => s.metadata.name === SECRET_NAME)
    const data = secret?.['data'] as Record<string, string> | undefined
    if (secret?.['type'] !== 'kubernetes.io/tls' || !data?.['tls.crt'] || !data['tls.key']) problem(`a kubernetes.io/tls Secret ${SECRET_NAME} with tls.crt and tls.key must be included`)
    else {
      const leaf = new X509Certificate(Buffer.from(data['tls.crt'], 'base64'))
      for (const bundle of caBundles) {
        const cas = pemCertificates(Buffer.from(bundle, 'base64').toString('utf8'))
        if (!cas.some((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey))) problem('the caBundle must hold the CA that signed tls.crt')
      }
      for (const name of serviceDnsNames(service?.metadata.name ?? '', ns)) if (leaf.checkHost(name, { subject: 'never' }) === undefined) problem(`tls.crt must be valid for ${name}`)
    }
  } else if (secrets.length > 0) problem('the Secret comes from cert-manager or `ephemeral-guard certs`, never from the base')
  return problems
}

/** The namespace label that admits a scraper to the metrics port (README "Network exposure"). */
export const SCRAPE_LABEL = 'ephemeral-guard.dev/scrape-metrics'

interface NetworkPolicyPeer { podSelector?: unknown; namespaceSelector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] }; ipBlock?: { cidr?: string; except?: string[] } }
interface NetworkPolicyRule { ports?: Array<{ port?: string | number; protocol?: string; endPort?: number }>; from?: NetworkPolicyPeer[] }

/**
 * The NetworkPolicy selects the webhook pods, restricts ingress only, and admits exactly two ports:
 * https from any source or from IP blocks (the API server is no pod a selector can name), metrics
 * only from namespaces labelled SCRAPE_LABEL=true. A rule without ports would open every port.
 */
export function networkPolicyProblems(np: K8sObject, podLabels: Record<string, string> | undefined, container: Container): string[] {
  const problems: string[] = []
  const spec = (np['spec'] ?? {}) as { podSelector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] }; policyTypes?: string[]; ingress?: NetworkPolicyRule[]; egress?: unknown[] }
  if (!matches(spec.podSelector?.matchLabels, podLabels) || spec.podSelector?.matchExpressions !== undefined) problems.push('the NetworkPolicy must select the pods by their labels')
  if (!isDeepStrictEqual(spec.policyTypes, ['Ingress'])) problems.push(`the NetworkPolicy must restrict Ingress only, got policyTypes ${JSON.stringify(spec.policyTypes)}`)
  const portNumber = (port: string | number | undefined): number | undefined => typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort
  const https = portNumber('https')
  const metrics = portNumber('metrics')
  const rules = spec.ingress ?? []
  const seen = new Set<number | undefined>()
  for (const [i, rule] of rules.entries()) {
    const at = `NetworkPolicy ingress[${i}]`
    if ((rule.ports ?? []).length === 0) {
      problems.push(`${at}: a rule without ports opens every port`)
      continue
    }
    const ports = new Set(rule.ports!.map((p) => {
      if ((p.protocol ?? 'TCP') !== 'TCP' || p.endPort !== undefined) problems.push(`${at}: ports must be single TCP ports`)
      return portNumber(p.port)
    }))
    for (const p of ports) seen.add(p)
    if (ports.size !== 1 || !(ports.has(https) || ports.has(metrics))) {
      problems.push(`${at}: each rule admits one of the container ports https and metrics, got ${JSON.stringify(rule.ports)}`)
      continue
    }
    if (ports.has(https)) {
      // Any source, or IP blocks (the control plane's addresses); never a pod selector alone.
      if (rule.from !== undefined && (rule.from.length === 0 || !rule.from.every((peer) => peer.ipBlock?.cidr !== undefined && peer.podSelector === undefined && peer.namespaceSelector === undefined))) {
        problems.push(`${at}: the https port admits any source or IP blocks only, got ${JSON.stringify(rule.from)}`)
      }
    } else if (!isDeepStrictEqual(rule.from, [{ namespaceSelector: { matchLabels: { [SCRAPE_LABEL]: 'true' } } }])) {
      problems.push(`${at}: the metrics port admits only namespaces labelled ${SCRAPE_LABEL}=true, got ${JSON.stringify(rule.from)}`)
    }
  }
  if (!seen.has(https) || !seen.has(metrics)) problems.push('the NetworkPolicy must admit the https and the metrics port')
  return problems
}

interface CertificateSpec { secretName?: string; isCA?: boolean; dnsNames?: string[]; privateKey?: { algorithm?: string; size?: number }; issuerRef?: { name?: string; kind?: string }; usages?: string[] }
interface IssuerSpec { selfSigned?: object; ca?: { secretName?: string } }

/** The cert-manager chain: self-signed Issuer -> CA Certificate -> CA Issuer -> serving Certificate. */
export function certManagerProblems(objects: readonly K8sObject[], ns: string, service: string): string[] {
  const problems: string[] = []
  const certificates = objects.filter((o) => o.kind === 'Certificate')
  const issuers = objects.filter((o) => o.kind === 'Issuer')
  if (objects.some((o) => o.kind === 'ClusterIssuer')) problems.push('no ClusterIssuer: everything stays in the namespace')
  const certSpec = (o: K8sObject | undefined): CertificateSpec => (o?.['spec'] ?? {}) as CertificateSpec
  const issuerOf = (c: K8sObject | undefined): IssuerSpec | undefined => {
    const ref = certSpec(c).issuerRef
    return ref?.kind === 'Issuer' ? (issuers.find((i) => i.metadata.name === ref.name)?.['spec'] as IssuerSpec | undefined) : undefined
  }
  const serving = certificates.find((c) => certSpec(c).secretName === SECRET_NAME)
  if (serving === undefined) return [...problems, `a Certificate must write the Secret ${SECRET_NAME}`]
  const s = certSpec(serving)
  for (const name of serviceDnsNames(service, ns)) if (!s.dnsNames?.includes(name)) problems.push(`the serving Certificate must name ${name}`)
  if (s.isCA === true) problems.push('the serving Certificate must not be a CA')
  for (const c of certificates) {
    const key = certSpec(c).privateKey
    if (key?.algorithm !== 'ECDSA' || key.size !== 256) problems.push(`Certificate ${c.metadata.name}: key must be ECDSA P-256`)
  }
  const caIssuer = issuerOf(serving)
  const ca = certificates.find((c) => certSpec(c).secretName === caIssuer?.ca?.secretName)
  if (caIssuer?.ca === undefined || ca === undefined) return [...problems, 'the serving Certificate must be issued by a CA Issuer whose CA is a Certificate here']
  if (certSpec(ca).isCA !== true) problems.push('the CA Certificate must have isCA: true')
  if (issuerOf(ca)?.selfSigned === undefined) problems.push('the CA Certificate must be issued by a self-signed Issuer')
  return problems
}
