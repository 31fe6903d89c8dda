// `review`: one AdmissionReview decided offline, the same function the server uses.
import { readFileSync } from 'node:fs'
import { text as readAll } from 'node:stream/consumers'
import { decodeReview } from '../admission/decode.js'
import { UsageError, WebhookError } from '../errors.js'
import { type Webhook } from '../decision/types.js'
import { admit } from '../admission/admit.js'
import { parseJson } from '../admission/parse.js'
import { loadPolicyFile } from '../policy/load.js'
import { parseDocument } from 'yaml'
import type { DecisionContext } from '../decision/types.js'
import { fail, stringOf, type Io, type Parsed } from './command.js'

/** The review's text: FILE, or standard input for `-` or no FILE (refused when it is a terminal). */
async function readInput(file: string | undefined, io: Io): Promise<string> {
  if (file !== undefined && file !== '-') return readFileSync(file, 'utf8')
  if (io.stdin.isTTY === true) throw new UsageError('reads an AdmissionReview from FILE or from standard input, which is a terminal here; give FILE, or pipe the review in')
  return readAll(io.stdin)
}

/** `k=v,k2=v2` to labels; a key without `=` is refused. */
function parseLabels(text: string): Record<string, string> {
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

export async function review({ values, positionals }: Parsed, io: Io): Promise<number> {
  const webhook = stringOf(values, 'webhook')
  const namespaceFile = stringOf(values, 'namespace')
  const namespaceLabels = stringOf(values, 'namespace-labels')
  const policyFile = stringOf(values, 'policy')
  // The review's namespace has these labels (the manifest's, then the flag's); without either they are unknown.
  let context: DecisionContext = {}
  if (namespaceFile !== undefined || namespaceLabels !== undefined) {
    const labels = {
      ...(namespaceFile === undefined ? {} : namespaceFileLabels(namespaceFile)),
      ...(namespaceLabels === undefined ? {} : parseLabels(namespaceLabels)),
    }
    context = { namespaceLabels: () => labels }
  }
  if (webhook !== 'validate' && webhook !== 'mutate') throw new UsageError(`--webhook must be validate or mutate, got ${webhook}`)
  if (positionals.length > 1) throw new UsageError('takes one FILE (or - for standard input)')
  // An invalid --policy throws PolicyError: every problem printed, exit 2 (see the end of this file).
  // The built-in policy is compiled only when it is used.
  const policy = policyFile === undefined ? (await import('../policy/default.js')).defaultPolicy : loadPolicyFile(policyFile).policy
  let text: string
  try {
    text = await readInput(positionals[0], io)
  } catch (e) {
    if (e instanceof UsageError) throw e
    return fail(io, 'review', `cannot read ${positionals[0] ?? 'standard input'}: ${(e as Error).message}`)
  }
  let decoded
  try {
    decoded = decodeReview(parseJson(text))
  } catch (e) {
    if (!(e instanceof WebhookError)) throw e
    return fail(io, 'review', `not a usable AdmissionReview: ${e.message}`)
  }
  const { review: answer, summary } = admit(decoded, webhook satisfies Webhook, policy, context)
  io.stdout.write(`${JSON.stringify(answer, null, 2)}\n`)
  if (summary.outcome === 'errored') {
    return fail(io, 'review', `cannot evaluate the request: ${summary.note ?? ''}`)
  }
  return answer.response?.allowed ? 0 : 1
}

