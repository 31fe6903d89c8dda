// `audit`: what debug containers exist, who added them, and what a policy would say of them.
import { parseDuration } from '../duration.js'
import { exitCodeOf, formatJson, formatPolicyReports, formatTable, formatYaml, policyReports } from '../audit/report.js'
import { DEFAULT_POLICY_FILE, loadPolicyFile, type LoadedPolicy } from '../policy/load.js'
import { ClusterError, PolicyError, UsageError } from '../errors.js'
import { fail as failWith, flagOf, stringOf, type Io, type Parsed } from './command.js'
import { kubeApiOptions } from './cluster.js'

const OUTPUTS = ['table', 'json', 'yaml', 'policyreport'] as const
type Output = (typeof OUTPUTS)[number]


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

  let loaded: LoadedPolicy
  try {
    loaded = loadPolicyFile(policyFile ?? DEFAULT_POLICY_FILE)
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e
    return fail(e.message)
  }

  const showProgress = io.stderr.isTTY === true
  // The cluster client is loaded only once the arguments are known to be good (see main.ts).
  const { createKubeApi } = await import('../cluster/api.js')
  const { applyReports, requireNamespace, requirePolicyReportApi, runAudit } = await import('../audit/run.js')
  try {
    const api = createKubeApi(kubeApiOptions(values, io.env))
    if (namespace !== undefined) await requireNamespace(api, namespace)
    if (apply) await requirePolicyReportApi(api)
    const result = await runAudit(api, {
      scope: namespace === undefined ? {} : { namespace },
      policy: { policy: loaded.policy, rules: loaded.rules, source: policyFile ?? 'built-in default' },
      now: () => new Date(),
      ...(olderThan ? { olderThan } : {}),
      ...(showProgress ? { progress: (pods: number, found: number) => io.stderr.write(`\rscanned ${pods} pods, ${found} ephemeral containers`) } : {}),
    })
    if (showProgress) io.stderr.write('\r\x1b[K')
    const reports = output === 'policyreport' || apply ? policyReports(result) : []
    const text = output === 'table' ? formatTable(result) : output === 'json' ? formatJson(result) : output === 'yaml' ? formatYaml(result) : formatPolicyReports(reports)
    io.stdout.write(text)
    if (apply) {
      for (const line of await applyReports(api, result.scope, loaded.policy.name, reports)) io.stderr.write(`${line}\n`)
    }
    return exitCodeOf(result.summary)
  } catch (e) {
    if (e instanceof ClusterError) return fail(e.message)
    throw e
  }
}
