// `audit`: what debug containers exist, who added them, and what a policy would say of them.
import { parseArgs } from 'node:util'
import { parseDuration } from '../duration.js'
import { exitCodeOf, formatJson, formatPolicyReports, formatTable, formatYaml, policyReports } from '../audit/report.js'
import { DEFAULT_POLICY_FILE, loadPolicyFile, PolicyError, type LoadedPolicy } from '../policy/load.js'
import { UsageError } from './usage.js'

const OUTPUTS = ['table', 'json', 'yaml', 'policyreport'] as const
type Output = (typeof OUTPUTS)[number]

/** One line on stderr, exit 2: never a stack trace. */
const fail = (message: string): number => {
  process.stderr.write(`ephemeral-guard audit: ${message}\n`)
  return 2
}

export async function audit(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    allowPositionals: false,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      'all-namespaces': { type: 'boolean', short: 'A' },
      policy: { type: 'string' },
      output: { type: 'string', short: 'o' },
      'older-than': { type: 'string' },
      apply: { type: 'boolean' },
    },
  })
  if (values.namespace !== undefined && values['all-namespaces']) throw new UsageError('audit takes -n NAMESPACE or -A, not both')
  if (values.namespace === undefined && !values['all-namespaces']) throw new UsageError('audit needs -n NAMESPACE or -A (all namespaces)')
  const output = (values.output ?? (process.stdout.isTTY ? 'table' : 'json')) as Output
  if (!OUTPUTS.includes(output)) throw new UsageError(`-o must be one of ${OUTPUTS.join(', ')}, got ${values.output}`)
  let olderThan: { text: string; ms: number } | undefined
  if (values['older-than'] !== undefined) {
    const ms = parseDuration(values['older-than'])
    if (typeof ms === 'string') throw new UsageError(`--older-than: ${ms}`)
    olderThan = { text: values['older-than'], ms }
  }

  let loaded: LoadedPolicy
  try {
    loaded = loadPolicyFile(values.policy ?? DEFAULT_POLICY_FILE)
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e
    return fail(`invalid policy ${e.source}: ${e.problems.join('; ')}`)
  }

  const showProgress = process.stderr.isTTY === true
  // The cluster client is loaded only once the arguments are known to be good (see main.ts).
  const { ClusterError, createKubeApi } = await import('../audit/kube-api.js')
  const { applyReports, runAudit } = await import('../audit/run.js')
  try {
    const api = createKubeApi({ ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), ...(values.context ? { context: values.context } : {}) })
    const result = await runAudit(api, {
      scope: values.namespace === undefined ? {} : { namespace: values.namespace },
      policy: { policy: loaded.policy, rules: loaded.rules, source: values.policy ?? 'built-in default' },
      now: () => new Date(),
      ...(olderThan ? { olderThan } : {}),
      ...(showProgress ? { progress: (pods: number, found: number) => process.stderr.write(`\rscanned ${pods} pods, ${found} ephemeral containers`) } : {}),
    })
    if (showProgress) process.stderr.write('\r\x1b[K')
    const reports = output === 'policyreport' || values.apply ? policyReports(result) : []
    const text = output === 'table' ? formatTable(result) : output === 'json' ? formatJson(result) : output === 'yaml' ? formatYaml(result) : formatPolicyReports(reports)
    process.stdout.write(text)
    if (values.apply) {
      for (const line of await applyReports(api, result.scope, loaded.policy.name, reports)) process.stderr.write(`${line}\n`)
    }
    return exitCodeOf(result.summary)
  } catch (e) {
    if (e instanceof ClusterError) return fail(e.message)
    throw e
  }
}
