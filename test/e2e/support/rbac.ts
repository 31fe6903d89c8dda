// Requesters other than cluster-admin: RBAC for kubectl debug, and kubectl run as an impersonated
// user (--as / --as-group; the admin client certificate is in system:masters, which may impersonate).
import type { JsonObject } from '../../../src/kube/types.js'
import { kubectlOk, type Cluster } from './cluster.js'
import { poll, type RunResult } from './process.js'

/** Who a request is made as. The API server adds the group system:authenticated to an impersonated user. */
export interface Requester {
  readonly user: string
  readonly groups?: readonly string[]
}

/**
 * What `kubectl debug POD --image=...` (kubectl 1.37, k8s.io/kubectl pkg/cmd/debug) needs: it GETs the
 * pod through the resource builder, then PATCHes pods/POD/ephemeralcontainers with a strategic merge
 * patch. `update` is for PUT (kubectl replace --raw, the method of the Kubernetes 1.16 documentation).
 */
export const DEBUGGER_RULES: readonly JsonObject[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
  { apiGroups: [''], resources: ['pods/ephemeralcontainers'], verbs: ['patch', 'update'] },
]

/** kubectl flags that make the request as `who`. */
export const impersonate = (who: Requester): string[] => [`--as=${who.user}`, ...(who.groups ?? []).map((g) => `--as-group=${g}`)]

/** kubectl as `who` (never throws on a non-zero exit). */
export const kubectlAs = (cluster: Cluster, who: Requester, args: readonly string[], o: { input?: string } = {}): Promise<RunResult> =>
  cluster.kubectl([...impersonate(who), ...args], o)

/** Creates (or replaces) a ClusterRole with `rules`. */
export async function applyClusterRole(cluster: Cluster, name: string, rules: readonly JsonObject[] = DEBUGGER_RULES): Promise<void> {
  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules }
  await kubectlOk(cluster, ['apply', '-f', '-'], { input: JSON.stringify(role) })
}

/**
 * Binds ClusterRole `role` in `namespace` to users and groups, then waits until the RBAC authorizer
 * (fed by an informer, so a moment late) lets each of them do everything the role grants.
 */
export async function bindRole(cluster: Cluster, namespace: string, role: string, to: { users?: readonly string[]; groups?: readonly string[] }, rules: readonly JsonObject[] = DEBUGGER_RULES): Promise<void> {
  const subjects = [
    ...(to.users ?? []).map((name) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name })),
    ...(to.groups ?? []).map((name) => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name })),
  ]
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: role, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects,
  }
  await kubectlOk(cluster, ['apply', '-f', '-'], { input: JSON.stringify(binding) })
  const who: Requester[] = [...(to.users ?? []).map((user) => ({ user })), ...(to.groups ?? []).map((g) => ({ user: `member-of-${g}`, groups: [g] }))]
  const checks = rules.flatMap((r) => (r['resources'] as string[]).flatMap((res) => (r['verbs'] as string[]).map((verb) => [verb, res] as const)))
  for (const w of who) {
    for (const [verb, resource] of checks) {
      await poll(`RBAC to let ${w.user} ${verb} ${resource} in ${namespace}`, async () => (await canI(cluster, w, verb, resource, namespace)) ? true : undefined, { timeoutMs: 15_000, intervalMs: 100 })
    }
  }
}

/** `kubectl auth can-i VERB RESOURCE` as `who` (a SelfSubjectAccessReview). */
export async function canI(cluster: Cluster, who: Requester, verb: string, resource: string, namespace: string): Promise<boolean> {
  // `kubectl auth can-i VERB TYPE/NAME` reads "pods/x" as the pod x: a subresource goes in --subresource.
  const [type, subresource] = resource.split('/')
  const r = await kubectlAs(cluster, who, ['auth', 'can-i', verb, type ?? resource, ...(subresource === undefined ? [] : [`--subresource=${subresource}`]), '-n', namespace])
  // Exit 0 and "yes", or exit 1 and "no"; anything else is an error worth seeing.
  if (r.stdout.trim() === 'yes' && r.code === 0) return true
  if (r.stdout.trim() === 'no' && r.code === 1) return false
  throw new Error(`kubectl auth can-i ${verb} ${resource} as ${who.user} exited ${r.code}: ${r.stderr}${r.stdout}`)
}
