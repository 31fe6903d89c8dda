// `review`: one AdmissionReview decided offline, the same function the server uses.
import { readFileSync } from 'node:fs'
import { text as readAll } from 'node:stream/consumers'
import { decodeReview } from '../admission/decode.js'
import { UsageError, WebhookError } from '../errors.js'
import { type Webhook } from '../decision/types.js'
import { admit } from '../admission/admit.js'
import { checkedValue, parseJson } from '../admission/parse.js'
import { loadPolicyFile } from '../policy/load.js'
import { parseDocument, stringify } from 'yaml'
import type { DecisionContext, Policy } from '../decision/types.js'
import { buildReview, debugContainer, throughWebhooks } from '../admission/build.js'
import { isJsonObject, type AdmissionReview, type JsonObject, type JsonValue } from '../kube/types.js'
import { readYaml } from '../verify/cases.js'
import { listOf, fail, stringOf, type Io, type Parsed } from './command.js'

/** The review's text: FILE, or standard input for `-` or no FILE (refused when it is a terminal). */
async function readInput(file: string | undefined, io: Io): Promise<string> {
  if (file !== undefined && file !== '-') return readFileSync(file, 'utf8')
  if (io.stdin.isTTY === true) throw new UsageError('reads an AdmissionReview from FILE or from standard input, which is a terminal here; give FILE, pipe the review in, or build one with --pod FILE --image IMAGE')
  return readAll(io.stdin)
}

