// What an audit prints: a table for people, JSON or YAML for tools, and wgpolicyk8s.io/v1alpha2
// PolicyReports (one per namespace) for Policy Reporter and friends. Pure: the time arrives as an argument.
import { stringify } from 'yaml'
import type { JsonObject } from '../kube/types.js'
import { formatAge } from '../duration.js'
import type { AuditFinding, AuditVerdict } from './evaluate.js'

export interface AuditScope {
  /** undefined with --all-namespaces. */
  readonly namespace?: string
}

export interface AuditSummary {
  readonly pods: number
  readonly podsWithEphemeralContainers: number
  readonly ephemeralContainers: number
  readonly verdicts: Readonly<Record<AuditVerdict, number>>
  /** Containers flagged by --older-than. */
  readonly recycle: number
}

/**
 * The policy judged with. A candidate file is one policy; the policies in force (audit without
 * --policy) are listed in `inForce` as `name@hash` (`namespace/name@hash` for a DebugPolicy), with
 * `name` and `hash` those of their combination.
 */
export interface AuditPolicyInfo {
  readonly name: string
  readonly hash: string
  /** Where it came from: the file, `cluster`, `ConfigMap NAMESPACE/NAME`, or `built-in default`. */
  readonly source: string
  readonly inForce?: readonly string[]
  /** Why an earlier source of the policies in force was passed over. */
  readonly notes?: readonly string[]
}

export interface AuditResult {
  readonly policy: AuditPolicyInfo
  readonly scope: AuditScope
  readonly generatedAt: string
  readonly olderThan?: string
  readonly summary: AuditSummary
  /** Sorted by namespace, pod, then position in the pod. */
  readonly findings: readonly AuditFinding[]
}

const VERDICTS: readonly AuditVerdict[] = ['deny', 'warn', 'audit', 'unverified', 'pass', 'exempt', 'error']

export function summarize(pods: number, findings: readonly AuditFinding[]): AuditSummary {
  const verdicts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<AuditVerdict, number>
  for (const f of findings) verdicts[f.verdict]++
  return {
    pods,
    podsWithEphemeralContainers: new Set(findings.map((f) => `${f.namespace}/${f.pod}`)).size,
    ephemeralContainers: findings.length,
    verdicts,
    recycle: findings.filter((f) => f.recycle).length,
  }
}

export const compareFindings = (a: AuditFinding, b: AuditFinding): number =>
  (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0) || (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0) || a.index - b.index

/**
 * 0 nothing violates, 1 a rule is violated (any mode), a verdict is unverified (not a failure of the
 * policy, but a person should look, as for warn) or a pod is due for recycling, 2 a container could not
 * be evaluated.
 */
export function exitCodeOf(summary: AuditSummary): 0 | 1 | 2 {
  const v = summary.verdicts
  if (v.error > 0) return 2
  return v.deny + v.warn + v.audit + v.unverified + summary.recycle > 0 ? 1 : 0
}

/** How the policy is named in one line: `policy NAME (HASH)`, or `policies in force: a@h, b@h (SOURCE)`. */
export const policyText = (p: AuditPolicyInfo): string =>
  p.inForce === undefined ? `policy ${p.name} (${p.hash})` : `policies in force: ${p.inForce.join(', ')} (${p.source})`

const rulesOf = (f: AuditFinding): string => {
  if (f.verdict === 'exempt') return '(exempt)'
  if (f.verdict === 'error') return '(cannot evaluate)'
  const rules = [...new Set([...f.violations.map((v) => v.rule), ...(f.unverified ?? [])])]
  return rules.length === 0 ? '-' : rules.join(',')
}

const ageText = (f: AuditFinding): string => (f.ageSeconds === undefined ? '<unknown>' : `${formatAge(f.ageSeconds * 1000)}${f.ageSource === 'pod-created' ? '*' : ''}`)

/**
 * kubectl-style columns. AGE marked `*` is the pod's age (the container's own time is unknown; the
 * container is at most that old). RECYCLE appears with --older-than.
 */
