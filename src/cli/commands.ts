// The command table: every command's flags, help and examples, in the order `--help` lists them.
// Only data and a lazy import per command live here, so listing help loads no implementation.
import type { CommandSpec } from './command.js'

/** serve's defaults; README "Shutdown" explains the timeline the last two make. */
const SERVE_DEFAULTS = {
  port: '8443',
  host: '0.0.0.0',
  metricsPort: '9090',
  metricsHost: '0.0.0.0',
  tlsReloadInterval: '10',
  shutdownDelay: '10',
  drainTimeout: '10',
  maxConnections: '512',
  tlsHandshakeTimeout: '10',
} as const

const serve: CommandSpec = {
  name: 'serve',
  summary: 'run the HTTPS webhook: POST /validate, POST /mutate, POST /validate-policy, GET /healthz, GET /readyz',
  synopsis: '(--tls-cert FILE --tls-key FILE | --dev-certs DIR) [--policy FILE | --cluster-policies] [options]',
  options: {
    port: { type: 'string', value: 'N', default: SERVE_DEFAULTS.port, help: 'HTTPS port' },
    host: { type: 'string', value: 'ADDR', default: SERVE_DEFAULTS.host, help: 'HTTPS address to listen on' },
    'tls-cert': { type: 'string', value: 'FILE', help: 'serving certificate (PEM), re-read every --tls-reload-interval' },
    'tls-key': { type: 'string', value: 'FILE', help: 'its private key (PEM)' },
    'client-ca': { type: 'string', value: 'FILE', help: 'only clients with a certificate signed by a CA in FILE (the API server) may connect' },
    'tls-reload-interval': { type: 'string', value: 'SECONDS', default: SERVE_DEFAULTS.tlsReloadInterval, help: 'how often the TLS files are re-read (0: never)' },
    'max-connections': { type: 'string', value: 'N', default: SERVE_DEFAULTS.maxConnections, help: 'open HTTPS connections at most; more are closed as they arrive' },
    'tls-handshake-timeout': { type: 'string', value: 'SECONDS', default: SERVE_DEFAULTS.tlsHandshakeTimeout, help: 'close a connection that has not completed TLS this long after it opened' },
    'dev-certs': { type: 'string', value: 'DIR', help: 'create a local CA and a localhost certificate in DIR when it holds none (development only)' },
    policy: { type: 'string', value: 'FILE', help: 'policy file, watched (default: the built-in policy)' },
    'cluster-policies': { type: 'boolean', help: "serve the cluster's EphemeralContainerPolicy and DebugPolicy objects (list+watch)" },
    kubeconfig: { type: 'string', value: 'FILE', help: 'watch namespace labels (Pod Security fit), and with --cluster-policies the policies, through this cluster' },
    'metrics-port': { type: 'string', value: 'N', default: SERVE_DEFAULTS.metricsPort, help: 'plain-HTTP operations port: /metrics, /healthz, /readyz (0: any free port, logged)' },
    'metrics-host': { type: 'string', value: 'ADDR', default: SERVE_DEFAULTS.metricsHost, help: 'operations address to listen on' },
    'shutdown-delay': { type: 'string', value: 'SECONDS', default: SERVE_DEFAULTS.shutdownDelay, help: 'after SIGTERM, keep answering this long with /readyz failing' },
    'drain-timeout': { type: 'string', value: 'SECONDS', default: SERVE_DEFAULTS.drainTimeout, help: 'then give in-flight requests this long' },
  },
  allowPositionals: false,
  description: `--dev-certs DIR is what \`npm start\` uses; never use it in a cluster.
--policy FILE is polled: a valid change applies once two reads agree, an invalid one is logged and
shown in /readyz while the last good policy stays in force. Replace the file atomically (a mounted
ConfigMap does).
--cluster-policies (not with --policy): every servable policy object of the cluster applies, each
change within about a second; none means the built-in policy. /readyz fails until both lists are read
and names the policies in force and those not served.
--kubeconfig FILE: without it, the service account is used in a pod (KUBERNETES_SERVICE_HOST set);
otherwise no cluster is read.
--tls-cert, --tls-key and --client-ca: a changed, valid set serves new connections; a bad one is
logged and the current set keeps serving.
On SIGTERM: /readyz fails at once, requests are answered for --shutdown-delay seconds, then the
listener closes and in-flight requests get up to --drain-timeout seconds. SIGINT (Ctrl-C) or a
second signal skips the rest of the delay.`,
  examples: [
    'ephemeral-guard serve --dev-certs certs --host 127.0.0.1',
    'ephemeral-guard serve --tls-cert /tls/tls.crt --tls-key /tls/tls.key --policy /policy/policy.yaml',
    'ephemeral-guard serve --tls-cert /tls/tls.crt --tls-key /tls/tls.key --cluster-policies',
  ],
  run: async (p, io) => (await import('./serve.js')).serve(p, io),
}

