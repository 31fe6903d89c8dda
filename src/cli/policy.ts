// `policy check|schema FILE`: an EphemeralContainerPolicy or a DebugPolicy.
import { ALL_POLICY_KINDS, loadPolicyFile, type LoadedPolicy } from '../policy/load.js'
import { PolicyError, UsageError } from '../errors.js'
import { fail, type Io, type Parsed } from './command.js'

export function policyCommand({ positionals }: Parsed, io: Io): number {
  const [sub, ...files] = positionals
  if (sub !== 'check' && sub !== 'schema') throw new UsageError(`takes check FILE or schema FILE${sub === undefined ? '' : `, got ${JSON.stringify(sub)}`}`)
  if (files.length !== 1) throw new UsageError(`${sub} takes one FILE`)
  let loaded: LoadedPolicy
  try {
    loaded = loadPolicyFile(files[0]!, ALL_POLICY_KINDS)
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e
    fail(io, 'policy', e.message)
    return 1 // the check's finding, not a failure to run it
  }
  const { policy, rules } = loaded
  if (sub === 'check') {
    io.stdout.write(`${loaded.source}: ${loaded.kind === 'DebugPolicy' ? 'DebugPolicy' : 'policy'} ${JSON.stringify(policy.name)} (${policy.hash}) is valid: ${rules.length} rule${rules.length === 1 ? '' : 's'}\n`)
    return 0
  }
  io.stdout.write(`${JSON.stringify({ policy: policy.name, hash: policy.hash, rules }, null, 2)}\n`)
  return 0
}