export function formatTable(result: AuditResult): string {
  const withRecycle = result.olderThan !== undefined
  const header = ['NAMESPACE', 'POD', 'CONTAINER', 'IMAGE', 'REQUESTER', 'AGE', 'STATE', 'VERDICT', 'RULES', ...(withRecycle ? ['RECYCLE'] : [])]
  const rows = result.findings.map((f) => [
    f.namespace, f.pod, f.container, f.image, f.requestedBy ?? '<unknown>', ageText(f), f.state, f.verdict, rulesOf(f),
    ...(withRecycle ? [f.recycle ? 'yes' : 'no'] : []),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd()
  const s = result.summary
  const counts = VERDICTS.filter((v) => s.verdicts[v] > 0).map((v) => `${s.verdicts[v]} ${v}`).join(', ')
  const footer = `${s.ephemeralContainers} ephemeral container${s.ephemeralContainers === 1 ? '' : 's'} in ${s.podsWithEphemeralContainers} of ${s.pods} pods` +
    `${counts ? `: ${counts}` : ''}${withRecycle ? `; ${s.recycle} older than ${result.olderThan} (recycle the pod)` : ''}; ${policyText(result.policy)}`
  if (rows.length === 0) return `No ephemeral containers found.\n${footer}\n`
  const details = result.findings.flatMap((f) => [...f.violations.map((v) => `  ${f.namespace}/${f.pod} ${f.container}: ${v.message}${v.mode === 'enforce' ? '' : ` [${v.mode}]`}`),
    ...f.notes.map((n) => `  ${f.namespace}/${f.pod} ${f.container}: note: ${n}`)])
  return `${[line(header), ...rows.map(line)].join('\n')}\n${details.length > 0 ? `\n${details.join('\n')}\n` : ''}\n${footer}\n`
}

/** The JSON/YAML document. */
export function auditDocument(result: AuditResult): JsonObject {
  return JSON.parse(JSON.stringify({
    apiVersion: 'ephemeral-guard.dev/v1alpha1',
    kind: 'EphemeralContainerAudit',
    policy: result.policy,
    scope: result.scope.namespace === undefined ? { allNamespaces: true } : { namespace: result.scope.namespace },
    generatedAt: result.generatedAt,
    ...(result.olderThan !== undefined ? { olderThan: result.olderThan } : {}),
    summary: result.summary,
    items: result.findings,
  })) as JsonObject
}

export const formatJson = (result: AuditResult): string => `${JSON.stringify(auditDocument(result), null, 2)}\n`
export const formatYaml = (result: AuditResult): string => stringify(auditDocument(result))

// --- PolicyReports ---------------------------------------------------------------------------

const POLICY_REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2'
export const REPORT_SOURCE = 'ephemeral-guard'
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
export const POLICY_LABEL = 'ephemeral-guard.dev/policy'
/** The pseudo-policy of results that are about the pod, not a rule: a pod to recycle. */
const TAINTED_POD_RULE = 'tainted-pod'

type ReportResult = 'pass' | 'fail' | 'warn' | 'error' | 'skip'

const RESULT_OF: Readonly<Record<AuditVerdict, ReportResult>> = { deny: 'fail', warn: 'warn', audit: 'warn', pass: 'pass', unverified: 'skip', exempt: 'skip', error: 'error' }
/** The property of a `skip` result that audit could not decide for want of the requester's identity. */
export const SKIP_REASON = 'ephemeral-guard.dev/skip-reason'
export const IDENTITY_UNKNOWN = 'identity-unknown'
const SEVERITY_OF: Readonly<Record<string, string>> = { enforce: 'high', warn: 'medium', audit: 'low' }

/**
 * What names a run's reports: the candidate policy's name, or `in-force` for the policies in force,
 * whatever they are called (so a renamed policy does not leave a report behind).
 */
export const reportKey = (p: AuditPolicyInfo): string => (p.inForce === undefined ? p.name : 'in-force')
/** Report names: one per policy (or the policies in force) per namespace, so candidates do not overwrite each other. */
const reportName = (key: string): string => `ephemeral-guard-${key}`

function properties(f: AuditFinding): Record<string, string> {
  return {
    container: f.container,
    image: f.image,
    requester: f.requestedBy ?? 'unknown',
    state: f.state,
    ...(f.since !== undefined ? { since: f.since, sinceSource: f.ageSource } : {}),
    ...(f.requestedGroups !== undefined ? { requestedGroups: f.requestedGroups.join(',') } : {}),
    ...(f.admittedUnder !== undefined ? { admittedUnder: f.admittedUnder } : {}),
  }
}

function resultsOf(f: AuditFinding, policyName: string, timestamp: JsonObject, olderThan: string | undefined): JsonObject[] {
  const resources = [{ apiVersion: 'v1', kind: 'Pod', name: f.pod, namespace: f.namespace, uid: f.podUid }]
  const common = { source: REPORT_SOURCE, policy: policyName, category: 'Ephemeral containers', scored: true, timestamp, resources, properties: properties(f) }
  const out: JsonObject[] = []
  const unverified = new Set(f.unverified ?? [])
  if (f.violations.length > 0 || unverified.size > 0) {
    // One result per rule, its messages joined: Policy Reporter counts results per rule.
    const byRule = new Map<string, { mode: string; messages: string[] }>()
    for (const v of f.violations) {
      const entry = byRule.get(v.rule) ?? { mode: v.mode, messages: [] }
      entry.messages.push(v.message)
      byRule.set(v.rule, entry)
    }
    for (const [name, { mode, messages }] of byRule) {
      if (unverified.has(name)) continue
      out.push({ ...common, rule: name, result: mode === 'enforce' ? 'fail' : 'warn', severity: SEVERITY_OF[mode]!, message: `${f.container}: ${messages.join('; ')}`, properties: { ...properties(f), mode } })
    }
    // A rule audit cannot decide without the requester's identity: skipped, with why; never a failure.
    f.unverified?.forEach((name, i) => {
      const messages = [f.notes[i]!, ...(byRule.get(name)?.messages ?? [])]
      out.push({ ...common, rule: name, result: 'skip', message: `${f.container}: ${messages.join('; ')}`, properties: { ...properties(f), [SKIP_REASON]: IDENTITY_UNKNOWN } })
    })
  } else {
    const message = f.verdict === 'pass' ? `${f.container}: every rule passes` : `${f.container}: ${f.notes.join('; ')}`
    out.push({ ...common, rule: f.verdict === 'pass' ? 'all-rules' : f.verdict, result: RESULT_OF[f.verdict], message })
  }
  if (f.recycle) {
    out.push({
      ...common, policy: REPORT_SOURCE, rule: TAINTED_POD_RULE, result: 'warn', severity: 'medium',
      message: `pod has carried ephemeral container ${f.container} for more than ${olderThan}; ephemeral containers can never be removed: recycle the pod`,
    })
  }
  return out
}

/**
 * One PolicyReport per namespace that holds ephemeral containers (and, with -n, for that namespace
 * even when it holds none, so applying it clears an older report).
 */
export function policyReports(result: AuditResult): JsonObject[] {
  const timestamp = { seconds: Math.floor(Date.parse(result.generatedAt) / 1000), nanos: 0 }
  const byNamespace = new Map<string, JsonObject[]>()
  if (result.scope.namespace !== undefined) byNamespace.set(result.scope.namespace, [])
  for (const f of result.findings) {
    const list = byNamespace.get(f.namespace) ?? []
    list.push(...resultsOf(f, reportKey(result.policy), timestamp, result.olderThan))
    byNamespace.set(f.namespace, list)
  }
  return [...byNamespace.keys()].sort().map((namespace) => {
    const results = byNamespace.get(namespace)!
    const count = (r: ReportResult) => results.filter((x) => x['result'] === r).length
    return {
      apiVersion: POLICY_REPORT_API_VERSION,
      kind: 'PolicyReport',
      metadata: {
        name: reportName(reportKey(result.policy)),
        namespace,
        labels: { [MANAGED_BY_LABEL]: REPORT_SOURCE, [POLICY_LABEL]: reportKey(result.policy) },
        annotations: {
          'ephemeral-guard.dev/policy-hash': result.policy.hash,
          ...(result.policy.inForce === undefined ? {} : { 'ephemeral-guard.dev/policies': result.policy.inForce.join(','), 'ephemeral-guard.dev/policy-source': result.policy.source }),
          'ephemeral-guard.dev/generated-at': result.generatedAt,
        },
      },
      summary: { pass: count('pass'), fail: count('fail'), warn: count('warn'), error: count('error'), skip: count('skip') },
      results,
    }
  })
}

/** As a kubectl-style List, for -o policyreport (JSON). */
export const formatPolicyReports = (reports: readonly JsonObject[]): string =>
  `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: reports }, null, 2)}\n`