const review: CommandSpec = {
  name: 'review',
  summary: 'decide one AdmissionReview offline, read or built from a Pod and kubectl debug flags',
  synopsis: '[--webhook validate|mutate] [--policy FILE] [--namespace-labels K=V,...] [--namespace-file FILE] [-o json|yaml|text] (FILE|- | --pod FILE --image IMAGE [--profile P] [--target C] [--env K=V]... [--as USER] [--as-group G]...)',
  options: {
    webhook: { type: 'string', value: 'validate|mutate', default: 'validate', help: 'which webhook answers' },
    policy: { type: 'string', value: 'FILE', help: "a candidate policy file (default: the policies in force: the cluster's policy objects, else the webhook's ConfigMap, else the built-in policy)" },
    'namespace-labels': { type: 'string', value: 'K=V,...', help: "labels of the review's namespace, for the Pod Security fit of --webhook mutate" },
    'namespace-file': { type: 'string', value: 'FILE', help: "the review's Namespace manifest (YAML or JSON), for its labels" },
    output: { type: 'string', short: 'o', value: 'FORMAT', help: 'json (the AdmissionReview), yaml, or text: the decoded patch and the containers after it (--webhook mutate; its default on a terminal)' },
    pod: { type: 'string', value: 'FILE', help: 'build the review: this Pod manifest (YAML or JSON) gets the debug container of the flags below' },
    image: { type: 'string', value: 'IMAGE', help: 'with --pod: kubectl debug --image' },
    profile: { type: 'string', value: 'PROFILE', help: 'with --pod: kubectl debug --profile (default general)' },
    target: { type: 'string', value: 'CONTAINER', help: 'with --pod: kubectl debug --target' },
    env: { type: 'string', value: 'NAME=VALUE', multiple: true, help: 'with --pod: kubectl debug --env, repeatable' },
    container: { type: 'string', short: 'c', value: 'NAME', help: 'with --pod: kubectl debug -c (default debugger-00000)' },
    'image-pull-policy': { type: 'string', value: 'POLICY', help: "with --pod: kubectl debug --image-pull-policy (default: the API server's)" },
    as: { type: 'string', value: 'USER', help: 'with --pod: the requester (default kubernetes-admin)' },
    'as-group': { type: 'string', value: 'GROUP', multiple: true, help: 'with --pod: a group of the requester, repeatable' },
    namespace: { type: 'string', short: 'n', value: 'NAMESPACE', help: "with --pod: the request's namespace (default: the Pod's)" },
  },
  allowPositionals: true,
  description: `Reads the AdmissionReview (JSON or YAML) from FILE, or from standard input when FILE is - or
absent (not from a terminal); or builds it with --pod: the UPDATE of pods/ephemeralcontainers that
kubectl debug POD --image ... sends, the container as kubectl 1.37 makes it with --profile, --target
and --env, after the API server's defaults. Exit 0 allowed, 1 denied, 2 input not a usable AdmissionReview.`,
  examples: [
    'ephemeral-guard review review.json',
    'ephemeral-guard review --pod pod.yaml --image busybox:1.36 --profile sysadmin --as alice --as-group dev',
    'ephemeral-guard review --webhook mutate -o text --namespace-labels pod-security.kubernetes.io/enforce=restricted --pod pod.yaml --image busybox',
  ],
  run: async (p, io) => (await import('./review.js')).review(p, io),
}

const policy: CommandSpec = {
  name: 'policy',
  summary: 'check a policy file, or print the checks it compiles to',
  synopsis: '(check | schema) FILE',
  options: {},
  allowPositionals: true,
  description: `check: validates a policy file (exit 0 valid, 1 invalid, every problem with its path).
schema: prints, per rule, its checks (one per rule field, with what it requires) and its custom schema.`,
  examples: ['ephemeral-guard policy check policies/examples/production.yaml', 'ephemeral-guard policy schema policies/default.yaml'],
  run: async (p, io) => (await import('./policy.js')).policyCommand(p, io),
}

