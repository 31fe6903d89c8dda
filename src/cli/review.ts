// `review`: one AdmissionReview decided offline, the same function the server uses.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { decodeReview } from '../admission/decode.js'
import { WebhookError } from '../admission/errors.js'
import { admit, type Webhook } from '../admission/handler.js'
import { parseJson } from '../admission/parse.js'
import { defaultPolicy } from '../policy.js'
import { loadPolicyFile } from '../policy/load.js'
import { UsageError } from './usage.js'

function readInput(file: string | undefined): string {
  return readFileSync(file === undefined || file === '-' ? 0 : file, 'utf8')
}

export function review(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { webhook: { type: 'string', default: 'validate' }, policy: { type: 'string' } },
  })
  if (values.webhook !== 'validate' && values.webhook !== 'mutate') throw new UsageError(`--webhook must be validate or mutate, got ${values.webhook}`)
  if (positionals.length > 1) throw new UsageError('review takes one FILE (or - for standard input)')
  // An invalid --policy throws PolicyError: every problem printed, exit 2 (see the end of this file).
  const policy = values.policy === undefined ? defaultPolicy : loadPolicyFile(values.policy).policy
  let text: string
  try {
    text = readInput(positionals[0])
  } catch (e) {
    process.stderr.write(`ephemeral-guard: cannot read ${positionals[0] ?? 'standard input'}: ${(e as Error).message}\n`)
    return 2
  }
  let decoded
  try {
    decoded = decodeReview(parseJson(text))
  } catch (e) {
    if (!(e instanceof WebhookError)) throw e
    process.stderr.write(`ephemeral-guard: not a usable AdmissionReview: ${e.message}\n`)
    return 2
  }
  const { review: answer, summary } = admit(decoded, values.webhook as Webhook, policy)
  process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`)
  if (summary.outcome === 'errored') {
    process.stderr.write(`ephemeral-guard: cannot evaluate the request: ${summary.note ?? ''}\n`)
    return 2
  }
  return answer.response?.allowed ? 0 : 1
}

