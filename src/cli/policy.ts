// `policy check|schema FILE`.
import { parseArgs } from 'node:util'
import { loadPolicyFile, PolicyError, type LoadedPolicy } from '../policy/load.js'
import { UsageError } from './usage.js'

export function policyCommand(args: string[]): number {
  const [sub, ...rest] = args
  if (sub !== 'check' && sub !== 'schema') throw new UsageError('policy takes check FILE or schema FILE')
  const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} })
  if (positionals.length !== 1) throw new UsageError(`policy ${sub} takes one FILE`)
  let loaded: LoadedPolicy
  try {
    loaded = loadPolicyFile(positionals[0]!)
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e
    process.stderr.write(`${e.message}\n`)
    return 1
  }
  const { policy, rules } = loaded
  if (sub === 'check') {
    process.stdout.write(`${loaded.source}: policy ${JSON.stringify(policy.name)} (${policy.hash}) is valid: ${rules.length} rule${rules.length === 1 ? '' : 's'}\n`)
    return 0
  }
  process.stdout.write(`${JSON.stringify({ policy: policy.name, hash: policy.hash, rules }, null, 2)}\n`)
  return 0
}