const certs: CommandSpec = {
  name: 'certs',
  summary: 'write certificates and a kustomize Component for the self-managed overlay',
  synopsis: '--namespace NS --service SVC --out DIR [--days 365] [--new-ca]',
  options: {
    namespace: { type: 'string', short: 'n', value: 'NAMESPACE', help: "the webhook Service's namespace" },
    service: { type: 'string', value: 'SVC', help: 'the webhook Service' },
    out: { type: 'string', value: 'DIR', help: 'where to write ca.crt, ca.key, tls.crt, tls.key and kustomization.yaml' },
    days: { type: 'string', value: 'N', help: 'validity of the serving certificate in days (default 365)' },
    'new-ca': { type: 'boolean', help: 'replace the CA, keeping the old one in the caBundle meanwhile' },
  },
  allowPositionals: false,
  description: `For manifests/overlays/self-managed: writes a CA (ca.crt, ca.key), a serving certificate for
the Service's DNS names (tls.crt, tls.key; ECDSA P-256) and kustomization.yaml, a kustomize Component
with the Secret and both webhooks' caBundle. Run again to renew: the CA in DIR is kept.`,
  examples: ['ephemeral-guard certs --namespace ephemeral-guard --service ephemeral-guard --out manifests/overlays/self-managed/certs'],
  run: async (p, io) => (await import('./certs.js')).certsCommand(p, io),
}

const cluster = {
  kubeconfig: { type: 'string', value: 'FILE', help: 'kubeconfig (default: $KUBECONFIG, then ~/.kube/config)' },
  context: { type: 'string', value: 'NAME', help: 'kubeconfig context' },
  as: { type: 'string', value: 'USER', help: 'impersonate this user (as kubectl --as)' },
  'as-group': { type: 'string', value: 'GROUP', multiple: true, help: 'impersonate this group, repeatable (as kubectl --as-group)' },
} as const

const audit: CommandSpec = {
  name: 'audit',
  summary: 'list existing ephemeral containers and judge them against the policies in force, or a candidate',
  synopsis: '(-n NAMESPACE | -A) [--policy FILE] [-o table|json|yaml|policyreport] [--older-than 24h] [--apply] [options]',
  options: {
    namespace: { type: 'string', short: 'n', value: 'NAMESPACE', help: 'one namespace' },
    'all-namespaces': { type: 'boolean', short: 'A', help: 'every namespace' },
    policy: { type: 'string', value: 'FILE', help: "a candidate policy file (default: the policies in force: the cluster's policy objects, else the webhook's ConfigMap, else the built-in policy)" },
    output: { type: 'string', short: 'o', value: 'FORMAT', help: 'table, json, yaml or policyreport (default: table on a terminal, else json)' },
    'older-than': { type: 'string', value: 'DURATION', help: 'flag containers older than this Go duration (e.g. 24h)' },
    apply: { type: 'boolean', help: 'write wgpolicyk8s.io PolicyReports with server-side apply' },
    ...cluster,
  },
  allowPositionals: false,
  description: `Lists the cluster's ephemeral containers with who added them, their state and age, and judges
each against the policies in force (or --policy FILE) as if it were added now. A verdict that depends on
a requester's identity the container does not record is unverified, never deny. Exit 0 nothing
violates, 1 something does or is unverified (or a container is older than --older-than), 2 error.`,
  examples: ['ephemeral-guard audit -A', 'ephemeral-guard audit -n shop -o policyreport --apply'],
  run: async (p, io) => (await import('./audit.js')).audit(p, io),
}

