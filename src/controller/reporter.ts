// Keeps one wgpolicyk8s.io/v1alpha2 PolicyReport per namespace current, judged against the policies in
// force. It composes what `audit --apply` does (runAudit's paged listing, auditPod, policyReports,
// applyReports) and adds the scheduling: namespace scans debounced after pod events, full scans after a
// policy change and every resync period, one scan at a time. Nothing here holds pods: a scan keeps one
// list page and the findings (one small record per debug container), as audit does.
import { performance } from 'node:perf_hooks'
import type { JsonObject } from '../kube/types.js'
import { isJsonObject } from '../kube/types.js'
import { forEachPage, type KubeApi } from '../cluster/api.js'
import { applyReports, runAudit } from '../audit/run.js'
import { MANAGED_BY_LABEL, POLICY_LABEL, policyReports, REPORT_SOURCE, type AuditScope } from '../audit/report.js'
import type { AuditPolicy } from '../audit/evaluate.js'
import type { ControllerMetrics } from './metrics.js'

/**
 * The policy name of the controller's reports (report ephemeral-guard-in-force, label
 * ephemeral-guard.dev/policy=in-force): the set in force has no single name, and a report of another
 * name (an old audit --apply) is removed by the next full scan.
 */
export const REPORT_POLICY = 'in-force'
/** The policies in force when the report was written, `name@hash` comma-separated. */
export const IN_FORCE_ANNOTATION = 'ephemeral-guard.dev/policies-in-force'

const REPORTS = '/apis/wgpolicyk8s.io/v1alpha2'
const PAGE_SIZE = 500

export interface ReporterPolicy {
  readonly audit: AuditPolicy
  /** For the report's annotation: the policies in force, name@hash. */
  readonly inForce: string
}

export interface ReporterOptions {
  readonly api: KubeApi
  readonly policy: () => ReporterPolicy
  readonly isLeader: () => boolean
  readonly now: () => Date
  /** Wait this long after a pod event before scanning its namespace (more events meanwhile: one scan). */
  readonly debounceMs: number
  readonly pageSize?: number
  readonly metrics?: ControllerMetrics
  readonly onScan?: (scope: AuditScope, outcome: { pods: number; reports: number; seconds: number; error?: Error }) => void
}

const resultsOf = (report: JsonObject): number => (Array.isArray(report['results']) ? report['results'].length : 0)

export class Reporter {
  private pendingAll = false
  private readonly pending = new Set<string>()
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private running: Promise<void> | undefined
  private stopped = false

  constructor(private readonly o: ReporterOptions) {}

  /** A pod with ephemeral containers changed in `namespace`: scan it after the debounce. */
  requestNamespace(namespace: string): void {
    if (this.stopped || this.pendingAll || this.timers.has(namespace) || this.pending.has(namespace)) return
    const timer = setTimeout(() => {
      this.timers.delete(namespace)
      this.pending.add(namespace)
      this.kick()
    }, this.o.debounceMs)
    timer.unref()
    this.timers.set(namespace, timer)
  }

  /** Scan every namespace (a policy changed, the resync period passed, or this process started leading). */
  requestAll(): void {
    if (this.stopped) return
    this.pendingAll = true
    this.kick()
  }

  /** Resolves once nothing is pending or running. */
  async idle(): Promise<void> {
    while (this.running !== undefined || this.timers.size > 0) {
      await (this.running ?? new Promise((r) => setTimeout(r, this.o.debounceMs)))
    }
  }

  /** No new scans; waits for the one running. */
  async stop(): Promise<void> {
    this.stopped = true
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
    this.pending.clear()
    this.pendingAll = false
    await this.running
  }

  private kick(): void {
    this.running ??= this.drain().finally(() => { this.running = undefined })
  }

