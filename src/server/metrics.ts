// Prometheus metrics, on a registry of our own (never prom-client's global one, so tests and embedders
// can run several servers in one process). The names are a contract: README "Metrics" lists them.
// Hot path: label children are created once and reused; a decision costs a few counter increments and
// one histogram observation, nothing else.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { DecisionSummary, Outcome, Webhook } from '../decision/types.js'
import type { Mode } from '../decision/types.js'

const METRIC_PREFIX = 'ephemeral_guard_'

const WEBHOOKS: readonly Webhook[] = ['validate', 'mutate']
const OUTCOMES: readonly Outcome[] = ['allowed', 'denied', 'patched', 'skipped', 'exempt', 'errored']
const MODES: readonly Mode[] = ['enforce', 'warn', 'audit']

/**
 * Latency buckets in seconds. A decision takes well under a millisecond to a few milliseconds; the
 * upper buckets catch slow uploads of large reviews, up to the API server's 30 s maximum timeout.
 */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

type Inc = { inc: (value?: number) => void }
type Observe = { observe: (value: number) => void }

/** Why a request got an HTTP error instead of an AdmissionReview; the API server applies failurePolicy. */
export type RequestErrorReason = 'BadRequest' | 'RequestEntityTooLarge' | 'Timeout' | 'InternalError'

export type ReloadResult = 'success' | 'failure'

/** What the admission routes report; the app depends on this, not on prom-client. */
export interface AdmissionMetrics {
  /** One answered review: its outcome, every violated rule with its mode, and the time taken. */
  decision(webhook: Webhook, summary: DecisionSummary, seconds: number): void
  /** A request answered with an HTTP error status (no AdmissionReview). */
  requestError(webhook: Webhook, reason: RequestErrorReason): void
}

export interface MetricsOptions {
  /** The package version, for ephemeral_guard_build_info. */
  readonly version: string
  /** Also export Node's process metrics (CPU, memory, event-loop lag, GC); default true. */
  readonly processMetrics?: boolean
}

export class Metrics implements AdmissionMetrics {
  readonly registry = new Registry()
  private readonly decisions: Record<string, Record<string, Inc>> = {}
  private readonly latency: Record<string, Observe> = {}
  /** webhook -> mode -> rule -> child; rules come from the policy, so children are made on first use. */
  private readonly violationChildren: Record<string, Record<string, Map<string, Inc>>> = {}
  private readonly violations: Counter<'webhook' | 'rule' | 'mode'>
  private readonly requestErrors: Counter<'webhook' | 'reason'>
  private readonly policyReloads: Counter<'result'>
  private readonly policyInfo: Gauge<'name' | 'hash'>
  private readonly policiesNotServed: Gauge
  private readonly certificateReloads: Counter<'result'>
  private readonly certificateExpiry: Gauge<'certificate'>

