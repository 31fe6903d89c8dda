#!/usr/bin/env node
// The command line. The only place that reads process.argv and exits the process.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { decodeReview } from './admission/decode.js'
import { WebhookError } from './admission/errors.js'
import { admit, type Webhook } from './admission/handler.js'
import { parseJson } from './admission/parse.js'
import { createLogger } from './log.js'
import { defaultPolicy, type Policy } from './policy.js'
import { loadPolicyFile, PolicyError, type LoadedPolicy } from './policy/load.js'
import { PolicyWatcher } from './policy/watch.js'
import { startServer } from './server/listen.js'

const HELP = `ephemeral-guard: admission webhook for Kubernetes ephemeral (debug) containers

Usage:
  ephemeral-guard serve [--port 8443] [--host 0.0.0.0] [--policy FILE]
                        (--tls-cert FILE --tls-key FILE | --dev-certs DIR)
  ephemeral-guard review [--webhook validate|mutate] [--policy FILE] [FILE|-]
  ephemeral-guard policy check FILE
  ephemeral-guard policy schema FILE
  ephemeral-guard --help | --version

serve    HTTPS webhook: POST /validate, POST /mutate, GET /healthz, GET /readyz.
         --dev-certs DIR creates a local CA and a certificate for localhost and 127.0.0.1 in DIR
         when DIR holds none (what \`npm start\` uses); never use it in a cluster.
         --policy FILE is watched: a valid change applies at once, an invalid one is logged and
         shown in /readyz while the last good policy stays in force.
review   Decides one AdmissionReview offline (a file, or standard input) and prints the response
         AdmissionReview. Exit 0 allowed, 1 denied, 2 input not a usable AdmissionReview.
policy   check: validates a policy file (exit 0 valid, 1 invalid, every problem with its path).
         schema: prints the JSON Schemas and checks the policy compiles to.

Without --policy, the built-in default policy (policies/default.yaml) applies: no privileged
containers, no privilege escalation, no added capability except SYS_PTRACE, and image references
that parse.
`

class UsageError extends Error {}

/** How often serve re-reads --policy. Kubelet updates a mounted ConfigMap within about a minute. */
const POLICY_POLL_MS = 2000

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '8443' },
      host: { type: 'string', default: '0.0.0.0' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'dev-certs': { type: 'string' },
      policy: { type: 'string' },
    },
  })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${values.port}`)
  const logger = createLogger()
  const file = values.policy
  let policy: () => Policy = () => defaultPolicy
  let status = (): Record<string, unknown> => ({ policy: { name: defaultPolicy.name, hash: defaultPolicy.hash, source: 'built-in' } })
  if (file !== undefined) {
    const watcher = PolicyWatcher.open(file, logger)
    watcher.start(POLICY_POLL_MS)
    policy = watcher.current
    status = () => ({ policy: watcher.status() })
  }
  let certFile = values['tls-cert']
  let keyFile = values['tls-key']
  if (values['dev-certs'] !== undefined && certFile === undefined && keyFile === undefined) {
    const { ensureDevCertificates } = await import('./certs/generate.js') // loaded only when needed
    const dev = await ensureDevCertificates(values['dev-certs'])
    certFile = dev.certFile
    keyFile = dev.keyFile
    logger.info({ certFile, keyFile, caBundle: dev.caFile, created: dev.created },
      dev.created ? 'created development certificates; trust the CA bundle to call the webhook' : 'using development certificates')
  }
  if (certFile === undefined || keyFile === undefined) throw new UsageError('serve needs --tls-cert and --tls-key (or --dev-certs DIR for development)')
  const app = await startServer({ host: values.host, port, certFile, keyFile, policy, status, logger })
  logger.info({ addresses: app.addresses(), policy: policy().name, hash: policy().hash }, 'ephemeral-guard serving')
  const stop = (signal: string): void => {
    logger.info({ signal }, 'shutting down')
    app.close().then(() => process.exit(0), () => process.exit(1))
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}

function readInput(file: string | undefined): string {
  return readFileSync(file === undefined || file === '-' ? 0 : file, 'utf8')
}

function review(args: string[]): number {
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

function policyCommand(args: string[]): number {
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

async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(HELP)
      return 0
    case '--version':
      process.stdout.write(`${version()}\n`)
      return 0
    case 'serve':
      await serve(rest)
      return undefined // keeps running
    case 'review':
      return review(rest)
    case 'policy':
      return policyCommand(rest)
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`)
  }
}

main(process.argv.slice(2)).then(
  (code) => { if (code !== undefined) process.exitCode = code },
  (e: unknown) => {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    process.stderr.write(`ephemeral-guard: ${(e as Error).message}\n${usage ? 'Run ephemeral-guard --help for usage.\n' : ''}`)
    process.exitCode = 2
  },
)