const doctor: CommandSpec = {
  name: 'doctor',
  summary: 'find admission controls blind to kubectl debug, and check the installation',
  synopsis: '[-n ephemeral-guard] [--service ephemeral-guard] [--secret ephemeral-guard-tls] [--deployment ephemeral-guard] [options]',
  options: {
    namespace: { type: 'string', short: 'n', value: 'NAMESPACE', default: 'ephemeral-guard', help: "ephemeral-guard's namespace" },
    service: { type: 'string', value: 'NAME', default: 'ephemeral-guard', help: 'its Service' },
    secret: { type: 'string', value: 'NAME', default: 'ephemeral-guard-tls', help: 'its serving-certificate Secret' },
    deployment: { type: 'string', value: 'NAME', default: 'ephemeral-guard', help: 'its Deployment' },
    configmap: { type: 'string', value: 'NAME', help: "the policy ConfigMap (default: found through the Deployment's --policy mount)" },
    'policy-key': { type: 'string', value: 'KEY', help: 'the key of the policy in that ConfigMap' },
    'expiry-warning': { type: 'string', value: 'DURATION', default: '720h', help: 'warn when a certificate expires sooner than this' },
    output: { type: 'string', short: 'o', value: 'FORMAT', default: 'text', help: 'text, json or yaml' },
    ...cluster,
  },
  allowPositionals: false,
  description: `Finds webhooks and admission policies that inspect pods but cannot see kubectl debug, and checks
ephemeral-guard's own installation. One line per finding with the fix. Exit 0 no error or warning,
1 any, 2 the cluster cannot be asked.`,
  examples: ['ephemeral-guard doctor', 'ephemeral-guard doctor --context prod -o json'],
  run: async (p, io) => (await import('./doctor.js')).doctor(p, io),
}

const grant: CommandSpec = {
  name: 'grant',
  summary: 'just-in-time debug grants (preview): request, approve, revoke, list',
  synopsis: '(request [NAME] (--pod POD... | --selector K=V,...) --duration D --reason TEXT | approve NAME | revoke NAME | list [-A]) [-n NAMESPACE] [options]',
  options: {
    namespace: { type: 'string', short: 'n', value: 'NAMESPACE', help: "the grant's namespace (default: default)" },
    'all-namespaces': { type: 'boolean', short: 'A', help: 'list: every namespace' },
    pod: { type: 'string', value: 'POD', multiple: true, help: 'request: a pod the grant covers, repeatable' },
    selector: { type: 'string', value: 'K=V,...', help: 'request: the pods the grant covers, by labels (instead of --pod)' },
    container: { type: 'string', value: 'NAME', multiple: true, help: 'request: a container a debug container may target, repeatable (default: any)' },
    user: { type: 'string', value: 'USER', multiple: true, help: 'request: who may use the grant, repeatable (default: you, with no --group)' },
    group: { type: 'string', value: 'GROUP', multiple: true, help: 'request: a group whose members may use it, repeatable' },
    duration: { type: 'string', value: 'DURATION', help: 'request: how long it is active once approved (Go duration: 30m, 4h)' },
    reason: { type: 'string', value: 'TEXT', help: 'request: why (the incident or ticket)' },
    image: { type: 'string', value: 'PATTERN', multiple: true, help: 'request: only these images (policy image patterns), repeatable' },
    capability: { type: 'string', value: 'CAP', multiple: true, help: 'request: only these added capabilities, repeatable' },
    'no-capabilities': { type: 'boolean', help: 'request: no added capability at all' },
    privileged: { type: 'string', value: 'true|false', help: 'request: false refuses a privileged debug container' },
    approvals: { type: 'string', value: 'N', default: '1', help: 'list: approvals that activate a grant (until policy sets it)' },
    output: { type: 'string', short: 'o', value: 'FORMAT', default: 'table', help: 'list: table or json' },
    ...cluster,
  },
  allowPositionals: true,
  description: `A DebugGrant asks for debug access to some pods of one namespace for a while, with a reason; it
becomes Active once approved by someone else (a DebugGrantApproval of its current generation) and
Expired after its duration. The requester and the approver are recorded from the authenticated
request by the grant webhook, never from flags; an approver needs RBAC verb approve on debuggrants.
Changing a grant's spec voids its approvals. revoke ends a grant for good. Preview: debug containers
are not yet refused without a grant. Exit 0 done, 2 refused or error.`,
  examples: [
    'ephemeral-guard grant request inc-4711 -n shop --pod web-0 --duration 1h --reason INC-4711',
    'ephemeral-guard grant approve inc-4711 -n shop',
    'ephemeral-guard grant list -A',
    'ephemeral-guard grant revoke inc-4711 -n shop',
  ],
  run: async (p, io) => (await import('./grant.js')).grantCommand(p, io),
}