  constructor(options: MetricsOptions) {
    const registers = [this.registry]
    const decisions = new Counter({
      name: `${METRIC_PREFIX}admission_decisions_total`,
      help: 'Admission reviews answered, by webhook and outcome (allowed, denied, patched, skipped, exempt, errored).',
      labelNames: ['webhook', 'outcome'] as const,
      registers,
    })
    const latency = new Histogram({
      name: `${METRIC_PREFIX}admission_duration_seconds`,
      help: 'Time from the start of a review request to its answer, body upload included.',
      labelNames: ['webhook'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.violations = new Counter({
      name: `${METRIC_PREFIX}rule_violations_total`,
      help: 'Rules violated by answered reviews, whatever their mode (audit and warn included), by webhook, rule and mode.',
      labelNames: ['webhook', 'rule', 'mode'] as const,
      registers,
    })
    this.requestErrors = new Counter({
      name: `${METRIC_PREFIX}admission_request_errors_total`,
      help: "Review requests answered with an HTTP error instead of an AdmissionReview (the webhook's failurePolicy applies), by webhook and reason.",
      labelNames: ['webhook', 'reason'] as const,
      registers,
    })
    this.policyReloads = new Counter({
      name: `${METRIC_PREFIX}policy_reloads_total`,
      help: 'Policy file changes seen, by result: success (now in force) or failure (the last good policy stays).',
      labelNames: ['result'] as const,
      registers,
    })
    this.policyInfo = new Gauge({
      name: `${METRIC_PREFIX}policy_info`,
      help: 'The policy in force: its name and content hash; always 1.',
      labelNames: ['name', 'hash'] as const,
      registers,
    })
    this.policiesNotServed = new Gauge({
      name: `${METRIC_PREFIX}policies_not_served`,
      help: 'Policy objects of the cluster (serve --cluster-policies) not served: never valid, or a second policy defining spec.mutations; /readyz lists them.',
      registers,
    })
    this.certificateReloads = new Counter({
      name: `${METRIC_PREFIX}certificate_reloads_total`,
      help: 'Changed certificate files seen, by result: success (new handshakes use them) or failure (the current certificate keeps serving).',
      labelNames: ['result'] as const,
      registers,
    })
    this.certificateExpiry = new Gauge({
      name: `${METRIC_PREFIX}certificate_expiry_timestamp_seconds`,
      help: 'Expiry (notAfter, Unix seconds) of the certificate in use: the serving certificate, and the client CA when --client-ca is set.',
      labelNames: ['certificate'] as const,
      registers,
    })
    new Gauge({
      name: `${METRIC_PREFIX}build_info`,
      help: 'The running build: package version and Node.js version; always 1.',
      labelNames: ['version', 'nodejs_version'] as const,
      registers,
    }).set({ version: options.version, nodejs_version: process.versions.node }, 1)
    // Reset every label set to 0 for both result labels, so rates work from the first scrape.
    for (const result of ['success', 'failure'] as const) {
      this.policyReloads.inc({ result }, 0)
      this.certificateReloads.inc({ result }, 0)
    }
    for (const webhook of WEBHOOKS) {
      const byOutcome: Record<string, Inc> = {}
      for (const outcome of OUTCOMES) {
        const child = decisions.labels(webhook, outcome)
        child.inc(0) // exported as 0 from the start, so rates and alerts work at once
        byOutcome[outcome] = child
      }
      this.decisions[webhook] = byOutcome
      this.latency[webhook] = latency.labels(webhook)
      const byMode: Record<string, Map<string, Inc>> = {}
      for (const mode of MODES) byMode[mode] = new Map()
      this.violationChildren[webhook] = byMode
    }
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry })
  }

  decision(webhook: Webhook, summary: DecisionSummary, seconds: number): void {
    this.decisions[webhook]![summary.outcome]!.inc()
    this.latency[webhook]!.observe(seconds)
    for (const { rule, mode } of summary.rules) {
      const byRule = this.violationChildren[webhook]![mode]!
      let child = byRule.get(rule)
      if (child === undefined) {
        child = this.violations.labels(webhook, rule, mode)
        byRule.set(rule, child)
      }
      child.inc()
    }
  }

  requestError(webhook: Webhook, reason: RequestErrorReason): void {
    this.requestErrors.inc({ webhook, reason })
  }

  /** The policy now in force (at start and after each successful reload). */
  policyInForce(policy: { readonly name: string; readonly hash: string }): void {
    this.policyInfo.reset()
    this.policyInfo.set({ name: policy.name, hash: policy.hash }, 1)
  }

  /**
   * The cluster's policies now in force (serve --cluster-policies): one policy_info series per policy
   * (a DebugPolicy named namespace/name), and how many objects are not served.
   */
  policiesInForce(policies: readonly { readonly name: string; readonly hash: string }[], notServed: number): void {
    this.policyInfo.reset()
    for (const p of policies) this.policyInfo.set({ name: p.name, hash: p.hash }, 1)
    this.policiesNotServed.set(notServed)
  }

  policyReload(result: ReloadResult): void {
    this.policyReloads.inc({ result })
  }

  certificateReload(result: ReloadResult): void {
    this.certificateReloads.inc({ result })
  }

  /** The notAfter of a certificate now in use ('serving' or 'client-ca'). */
  certificateInUse(certificate: 'serving' | 'client-ca', notAfter: Date): void {
    this.certificateExpiry.set({ certificate }, Math.floor(notAfter.getTime() / 1000))
  }

  /** Prometheus text exposition format. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}
