#!/usr/bin/env node
// The command line: dispatches to src/cli/*; the only place that reads process.argv.
import { policyCommand } from './cli/policy.js'
import { review } from './cli/review.js'
import { serve } from './cli/serve.js'
import { UsageError } from './cli/usage.js'
import { packageVersion } from './paths.js'

const HELP = `ephemeral-guard: admission webhook for Kubernetes ephemeral (debug) containers

Usage:
  ephemeral-guard serve [--port 8443] [--host 0.0.0.0] [--policy FILE] [--kubeconfig FILE]
                        (--tls-cert FILE --tls-key FILE | --dev-certs DIR) [--client-ca FILE]
                        [--tls-reload-interval 10] [--metrics-port 9090] [--metrics-host 0.0.0.0]
                        [--shutdown-delay 10] [--drain-timeout 10]
  ephemeral-guard review [--webhook validate|mutate] [--policy FILE]
                         [--namespace-labels K=V,...] [--namespace FILE] [FILE|-]
  ephemeral-guard policy check FILE
  ephemeral-guard policy schema FILE
  ephemeral-guard certs --namespace NS --service SVC --out DIR [--days 365] [--new-ca]
  ephemeral-guard audit (-n NAMESPACE | -A) [--policy FILE] [-o table|json|yaml|policyreport]
                        [--older-than 24h] [--apply] [--kubeconfig FILE] [--context NAME]
  ephemeral-guard doctor [--namespace ephemeral-guard] [--service ephemeral-guard]
                        [--secret ephemeral-guard-tls] [--deployment ephemeral-guard]
                        [--configmap NAME] [--policy-key KEY] [-o text|json] [--kubeconfig FILE] [--context NAME]
  ephemeral-guard --help | --version

serve    HTTPS webhook: POST /validate, POST /mutate, GET /healthz, GET /readyz.
         --dev-certs DIR creates a local CA and a certificate for localhost and 127.0.0.1 in DIR
         when DIR holds none (what \`npm start\` uses); never use it in a cluster.
         --policy FILE is watched: a valid change applies at once, an invalid one is logged and
         shown in /readyz while the last good policy stays in force.
         --kubeconfig FILE: watch namespace labels (Pod Security fit) through this cluster; in a
         pod (KUBERNETES_SERVICE_HOST set) the service account is used; otherwise none is read.
         --tls-cert, --tls-key and --client-ca are re-read every --tls-reload-interval seconds
         (0: never): a changed, valid set serves new connections; a bad one is logged and the
         current set keeps serving.
         --client-ca FILE: only clients with a certificate signed by a CA in FILE (the API server)
         may connect to the HTTPS port.
         --metrics-port N (0: any free port, logged): plain HTTP with GET /metrics (Prometheus),
         /healthz and /readyz, for Prometheus and kubelet probes.
         On SIGTERM: /readyz fails at once, requests are answered for --shutdown-delay seconds,
         then the listener closes and in-flight requests get up to --drain-timeout seconds.
         SIGINT (Ctrl-C) or a second signal skips the rest of the delay.
review   Decides one AdmissionReview offline (a file, or standard input) and prints the response
         AdmissionReview. Exit 0 allowed, 1 denied, 2 input not a usable AdmissionReview.
         --namespace-labels K=V,... and --namespace FILE (a Namespace manifest) give the labels of
         the review's namespace, for the Pod Security fit of --webhook mutate.
policy   check: validates a policy file (exit 0 valid, 1 invalid, every problem with its path).
         schema: prints the JSON Schemas and checks the policy compiles to.
certs    For manifests/overlays/self-managed: writes a CA (ca.crt, ca.key), a serving certificate
         for the Service's DNS names (tls.crt, tls.key; ECDSA P-256) and kustomization.yaml, a
         kustomize Component with the Secret and both webhooks' caBundle. Run again to renew: the
         CA in DIR is kept. --new-ca replaces it, keeping the old CA in the caBundle meanwhile.
audit    Lists the cluster's ephemeral containers with who added them, their state and age, and
         judges each against the policy as if it were added now. Table on a terminal, else JSON;
         --apply writes wgpolicyk8s.io PolicyReports. Exit 0 nothing violates, 1 something does
         (or a container is older than --older-than), 2 error.
doctor   Finds webhooks and admission policies that inspect pods but cannot see kubectl debug,
         and checks ephemeral-guard's own installation. One line per finding with the fix.
         Exit 0 no error or warning, 1 any, 2 the cluster cannot be asked.

Without --policy, the built-in default policy (policies/default.yaml) applies: no privileged
containers, no privilege escalation, no added capability except SYS_PTRACE, and image references
that parse.
`

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
      process.stdout.write(`${packageVersion()}\n`)
      return 0
    case 'serve':
      await serve(rest)
      return undefined // keeps running
    case 'review':
      return review(rest)
    case 'policy':
      return policyCommand(rest)
    case 'certs': // loaded only when needed: the certificate libraries are slow to load
      return (await import('./cli/certs.js')).certsCommand(rest)
    // Loaded on demand: @kubernetes/client-node takes a second and ~70 MB to load, which serve and review do not need.
    case 'audit':
      return (await import('./cli/audit.js')).audit(rest)
    case 'doctor':
      return (await import('./cli/doctor.js')).doctor(rest)
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