/** JSON as the server parses it; anything else as YAML (a review written by hand, with comments). */
function parseReview(text: string): unknown {
  if (/^\s*[{[]/.test(text)) return parseJson(text)
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!
    const at = e.linePos?.[0]
    throw new WebhookError(`YAML${at ? ` line ${at.line}, column ${at.col}` : ''}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`)
  }
  return checkedValue(doc.toJS({ maxAliasCount: 100 }))
}

/** The debug flags that build a review from --pod, as `kubectl debug` would add the container. */
const DEBUG_FLAGS = ['image', 'profile', 'target', 'env', 'container', 'image-pull-policy', 'as', 'as-group', 'namespace'] as const

function builtReview(values: Parsed['values'], podFile: string): AdmissionReview {
  const pod = readYaml(podFile, '--pod')
  if (!isJsonObject(pod as JsonValue)) throw new UsageError(`--pod ${podFile}: not a Pod manifest`)
  const image = stringOf(values, 'image')
  if (image === undefined) throw new UsageError('--pod needs --image (the debug container to add)')
  const profile = stringOf(values, 'profile')
  const target = stringOf(values, 'target')
  const name = stringOf(values, 'container')
  const pullPolicy = stringOf(values, 'image-pull-policy')
  const user = stringOf(values, 'as')
  const namespace = stringOf(values, 'namespace')
  const add = debugContainer(pod as JsonObject, {
    image,
    env: listOf(values, 'env'),
    ...(profile !== undefined ? { profile } : {}),
    ...(target !== undefined ? { target } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(pullPolicy !== undefined ? { imagePullPolicy: pullPolicy } : {}),
  })
  return buildReview({ pod: pod as JsonObject, add: [add], ...(user !== undefined ? { user } : {}), groups: listOf(values, 'as-group'), ...(namespace !== undefined ? { namespace } : {}) })
}

/** --webhook mutate, for people: the verdict, warnings, the decoded patch and the containers after it. */
function mutateText(review: AdmissionReview, policy: Policy, context: DecisionContext): string {
  const pair = throughWebhooks(review, policy, context)
  const response = pair.mutate.review.response
  const lines = [`${pair.patch.length === 0 ? 'allowed, no patch' : `allowed, patched (${pair.patch.length} operation${pair.patch.length === 1 ? '' : 's'})`} by the mutating webhook`]
  for (const w of response?.warnings ?? []) lines.push(`Warning: ${w}`)
  if (pair.patch.length > 0) lines.push('', 'patch:', stringify(pair.patch, { lineWidth: 0 }).trimEnd())
  lines.push('', 'new containers after the patch:', stringify(pair.containers, { lineWidth: 0 }).trimEnd())
  const v = pair.validate.review.response
  lines.push('', `then the validating webhook: ${v?.allowed === true ? 'allowed' : `denied: ${v?.status?.message ?? ''}`}`)
  return `${lines.join('\n')}\n`
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
    throw new UsageError(`--namespace-file ${file}: ${(e as Error).message}`)
  }
  const ns = doc as { kind?: unknown; metadata?: { labels?: unknown } } | null
  if (ns === null || typeof ns !== 'object' || ns.kind !== 'Namespace') throw new UsageError(`--namespace-file ${file}: not a Namespace manifest (kind: Namespace)`)
  const labels = ns.metadata?.labels ?? {}
  if (typeof labels !== 'object' || labels === null || Object.values(labels).some((v) => typeof v !== 'string')) {
    throw new UsageError(`--namespace-file ${file}: metadata.labels must map strings to strings`)
  }
  return labels as Record<string, string>
}

export async function review({ values, positionals }: Parsed, io: Io): Promise<number> {
  const webhook = stringOf(values, 'webhook')
  const namespaceFile = stringOf(values, 'namespace-file')
  const namespaceLabels = stringOf(values, 'namespace-labels')
  const policyFile = stringOf(values, 'policy')
  const podFile = stringOf(values, 'pod')
  const output = stringOf(values, 'output') ?? (io.stdout.isTTY === true && webhook === 'mutate' ? 'text' : 'json')
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
  if (output !== 'json' && output !== 'yaml' && output !== 'text') throw new UsageError(`-o must be json, yaml or text, got ${output}`)
  if (output === 'text' && webhook !== 'mutate') throw new UsageError('-o text shows a mutation: use it with --webhook mutate')
  if (positionals.length > 1) throw new UsageError('takes one FILE (or - for standard input)')
  if (podFile !== undefined && positionals.length > 0) throw new UsageError('takes FILE or --pod FILE with debug flags, not both')
  if (podFile === undefined) {
    const stray = DEBUG_FLAGS.find((f) => (f === 'env' || f === 'as-group' ? listOf(values, f).length > 0 : values[f] !== undefined))
    if (stray !== undefined) throw new UsageError(`--${stray} builds a review with --pod FILE; without --pod the review is read from FILE`)
  }
  // An invalid --policy throws PolicyError: every problem printed, exit 2 (see the end of this file).
  // The built-in policy is compiled only when it is used.
  const policy = policyFile === undefined ? (await import('../policy/default.js')).defaultPolicy : loadPolicyFile(policyFile).policy
  let body: unknown
  if (podFile !== undefined) {
    body = builtReview(values, podFile)
  } else {
    let text: string
    try {
      text = await readInput(positionals[0], io)
    } catch (e) {
      if (e instanceof UsageError) throw e
      return fail(io, 'review', `cannot read ${positionals[0] ?? 'standard input'}: ${(e as Error).message}`)
    }
    try {
      body = parseReview(text)
    } catch (e) {
      if (!(e instanceof WebhookError)) throw e
      return fail(io, 'review', `not a usable AdmissionReview: ${e.message}`)
    }
  }
  let decoded
  try {
    decoded = decodeReview(body)
  } catch (e) {
    if (!(e instanceof WebhookError)) throw e
    return fail(io, 'review', `not a usable AdmissionReview: ${e.message}`)
  }
  const { review: answer, summary } = admit(decoded, webhook satisfies Webhook, policy, context)
  if (summary.outcome === 'errored') {
    io.stdout.write(`${JSON.stringify(answer, null, 2)}\n`)
    return fail(io, 'review', `cannot evaluate the request: ${summary.note ?? ''}`)
  }
  if (output === 'text') io.stdout.write(mutateText(body as AdmissionReview, policy, context))
  else if (output === 'yaml') io.stdout.write(stringify(answer, { lineWidth: 0 }))
  else io.stdout.write(`${JSON.stringify(answer, null, 2)}\n`)
  return answer.response?.allowed ? 0 : 1
}
