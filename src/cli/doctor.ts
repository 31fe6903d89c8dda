// `doctor`: is any webhook or admission policy blind to kubectl debug, and is ephemeral-guard installed as recommended?
import { join } from 'node:path'
import { parseDuration } from '../duration.js'
import { doctorExitCode, formatFinding } from '../doctor/findings.js'
import { PACKAGE_ROOT } from '../paths.js'
import { stringify } from 'yaml'
import { fail, stringOf, type Io, type Parsed } from './command.js'
import { kubeApiOptions } from './cluster.js'
import { ClusterError, UsageError } from '../errors.js'

/** The recommended webhook configurations: compared with the file itself, never with a copy. */
const RECOMMENDED_WEBHOOKS = join(PACKAGE_ROOT, 'manifests', 'base', 'webhooks.yaml')

export async function doctor({ values }: Parsed, io: Io): Promise<number> {
  const output = stringOf(values, 'output')
  const expiryText = stringOf(values, 'expiry-warning')!
  const configMap = stringOf(values, 'configmap')
  const policyKey = stringOf(values, 'policy-key')
  if (output !== 'text' && output !== 'json' && output !== 'yaml') throw new UsageError(`-o must be text, json or yaml, got ${output}`)
  const expiry = parseDuration(expiryText)
  if (!expiry.ok) throw new UsageError(`--expiry-warning: ${expiry.error}`)
  // The cluster client is loaded only once the arguments are known to be good (see main.ts).
  const { createKubeApi } = await import('../cluster/api.js')
  const { checkedText, runDoctor } = await import('../doctor/run.js')
  try {
    const api = createKubeApi(kubeApiOptions(values, io.env))
    const { findings, checked } = await runDoctor(api, {
      names: {
        namespace: stringOf(values, 'namespace')!, service: stringOf(values, 'service')!, secret: stringOf(values, 'secret')!,
        ...(configMap !== undefined ? { configMap } : {}),
        ...(policyKey !== undefined ? { policyKey } : {}),
      },
      deployment: stringOf(values, 'deployment')!,
      manifestFile: RECOMMENDED_WEBHOOKS,
      now: () => new Date(),
      expiryWarningMs: expiry.value,
    })
    const problems = findings.filter((f) => f.level !== 'ok').length
    if (output === 'json') io.stdout.write(`${JSON.stringify({ checked, problems, findings }, null, 2)}\n`)
    else if (output === 'yaml') io.stdout.write(stringify({ checked, problems, findings }, { lineWidth: 0 }))
    else io.stdout.write(`${findings.map(formatFinding).join('\n')}\n${problems === 0 ? 'No problems found' : `${problems} problem${problems === 1 ? '' : 's'} found`}; checked ${checkedText(checked)}.\n`)
    return doctorExitCode(findings)
  } catch (e) {
    if (e instanceof ClusterError) {
      return fail(io, 'doctor', e.message)
    }
    throw e
  }
}
