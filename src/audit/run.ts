// `audit` against a cluster: list pods page by page, judge each ephemeral container, keep only the
// findings (one small record per debug container), then write PolicyReports when asked.
import type { JsonObject } from '../kube/types.js'
import { auditPod, type AuditFinding, type AuditPolicy } from './evaluate.js'
import { forEachPage, type KubeApi } from '../cluster/api.js'
import { ClusterError } from '../errors.js'
import { compareFindings, MANAGED_BY_LABEL, POLICY_LABEL, REPORT_SOURCE, summarize, type AuditResult, type AuditScope } from './report.js'

/** Pods per list request: kubectl's default chunk size. */
const PAGE_SIZE = 500

export interface RunAuditOptions {
  readonly scope: AuditScope
  /** The policy, where it came from, and for the policies in force their `name@hash` list and notes. */
  readonly policy: AuditPolicy & { readonly source: string; readonly inForce?: readonly string[]; readonly notes?: readonly string[] }
  readonly now: () => Date
  readonly olderThan?: { readonly text: string; readonly ms: number }
  readonly pageSize?: number
  /** Called after each page with the running totals (progress on a terminal). */
  readonly progress?: (pods: number, containers: number) => void
}

/**
 * A namespace that does not exist is an error, not an empty audit (kubectl get pods -n says nothing
 * either, which hides a typo). A caller who may not read namespaces gets the benefit of the doubt.
 */
export async function requireNamespace(api: Pick<KubeApi, 'getOptional'>, namespace: string): Promise<void> {
  let found
  try {
    found = await api.getOptional(`/api/v1/namespaces/${encodeURIComponent(namespace)}`)
  } catch (e) {
    if (e instanceof ClusterError && e.status === 403) return
    throw e
  }
  if (found === undefined) throw new ClusterError(`namespace ${JSON.stringify(namespace)} not found`)
}

/** --apply needs the PolicyReport API; checked before anything is printed. */
export async function requirePolicyReportApi(api: Pick<KubeApi, 'getOptional'>): Promise<void> {
  if ((await api.getOptional('/apis/wgpolicyk8s.io/v1alpha2')) === undefined) {
    throw new ClusterError('the PolicyReport CRD (wgpolicyk8s.io/v1alpha2) is not installed in this cluster; install it (e.g. with Kyverno or Policy Reporter) or drop --apply')
  }
}

export async function runAudit(api: Pick<KubeApi, 'get'>, options: RunAuditOptions): Promise<AuditResult> {
  const path = options.scope.namespace === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(options.scope.namespace)}/pods`
  const now = options.now()
  const findings: AuditFinding[] = []
  let pods = 0
  await forEachPage(api, path, options.pageSize ?? PAGE_SIZE, (items) => {
    pods += items.length
    for (const pod of items) findings.push(...auditPod(pod, options.policy, { now, ...(options.olderThan ? { olderThanMs: options.olderThan.ms } : {}) }))
    options.progress?.(pods, findings.length)
  })
  findings.sort(compareFindings)
  const { policy } = options.policy
  return {
    policy: {
      name: policy.name, hash: policy.hash, source: options.policy.source,
      ...(options.policy.inForce !== undefined ? { inForce: options.policy.inForce } : {}),
      ...(options.policy.notes !== undefined && options.policy.notes.length > 0 ? { notes: options.policy.notes } : {}),
    },
    scope: options.scope,
    generatedAt: now.toISOString(),
    ...(options.olderThan ? { olderThan: options.olderThan.text } : {}),
    summary: summarize(pods, findings),
    findings,
  }
}

const reportsPath = (namespace: string): string => `/apis/wgpolicyk8s.io/v1alpha2/namespaces/${encodeURIComponent(namespace)}/policyreports`

/**
 * Writes the reports with server-side apply (field manager ephemeral-guard), then deletes this
 * policy's reports left in namespaces of the scope that no longer hold ephemeral containers.
 * Returns what it did, one line each.
 */
export async function applyReports(api: KubeApi, scope: AuditScope, policyName: string, reports: readonly JsonObject[]): Promise<string[]> {
  const done: string[] = []
  await requirePolicyReportApi(api)
  const written = new Set<string>()
  for (const report of reports) {
    const meta = report['metadata'] as { name: string; namespace: string }
    await api.apply(`${reportsPath(meta.namespace)}/${encodeURIComponent(meta.name)}`, report, REPORT_SOURCE)
    written.add(`${meta.namespace}/${meta.name}`)
    done.push(`policyreport ${meta.namespace}/${meta.name} applied`)
  }
  const selector = encodeURIComponent(`${MANAGED_BY_LABEL}=${REPORT_SOURCE},${POLICY_LABEL}=${policyName}`)
  const listPath = scope.namespace === undefined ? '/apis/wgpolicyk8s.io/v1alpha2/policyreports' : reportsPath(scope.namespace)
  const stale: Array<{ namespace: string; name: string }> = []
  await forEachPage(api, `${listPath}?labelSelector=${selector}`, PAGE_SIZE, (items) => {
    for (const item of items) {
      const meta = item['metadata'] as { name: string; namespace: string }
      if (!written.has(`${meta.namespace}/${meta.name}`)) stale.push(meta)
    }
  })
  for (const meta of stale) {
    await api.delete(`${reportsPath(meta.namespace)}/${encodeURIComponent(meta.name)}`)
    done.push(`policyreport ${meta.namespace}/${meta.name} deleted (no ephemeral containers left)`)
  }
  return done
}
