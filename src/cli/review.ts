// `review`: one AdmissionReview decided offline, the same function the server uses.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { decodeReview } from '../admission/decode.js'
import { WebhookError } from '../admission/errors.js'
import { admit, type Webhook } from '../admission/handler.js'
import { parseJson } from '../admission/parse.js'
import { defaultPolicy } from '../policy.js'
import { loadPolicyFile } from '../policy/load.js'
import { parseDocument } from 'yaml'
import type { AdmitContext } from '../admission/handler.js'
import { UsageError } from './usage.js'

function readInput(file: string | undefined): string {
  return readFileSync(file === undefined || file === '-' ? 0 : file, 'utf8')
}

/** `k=v,k2=v2` to labels; a key without `=` is refused. */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`--namespace-labels takes k=v[,k2=v2], got ${JSON.stringify(pair)}`)
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim()
  }
  return out
}

/** metadata.labels of a Namespace manifest (YAML or JSON). */
function namespaceFileLabels(file: string): Record<string, string> {
  let doc: unknown
  try {
    const parsed = parseDocument(readFileSync(file, 'utf8'), { uniqueKeys: true })
    if (parsed.errors.length > 0) throw new Error(parsed.errors[0]!.message.split('\n')[0])
    doc = parsed.toJS({ maxAliasCount: 100 })
  } catch (e) {
    throw new UsageError(`--namespace ${file}: ${(e as Error).message}`)
  }
  const ns = doc as { kind?: unknown; metadata?: { labels?: unknown } } | null
  if (ns === null || typeof ns !== 'object' || ns.kind !== 'Namespace') throw new UsageError(`--namespace ${file}: not a Namespace manifest (kind: Namespace)`)
  const labels = ns.metadata?.labels ?? {}
  if (typeof labels !== 'object' || labels === null || Object.values(labels).some((v) => typeof v !== 'string')) {
    throw new UsageError(`--namespace ${file}: metadata.labels must map strings to strings`)
  }
  return labels as Record<string, string>
}

export function review(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      webhook: { type: 'string', default: 'validate' },
      policy: { type: 'string' },
      'namespace-labels': { type: 'string' },
      namespace: { type: 'string' },
    },
  })
  // The review's namespace has these labels (the manifest's, then the flag's); without either they are unknown.
  let context: AdmitContext = {}
  if (values.namespace !== undefined || values['namespace-labels'] !== undefined) {
    const labels = {
      ...(values.namespace === undefined ? {} : namespaceFileLabels(values.namespace)),
      ...(values['namespace-labels'] === undefined ? {} : parseLabels(values['namespace-labels'])),
    }
    context = { namespaceLabels: () => labels }
  }
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
  const { review: answer, summary } = admit(decoded, values.webhook as Webhook, policy, context)
  process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`)
  if (summary.outcome === 'errored') {
    process.stderr.write(`ephemeral-guard: cannot evaluate the request: ${summary.note ?? ''}\n`)
    return 2
  }
  return answer.response?.allowed ? 0 : 1
}

