// `doctor`: is any webhook or admission policy blind to kubectl debug, and is ephemeral-guard installed as recommended?
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { parseDuration } from '../duration.js'
import { doctorExitCode, formatFinding } from '../doctor/findings.js'
import { PACKAGE_ROOT } from '../paths.js'
import { UsageError } from './usage.js'

/** The recommended webhook configurations: compared with the file itself, never with a copy. */
export const RECOMMENDED_WEBHOOKS = join(PACKAGE_ROOT, 'manifests', 'base', 'webhooks.yaml')

export async function doctor(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string', default: 'ephemeral-guard' },
      service: { type: 'string', default: 'ephemeral-guard' },
      secret: { type: 'string', default: 'ephemeral-guard-tls' },
      deployment: { type: 'string', default: 'ephemeral-guard' },
      configmap: { type: 'string' },
      'policy-key': { type: 'string' },
      'expiry-warning': { type: 'string', default: '720h' },
      output: { type: 'string', short: 'o', default: 'text' },
    },
  })
  if (values.output !== 'text' && values.output !== 'json') throw new UsageError(`-o must be text or json, got ${values.output}`)
  const expiry = parseDuration(values['expiry-warning'])
  if (typeof expiry === 'string') throw new UsageError(`--expiry-warning: ${expiry}`)
  // The cluster client is loaded only once the arguments are known to be good (see main.ts).
  const { ClusterError, createKubeApi } = await import('../audit/kube-api.js')
  const { runDoctor } = await import('../doctor/run.js')
  try {
    const api = createKubeApi({ ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), ...(values.context ? { context: values.context } : {}) })
    const { findings, checked } = await runDoctor(api, {
      names: {
        namespace: values.namespace, service: values.service, secret: values.secret,
        ...(values.configmap !== undefined ? { configMap: values.configmap } : {}),
        ...(values['policy-key'] !== undefined ? { policyKey: values['policy-key'] } : {}),
      },
      deployment: values.deployment,
      manifestFile: RECOMMENDED_WEBHOOKS,
      now: () => new Date(),
      expiryWarningMs: expiry,
    })
    const problems = findings.filter((f) => f.level !== 'ok').length
    if (values.output === 'json') process.stdout.write(`${JSON.stringify({ checked, problems, findings }, null, 2)}\n`)
    else process.stdout.write(`${findings.map(formatFinding).join('\n')}\n${problems === 0 ? 'No problems found' : `${problems} problem${problems === 1 ? '' : 's'} found`}; checked ${checked}.\n`)
    return doctorExitCode(findings)
  } catch (e) {
    if (e instanceof ClusterError) {
      process.stderr.write(`ephemeral-guard doctor: ${e.message}\n`)
      return 2
    }
    throw e
  }
}
