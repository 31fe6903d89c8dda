// The controller's Prometheus metrics, on a registry of its own (as server/metrics.ts): scans, report
// writes, status writes and the leader state. README "Operate → controller and reports" lists them.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

const PREFIX = 'ephemeral_guard_controller_'

export type ScanScope = 'namespace' | 'all'
export type ReportWrite = 'created' | 'updated' | 'deleted' | 'failed'
export type StatusWrite = 'written' | 'conflict' | 'failed'

/** A scan of one namespace takes milliseconds; a full scan of a large cluster, tens of seconds. */
const SCAN_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

export class ControllerMetrics {
  readonly registry = new Registry()
  private readonly scans: Counter<'scope' | 'result'>
  private readonly scanDuration: Histogram<'scope'>
  private readonly podsScanned: Counter
  private readonly reportWrites: Counter<'action'>
  private readonly statusWrites: Counter<'result'>
  private readonly leader: Gauge
  private readonly leaderChanges: Counter

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry]
    this.scans = new Counter({ name: `${PREFIX}scans_total`, help: 'Report scans, by scope (namespace or all) and result (success or failure).', labelNames: ['scope', 'result'] as const, registers })
    this.scanDuration = new Histogram({ name: `${PREFIX}scan_duration_seconds`, help: 'Time one scan took, listing, judging and writing its reports, by scope.', labelNames: ['scope'] as const, buckets: SCAN_BUCKETS, registers })
    this.podsScanned = new Counter({ name: `${PREFIX}scanned_pods_total`, help: 'Pods listed and judged by scans.', registers })
    this.reportWrites = new Counter({ name: `${PREFIX}report_writes_total`, help: 'PolicyReport writes, by action (created, updated, deleted, failed).', labelNames: ['action'] as const, registers })
    this.statusWrites = new Counter({ name: `${PREFIX}status_writes_total`, help: 'Policy status writes, by result (written, conflict: the object changed meanwhile, failed).', labelNames: ['result'] as const, registers })
    this.leader = new Gauge({ name: `${PREFIX}leader`, help: '1 while this process holds the Lease (only the holder writes), else 0.', registers })
    this.leaderChanges = new Counter({ name: `${PREFIX}leader_transitions_total`, help: 'Times this process started or stopped leading.', registers })
    for (const scope of ['namespace', 'all'] as const) for (const result of ['success', 'failure'] as const) this.scans.labels(scope, result).inc(0)
    for (const action of ['created', 'updated', 'deleted', 'failed'] as const) this.reportWrites.labels(action).inc(0)
    for (const result of ['written', 'conflict', 'failed'] as const) this.statusWrites.labels(result).inc(0)
    this.leader.set(0)
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry })
  }

  scan(scope: ScanScope, ok: boolean, seconds: number, pods: number): void {
    this.scans.labels(scope, ok ? 'success' : 'failure').inc()
    this.scanDuration.labels(scope).observe(seconds)
    this.podsScanned.inc(pods)
  }

  reportWrite(action: ReportWrite): void {
    this.reportWrites.labels(action).inc()
  }

  statusWrite(result: StatusWrite): void {
    this.statusWrites.labels(result).inc()
  }

  leading(leading: boolean): void {
    this.leader.set(leading ? 1 : 0)
    this.leaderChanges.inc()
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}
