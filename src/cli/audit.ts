// `audit`: what debug containers exist, who added them, and what a policy would say of them.
import { parseDuration } from '../duration.js'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { exitCodeOf, formatJson, formatPolicyReports, formatTable, formatYaml, policyReports, reportKey } from '../audit/report.js'
import { identityRules } from '../audit/identity.js'
import type { AuditPolicy } from '../audit/evaluate.js'
import { loadPolicyFile } from '../policy/load.js'
import type { PolicyDocument } from '../policy/types.js'
import { ClusterError, PolicyError, UsageError } from '../errors.js'
import { fail as failWith, flagOf, stringOf, type Io, type Parsed } from './command.js'
import { kubeApiOptions } from './cluster.js'

const OUTPUTS = ['table', 'json', 'yaml', 'policyreport'] as const
type Output = (typeof OUTPUTS)[number]

/** Where the webhook's ConfigMap is looked for when the policy CRDs are not installed (the shipped names). */
const INSTALL = { namespace: 'ephemeral-guard', deployment: 'ephemeral-guard' } as const

type Judged = AuditPolicy & { readonly source: string; readonly inForce?: readonly string[]; readonly notes?: readonly string[] }

/** A candidate policy file, with what its rules need of the requester's identity. */
function candidate(file: string): Judged {
  const loaded = loadPolicyFile(file)
  // Loaded, so readable and valid: its document gives the rules' identity needs (exemptions included).
  const doc = parse(readFileSync(file, 'utf8')) as PolicyDocument
  return { ...loaded, identity: identityRules(doc.spec), source: file }
}

export async function audit({ values }: Parsed, io: Io): Promise<number> {
  const fail = (message: string): number => failWith(io, 'audit', message)
  const namespace = stringOf(values, 'namespace')
  const allNamespaces = flagOf(values, 'all-namespaces')
  const policyFile = stringOf(values, 'policy')
  const olderThanText = stringOf(values, 'older-than')
  const apply = flagOf(values, 'apply')
  if (namespace !== undefined && allNamespaces) throw new UsageError('takes -n NAMESPACE or -A, not both')
  if (namespace === undefined && !allNamespaces) throw new UsageError('needs -n NAMESPACE or -A (all namespaces)')
  const output = (stringOf(values, 'output') ?? (io.stdout.isTTY === true ? 'table' : 'json')) as Output
  if (!OUTPUTS.includes(output)) throw new UsageError(`-o must be one of ${OUTPUTS.join(', ')}, got ${output}`)
  let olderThan: { text: string; ms: number } | undefined
  if (olderThanText !== undefined) {
    const ms = parseDuration(olderThanText)
    if (!ms.ok) throw new UsageError(`--older-than: ${ms.error}`)
    olderThan = { text: olderThanText, ms: ms.value }
  }

  let judged: Judged | undefined
  try {
    if (policyFile !== undefined) judged = candidate(policyFile)
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e
    return fail(e.message)
  }

  const showProgress = io.stderr.isTTY === true
  // The cluster client is loaded only once the arguments are known to be good (see main.ts).
  const { createKubeApi } = await import('../cluster/api.js')
  const { applyReports, requireNamespace, requirePolicyReportApi, runAudit } = await import('../audit/run.js')
  const { policiesInForce } = await import('../audit/in-force.js')
  try {
    const api = createKubeApi(kubeApiOptions(values, io.env))
    if (namespace !== undefined) await requireNamespace(api, namespace)
    if (apply) await requirePolicyReportApi(api)
    // Without --policy: what the webhook serves (the policy objects, else its ConfigMap, else the default).
    judged ??= await policiesInForce(api, INSTALL)
    const result = await runAudit(api, {
      scope: namespace === undefined ? {} : { namespace },
      policy: judged,
      now: () => new Date(),
      ...(olderThan ? { olderThan } : {}),
      ...(showProgress ? { progress: (pods: number, found: number) => io.stderr.write(`\rscanned ${pods} pods, ${found} ephemeral containers`) } : {}),
    })
    if (showProgress) io.stderr.write('\r\x1b[K')
    const reports = output === 'policyreport' || apply ? policyReports(result) : []
    const text = output === 'table' ? formatTable(result) : output === 'json' ? formatJson(result) : output === 'yaml' ? formatYaml(result) : formatPolicyReports(reports)
    io.stdout.write(text)
    if (apply) {
      for (const line of await applyReports(api, result.scope, reportKey(result.policy), reports)) io.stderr.write(`${line}\n`)
    }
    return exitCodeOf(result.summary)
  } catch (e) {
    if (e instanceof ClusterError || e instanceof PolicyError) return fail(e.message)
    throw e
  }
}