  private async drain(): Promise<void> {
    while (!this.stopped && (this.pendingAll || this.pending.size > 0)) {
      if (!this.o.isLeader()) {
        // Only the Lease holder writes; it scans everything when it starts leading.
        this.pendingAll = false
        this.pending.clear()
        return
      }
      if (this.pendingAll) {
        this.pendingAll = false
        this.pending.clear()
        await this.scan({})
      } else {
        const namespace = this.pending.values().next().value as string
        this.pending.delete(namespace)
        await this.scan({ namespace })
      }
    }
  }

  /** One scan and its report writes; never throws (a failure is counted and reported to onScan). */
  async scan(scope: AuditScope): Promise<void> {
    const started = performance.now()
    let pods = 0
    let reports = 0
    let error: Error | undefined
    try {
      const current = this.o.policy()
      const result = await runAudit(this.o.api, {
        scope,
        policy: { policy: { ...current.audit.policy, name: REPORT_POLICY }, rules: current.audit.rules, source: current.inForce },
        now: this.o.now,
        ...(this.o.pageSize !== undefined ? { pageSize: this.o.pageSize } : {}),
      })
      pods = result.summary.pods
      // A namespace without ephemeral containers gets no report: applyReports deletes the old one.
      const written = policyReports(result).filter((r) => resultsOf(r) > 0).map((r) => withInForce(r, current.inForce))
      reports = written.length
      if (this.o.isLeader()) {
        await applyReports(this.counting(), scope, REPORT_POLICY, written)
        if (scope.namespace === undefined) await this.removeOtherPolicies()
      }
    } catch (e) {
      error = e as Error
    }
    const seconds = (performance.now() - started) / 1000
    this.o.metrics?.scan(scope.namespace === undefined ? 'all' : 'namespace', error === undefined, seconds, pods)
    this.o.onScan?.(scope, { pods, reports, seconds, ...(error !== undefined ? { error } : {}) })
  }

  /** Reports of ours under another policy name: an earlier policy's, or audit --apply's. */
  private async removeOtherPolicies(): Promise<void> {
    const selector = encodeURIComponent(`${MANAGED_BY_LABEL}=${REPORT_SOURCE},${POLICY_LABEL}!=${REPORT_POLICY}`)
    const stale: Array<{ namespace: string; name: string }> = []
    await forEachPage(this.o.api, `${REPORTS}/policyreports?labelSelector=${selector}`, this.o.pageSize ?? PAGE_SIZE, (items) => {
      for (const item of items) {
        const meta = item['metadata']
        if (isJsonObject(meta) && typeof meta['namespace'] === 'string' && typeof meta['name'] === 'string') stale.push({ namespace: meta['namespace'], name: meta['name'] })
      }
    })
    for (const s of stale) {
      if (!this.o.isLeader()) return
      await this.counting().delete(`${REPORTS}/namespaces/${encodeURIComponent(s.namespace)}/policyreports/${encodeURIComponent(s.name)}`)
    }
  }

  /** The API with each report write counted (created or updated by the apply's HTTP status) and checked against the Lease. */
  private counting(): KubeApi {
    const { api, metrics, isLeader } = this.o
    const guarded = (): void => {
      if (!isLeader()) throw new Error('lost the Lease: report writes stopped')
    }
    return {
      ...api,
      apply: async (path, object, fieldManager) => {
        guarded()
        try {
          const { status, object: stored } = await api.send('PATCH', `${path}?fieldManager=${encodeURIComponent(fieldManager)}&force=true`, object, 'application/apply-patch+yaml')
          metrics?.reportWrite(status === 201 ? 'created' : 'updated')
          return stored
        } catch (e) {
          metrics?.reportWrite('failed')
          throw e
        }
      },
      delete: async (path) => {
        guarded()
        try {
          await api.delete(path)
          metrics?.reportWrite('deleted')
        } catch (e) {
          metrics?.reportWrite('failed')
          throw e
        }
      },
    }
  }
}

function withInForce(report: JsonObject, inForce: string): JsonObject {
  const meta = report['metadata'] as JsonObject
  return { ...report, metadata: { ...meta, annotations: { ...(meta['annotations'] as JsonObject), [IN_FORCE_ANNOTATION]: inForce } } }
}