const controller: CommandSpec = {
  name: 'controller',
  summary: 'write policy status and keep PolicyReports current (one writer, elected through a Lease)',
  synopsis: '[--kubeconfig FILE] [--resync-period 10m] [--metrics-port 9091] [options]',
  options: {
    kubeconfig: cluster.kubeconfig,
    context: cluster.context,
    identity: { type: 'string', value: 'NAME', help: 'holder identity in the Lease (default: $POD_NAME, else hostname_pid)' },
    'lease-namespace': { type: 'string', value: 'NAMESPACE', default: 'ephemeral-guard', help: "the Lease's namespace" },
    'lease-name': { type: 'string', value: 'NAME', default: 'ephemeral-guard-controller', help: 'the Lease' },
    'lease-duration': { type: 'string', value: 'DURATION', default: '15s', help: 'how long a silent holder keeps the Lease' },
    'renew-interval': { type: 'string', value: 'DURATION', default: '5s', help: 'how often the holder renews it' },
    'retry-interval': { type: 'string', value: 'DURATION', default: '2s', help: 'how often the others try to take it; also the first retry of a failed watch (then doubling, up to 30 s)' },
    'resync-period': { type: 'string', value: 'DURATION', default: '10m', help: 'scan every namespace this often' },
    debounce: { type: 'string', value: 'DURATION', default: '2s', help: "after a pod's ephemeral containers change, wait this long, then scan its namespace" },
    'metrics-port': { type: 'string', value: 'N', default: '9091', help: 'plain-HTTP port: /metrics, /healthz, /readyz (0: any free port, logged)' },
    'metrics-host': { type: 'string', value: 'ADDR', default: '0.0.0.0', help: 'its address' },
  },
  allowPositionals: false,
  description: `Run as its own Deployment (manifests/base/controller.yaml), two replicas: the holder of the Lease
writes each EphemeralContainerPolicy's and DebugPolicy's status (Ready, rules, hash, lastGood), and
keeps one PolicyReport per namespace (ephemeral-guard-in-force) judged against the policies in force:
after a debug container is added (pods are watched, never cached), after a policy change, and every
--resync-period. The others wait to take over. SIGTERM releases the Lease.`,
  examples: ['ephemeral-guard controller', 'ephemeral-guard controller --kubeconfig ~/.kube/config --metrics-port 0 --metrics-host 127.0.0.1'],
  run: async (p, io) => (await import('./controller.js')).controller(p, io),
}

const test: CommandSpec = {
  name: 'test',
  summary: 'run policy tests written in YAML (*.test.yaml): expected verdicts, rules, warnings, containers',
  synopsis: '[-o table|json|junit] [DIR|FILE]...',
  options: {
    output: { type: 'string', short: 'o', value: 'FORMAT', default: 'table', help: 'table (with a diff per failure), json or junit' },
  },
  allowPositionals: true,
  description: `Runs every *.test.yaml under each DIR (default: the current directory). A test file names a
policy, a Pod manifest, the debug container(s) to add (a container spec, or kubectl debug flags:
image, profile, target, env, name, ...) and the requester, and per case the expected verdict,
rules, warnings and containers after the mutation. Each case goes through the mutating webhook, its
patch is applied, then through the validating webhook, as the API server does. The format is in
README "Policy tests". Exit 0 all passed, 1 a case failed, 2 a test file is not usable.`,
  examples: ['ephemeral-guard test policies/tests', 'ephemeral-guard test -o junit policies/tests > policy-tests.xml'],
  run: async (p, io) => (await import('./test.js')).testCommand(p, io),
}

const completion: CommandSpec = {
  name: 'completion',
  summary: 'print a shell completion script (bash or zsh)',
  synopsis: 'bash|zsh',
  options: {},
  allowPositionals: true,
  description: `Completes commands, flags and the values of --webhook, -o and --profile, for ephemeral-guard
and for kubectl-ephemeral_guard. Load it in the current shell, or add the line to ~/.bashrc or ~/.zshrc.`,
  examples: ['source <(ephemeral-guard completion bash)', 'source <(ephemeral-guard completion zsh)'],
  run: async (p, io) => (await import('./completion.js')).completion(p, io, COMMANDS),
}

export const COMMANDS: readonly CommandSpec[] = [serve, review, policy, test, certs, audit, doctor, controller, grant, completion]

export const PROGRAM = 'ephemeral-guard'

export const INTRO = 'ephemeral-guard: admission webhook for Kubernetes ephemeral (debug) containers'

export const OUTRO = `Without --policy, the built-in default policy (policies/default.yaml) applies: no privileged
containers, no privilege escalation, no added capability except SYS_PTRACE, and image references
that parse.`
