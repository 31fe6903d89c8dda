// charts/ephemeral-guard against kustomize and the real API server: `helm lint`; `helm template`
// with default values (cert-manager mode), in self-managed mode, and with changed values, each
// compared object by object with `kubectl kustomize` of the matching overlay (the only difference
// allowed: Helm's three labels, README "Install with Helm"); the API server accepts every rendered
// object (server-side dry run); and README's Helm commands run as written against the harness:
// install (self-managed), upgrade with a new policy, certificate renewal, CA replacement, uninstall.
//
// The helm binary comes from test/e2e/build-helm.sh (helm v3.22.0 built from its Go module).
// What this cannot prove: no replica runs (the harness has no nodes, see manifests.test.ts), and
// cert-manager is not available offline: its kinds are test-only CRDs that accept any spec, so
// cert-manager mode is proven equal to manifests/overlays/cert-manager and accepted by the API
// server, not issued.
import t, { type Test } from 'tap'
import { copyFileSync, cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, chmodSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { installProblems, NAMESPACE, type K8sObject } from '../manifests/properties.js'
import { createTargetPod, E2E_DIR, ephemeralContainersPath, freshNamespace, kubectlOk, REPO_ROOT, suffix, withEphemeralContainers, installCertManagerStandIns, installPolicyCrds, serverDryRun } from './support/cluster.js'
import { fileCluster } from './support/setup.js'
import { poll, run, type RunResult } from './support/process.js'
import { COMPLIANT, CONFIGURATION_NAME, VALIDATING_WEBHOOK } from './support/webhook.js'
import { guardNetwork } from './support/network-guard.js'
import { writeMyInstall } from './support/my-install.js'

// Loopback only: fails this file on any socket or Service that could reach off this machine.
guardNetwork(t)

const CHART = join(REPO_ROOT, 'charts/ephemeral-guard')
const RELEASE = 'ephemeral-guard'
const DEFAULT_POLICY = readFileSync(join(REPO_ROOT, 'policies/default.yaml'), 'utf8')
const PRODUCTION_POLICY = readFileSync(join(REPO_ROOT, 'policies/examples/production.yaml'), 'utf8')
const CHART_VERSION = /^version: (\S+)$/m.exec(readFileSync(join(CHART, 'Chart.yaml'), 'utf8'))![1]!
/** The labels the chart adds to every object, and nothing else differs (README: Install with Helm). */
const HELM_LABELS = { 'app.kubernetes.io/instance': RELEASE, 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': `ephemeral-guard-${CHART_VERSION}` }

const { dataDir, cluster } = fileCluster(t, 'helm')
let helmBin = ''
t.before(async () => {
  const r = await run('bash', [join(E2E_DIR, 'build-helm.sh')], { timeoutMs: 30 * 60_000 })
  if (r.code !== 0) throw new Error(`test/e2e/build-helm.sh failed (exit ${r.code}):\n${r.stderr}`)
  helmBin = join(r.stdout.trim().split('\n').pop() ?? '', 'helm')
  if (!existsSync(helmBin)) throw new Error(`build-helm.sh printed a directory without helm: ${r.stdout}`)
})

/** A shell environment as an admin's: helm, the harness's kubectl and ephemeral-guard on PATH, the harness's kubeconfig. */
function environment(): string[] {
  const home = join(dataDir, 'home')
  const bin = join(home, 'bin')
  if (!existsSync(bin)) {
    mkdirSync(bin, { recursive: true })
    symlinkSync(helmBin, join(bin, 'helm'))
    symlinkSync(join(cluster().binDir, 'kubectl'), join(bin, 'kubectl'))
    writeFileSync(join(bin, 'ephemeral-guard'), `#!/bin/sh\nexec "${process.execPath}" "${join(REPO_ROOT, 'dist/main.js')}" "$@"\n`)
    chmodSync(join(bin, 'ephemeral-guard'), 0o755)
  }
  // HELM_*_HOME: helm's cache, configuration and data stay in this run's directory.
  return ['-i', `PATH=${bin}:${process.env['PATH'] ?? ''}`, `HOME=${home}`, `KUBECONFIG=${cluster().info.kubeconfig}`,
    `HELM_CACHE_HOME=${join(home, 'cache')}`, `HELM_CONFIG_HOME=${join(home, 'config')}`, `HELM_DATA_HOME=${join(home, 'data')}`]
}

const helm = (args: readonly string[], cwd?: string): Promise<RunResult> => run('env', [...environment(), 'helm', ...args], { timeoutMs: 180_000, cwd })
async function helmOk(args: readonly string[], cwd?: string): Promise<string> {
  const r = await helm(args, cwd)
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`)
  return r.stdout
}
/** One README command line, through bash as typed. */
async function sh(command: string, cwd: string): Promise<string> {
  const r = await run('env', [...environment(), 'bash', '-c', command], { timeoutMs: 180_000, cwd })
  if (r.code !== 0) throw new Error(`${command} exited ${r.code}:\n${r.stderr}${r.stdout}`)
  return r.stdout
}

// YAML 1.1, as the API server and kubectl read manifests (sigs.k8s.io/yaml): `defaultMode: 0440` is octal.
const documents = (yaml: string): K8sObject[] => parseAllDocuments(yaml, { version: '1.1' }).map((d) => d.toJS() as K8sObject).filter((o) => o !== null)
const key = (o: K8sObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`

const template = async (...args: string[]): Promise<{ yaml: string; objects: K8sObject[] }> => {
  // --include-crds: the chart's crds/ (installed first by `helm install`) are kustomize's manifests/base/crds.
  const yaml = await helmOk(['template', RELEASE, CHART, '--namespace', NAMESPACE, '--include-crds', ...args])
  return { yaml, objects: documents(yaml) }
}
const kustomize = async (dir: string): Promise<K8sObject[]> => documents(await kubectlOk(cluster(), ['kustomize', dir]))

/** A copy of manifests/ (`certs` writes into the self-managed overlay, never into the repository). */
function manifestsCopy(): string {
  const dir = join(dataDir, `manifests-${suffix()}`)
  cpSync(join(REPO_ROOT, 'manifests'), dir, { recursive: true })
  return dir
}
async function certs(out: string, ...extra: string[]): Promise<string> {
  const r = await run(process.execPath, [join(REPO_ROOT, 'dist/main.js'), 'certs', '--namespace', NAMESPACE, '--service', 'ephemeral-guard', '--out', out, ...extra])
  if (r.code !== 0) throw new Error(`certs exited ${r.code}: ${r.stderr}`)
  return out
}
const setFiles = (dir: string): string[] => ['--set', 'certificates.mode=self-managed',
  '--set-file', `certificates.selfManaged.tlsCrt=${join(dir, 'tls.crt')}`,
  '--set-file', `certificates.selfManaged.tlsKey=${join(dir, 'tls.key')}`,
  '--set-file', `certificates.selfManaged.caCrt=${join(dir, 'ca.crt')}`]

/**
 * The chart's objects equal kustomize's, one by one, once Helm's labels are taken off (each object
 * must carry exactly those, with the release's values). Secret data is compared as base64 without
 * line breaks: kustomize folds long values, the API server decodes both to the same bytes.
 */
function sameObjects(t: Test, chart: readonly K8sObject[], kustomized: readonly K8sObject[]): void {
  const normal = (o: K8sObject, fromChart: boolean): K8sObject => {
    const c = structuredClone(o)
    // Helm never templates crds/: the CustomResourceDefinitions carry no labels of Helm's.
    if (fromChart && o.kind !== 'CustomResourceDefinition') {
      const labels = c.metadata.labels ?? {}
      const helmOwn = Object.fromEntries(Object.keys(HELM_LABELS).filter((k) => k in labels).map((k) => [k, labels[k]]))
      t.strictSame(helmOwn, HELM_LABELS, `${key(o)}: Helm's labels`)
      for (const k of Object.keys(HELM_LABELS)) delete labels[k]
      if (Object.keys(labels).length === 0) delete c.metadata.labels
    }
    if (c.kind === 'Secret') c['data'] = Object.fromEntries(Object.entries(c['data'] as Record<string, string>).map(([k, v]) => [k, v.replace(/\s/g, '')]))
    return c
  }
  t.strictSame(chart.map(key).sort(), kustomized.map(key).sort(), 'the same objects')
  const byKey = new Map(kustomized.map((o) => [key(o), normal(o, false)]))
  for (const o of chart) if (byKey.has(key(o))) t.strictSame(normal(o, true), byKey.get(key(o)), `${key(o)} equals kustomize's`)
}

const dryRun = (t: Test, yaml: string, objects: readonly K8sObject[]): Promise<void> => serverDryRun(t, cluster(), yaml, objects.length)

/** README's "Install with Helm" command lines (continuations joined), in order. */
function readmeHelmCommands(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
  const start = readme.indexOf('\n### Install with Helm\n')
  if (start < 0) throw new Error('README has no "### Install with Helm" section')
  const end = readme.indexOf('\n### ', start + 1)
  const section = readme.slice(start, end < 0 ? undefined : end)
  const out: string[] = []
  for (const [, block] of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    let current = ''
    for (const line of block!.split('\n')) {
      if (line.endsWith('\\')) { current += `${line.slice(0, -1).trimEnd()} `; continue }
      current += line.trim()
      const command = current.replace(/\s+#.*$/, '').trim()
      current = ''
      if (command !== '' && !command.startsWith('#')) out.push(command)
    }
  }
  return out
}

t.test('helm lint: the chart is valid with its defaults and in self-managed mode; bad values fail with a clear message', async (t) => {
  const lint = await helmOk(['lint', '--strict', CHART])
  t.match(lint, /1 chart\(s\) linted, 0 chart\(s\) failed/)
  const dir = await certs(join(dataDir, `certs-${suffix()}`))
  t.match(await helmOk(['lint', '--strict', CHART, ...setFiles(dir)]), /1 chart\(s\) linted, 0 chart\(s\) failed/)

  const badMode = await helm(['template', RELEASE, CHART, '--set', 'certificates.mode=self-signed'])
  t.not(badMode.code, 0)
  t.match(badMode.stderr, /certificates\.mode must be cert-manager or self-managed, got "self-signed"/)
  const noFiles = await helm(['template', RELEASE, CHART, '--set', 'certificates.mode=self-managed'])
  t.not(noFiles.code, 0)
  t.match(noFiles.stderr, /certificates\.mode self-managed needs certificates\.selfManaged\.(caCrt|tlsCrt|tlsKey) \(--set-file/)
  const noPolicy = await helm(['template', RELEASE, CHART, '--set', 'policy.source=configMap', '--set', 'policy.text='])
  t.not(noPolicy.code, 0)
  t.match(noPolicy.stderr, /policy\.text \(the policy YAML\) or policy\.existingConfigMap must be set/)
  const badSource = await helm(['template', RELEASE, CHART, '--set', 'policy.source=file'])
  t.not(badSource.code, 0)
  t.match(badSource.stderr, /policy\.source must be cluster or configMap, got "file"/)
})

t.test('default values = kubectl kustomize manifests/overlays/cert-manager, object by object; the API server accepts it', async (t) => {
  const { yaml, objects } = await template()
  sameObjects(t, objects, await kustomize(join(REPO_ROOT, 'manifests/overlays/cert-manager')))
  t.same(installProblems(objects, 'cert-manager', DEFAULT_POLICY), [], 'the install contract holds')
  t.equal(objects.filter((o) => o.kind === 'ConfigMap').length, 0, 'the cluster\'s policy objects are served: no ConfigMap')

  await installCertManagerStandIns(cluster())
  // A dry run in a namespace needs the namespace: a bare one, applied (so a dry-run apply over it
  // warns of nothing), which the real install below adopts with --take-ownership.
  await kubectlOk(cluster(), ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }) })
  await dryRun(t, yaml, objects)
})

t.test('self-managed mode with the files of `ephemeral-guard certs` = kubectl kustomize manifests/overlays/self-managed', async (t) => {
  const manifests = manifestsCopy()
  const dir = await certs(join(manifests, 'overlays/self-managed/certs'))
  const { yaml, objects } = await template(...setFiles(dir))
  sameObjects(t, objects, await kustomize(join(manifests, 'overlays/self-managed')))
  t.same(installProblems(objects, 'self-managed', DEFAULT_POLICY), [], 'the install contract holds')
  await dryRun(t, yaml, objects)
})

t.test('values = the README\'s kustomize customisations: image, replicas, policy, API server CIDRs; resources and break-glass', async (t) => {
  const manifests = manifestsCopy()
  const dir = await certs(join(manifests, 'overlays/self-managed/certs'))
  const mine = writeMyInstall(manifests, PRODUCTION_POLICY, [
    'resources: [../overlays/self-managed]',
    'components: [../components/apiserver-cidr, ../components/configmap-policy, my-policy]',
    'images:',
    '  - name: registry.example.com/ephemeral-guard',
    '    newName: registry.mycorp.example/platform/ephemeral-guard',
    '    digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'replicas:',
    '  - name: ephemeral-guard',
    '    count: 5',
  ])
  const kustomized = await kustomize(mine)
  const { yaml, objects } = await template(...setFiles(dir), '--set', 'replicas=5',
    '--set', 'image.repository=registry.mycorp.example/platform/ephemeral-guard',
    '--set', 'image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    '--set', 'policy.source=configMap', '--set-file', `policy.text=${join(mine, 'my-policy.yaml')}`, '--set', 'networkPolicy.apiServerCIDRs={192.0.2.0/24}')
  sameObjects(t, objects, kustomized)
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!
  t.equal((configMap['data'] as Record<string, string>)['policy.yaml'], PRODUCTION_POLICY, 'the policy, byte for byte')
  t.equal(configMap.metadata.name, kustomized.find((o) => o.kind === 'ConfigMap')!.metadata.name, 'kustomize\'s name for this policy too')
  await dryRun(t, yaml, objects)

  // What kustomize needs a patch for: resources, the break-glass condition (webhooks.yaml's comment), an existing ConfigMap, no Namespace.
  const other = (await template('--set', 'resources.requests.cpu=250m', '--set', 'resources.limits.memory=512Mi',
    '--set', 'webhooks.breakGlassGroup=ephemeral-guard:break-glass', '--set', 'policy.source=configMap', '--set', 'policy.existingConfigMap=my-policy', '--set', 'namespace.create=false')).objects
  t.equal(other.filter((o) => o.kind === 'Namespace').length, 0, 'no Namespace with namespace.create=false')
  const pod = (other.find((o) => o.kind === 'Deployment' && o.metadata.name === 'ephemeral-guard')!['spec'] as { template: { spec: { containers: Array<{ resources: unknown }>; volumes: Array<{ name: string; configMap?: { name: string } }> } } }).template.spec
  t.strictSame(pod.containers[0]!.resources, { requests: { cpu: '250m', memory: '128Mi' }, limits: { memory: '512Mi' } })
  t.strictSame(pod.volumes.find((v) => v.name === 'policy'), { name: 'policy', configMap: { name: 'my-policy' } })
  t.equal(other.filter((o) => o.kind === 'ConfigMap').length, 0, 'no ConfigMap of its own with policy.existingConfigMap')
  t.equal(other.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'controller').length, 6, 'the controller: ServiceAccount, RBAC, Deployment')
  const noController = (await template('--set', 'controller.enabled=false')).objects
  t.equal(noController.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'controller').length, 0, 'none with controller.enabled=false')
  const hooks = (kind: string): Array<Record<string, unknown>> => other.find((o) => o.kind === kind)!['webhooks'] as Array<Record<string, unknown>>
  t.strictSame(hooks('ValidatingWebhookConfiguration')[0]!['matchConditions'], [{ name: 'break-glass', expression: '!(\'ephemeral-guard:break-glass\' in request.userInfo.groups)' }],
    'the condition manifests/base/webhooks.yaml shows commented out')
  t.equal(hooks('MutatingWebhookConfiguration')[0]!['matchConditions'], undefined, 'the mutating webhook fails open and needs none')
  const dry = await cluster().kubectl(['apply', '--dry-run=server', '-f', '-'], { input: JSON.stringify(other.find((o) => o.kind === 'ValidatingWebhookConfiguration')) })
  t.equal(dry.code, 0, 'the API server compiles the break-glass CEL expression', { stderr: dry.stderr })
})

t.test('README Install with Helm, as written: install self-managed, verify, fail closed, upgrade, renew, replace the CA, uninstall', async (t) => {
  const commands = readmeHelmCommands()
  const ran = new Set<string>()
  const work = join(dataDir, 'clone')
  mkdirSync(work)
  symlinkSync(join(REPO_ROOT, 'charts'), join(work, 'charts'))
  copyFileSync(join(REPO_ROOT, 'policies/examples/production.yaml'), join(work, 'my-policy.yaml'))
  /** Runs the README commands matching `pattern`, in README order; there must be `count` of them. */
  const readme = async (pattern: RegExp, count: number): Promise<string[]> => {
    const found = commands.filter((c) => pattern.test(c))
    t.equal(found.length, count, `README has ${count} command(s) matching ${pattern}`, { commands })
    const outputs: string[] = []
    for (const c of found) { outputs.push(await sh(c, work)); ran.add(c) }
    return outputs
  }
  const get = async (kind: string, name: string, ns?: string): Promise<K8sObject> =>
    JSON.parse(await kubectlOk(cluster(), [...(ns ? ['-n', ns] : []), 'get', kind, name, '-o', 'json'])) as K8sObject
  const installed = async (): Promise<K8sObject[]> => documents(await helmOk(['get', 'manifest', RELEASE, '--namespace', NAMESPACE]))

  // Install (the namespace exists from the dry run above, unlabelled: --take-ownership adopts it).
  const certsCommands = commands.filter((c) => /^ephemeral-guard certs .* --out certs$/.test(c))
  t.equal(certsCommands.length, 2, 'README runs certs to install and to renew')
  await sh(certsCommands[0]!, work)
  ran.add(certsCommands[0]!)
  await readme(/^helm install .*certificates\.mode=self-managed/, 1)
  const manifest = await installed()
  const stored = await Promise.all(manifest.map((o) => get(o.kind, o.metadata.name, o.metadata.namespace)))
  t.same(installProblems(stored, 'self-managed', DEFAULT_POLICY), [], 'the stored objects keep the install contract')
  const namespace = stored.find((o) => o.kind === 'Namespace')!
  t.equal(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted', 'the namespace enforces restricted')
  t.equal(namespace.metadata.annotations?.['meta.helm.sh/release-name'], RELEASE, 'and belongs to the release')
  const ca = readFileSync(join(work, 'certs/ca.crt'), 'utf8')
  const caBundles = async (): Promise<string[]> => Promise.all(['validatingwebhookconfiguration', 'mutatingwebhookconfiguration'].map(async (kind) =>
    Buffer.from(((await get(kind, CONFIGURATION_NAME))['webhooks'] as Array<{ clientConfig: { caBundle: string } }>)[0]!.clientConfig.caBundle, 'base64').toString('utf8')))
  t.same(await caBundles(), [ca, ca], 'both caBundles are certs/ca.crt')
  const tlsCrt = async (): Promise<string> => Buffer.from(((await get('secret', 'ephemeral-guard-tls', NAMESPACE))['data'] as Record<string, string>)['tls.crt']!, 'base64').toString('utf8')
  t.equal(await tlsCrt(), readFileSync(join(work, 'certs/tls.crt'), 'utf8'), 'the Secret holds certs/tls.crt')

  // Fail closed through the Service: nothing serves (no nodes), the API server says so without dialing.
  const ns = await freshNamespace(cluster(), 'guarded')
  await createTargetPod(cluster(), ns)
  let last = ''
  const attempt = async (): Promise<{ status: number; message: string }> => {
    const r = await cluster().api('PUT', `${ephemeralContainersPath(ns, 'target')}?dryRun=All`, await withEphemeralContainers(cluster(), ns, 'target', [COMPLIANT]))
    last = `${r.status} ${String(r.body['message'])}`
    return { status: r.status, message: String(r.body['message']) }
  }
  const refused = await poll('the API server to call the validating webhook', async () => {
    const r = await attempt()
    return r.message.includes(`failed calling webhook "${VALIDATING_WEBHOOK}"`) ? r : undefined
  }, { timeoutMs: 60_000, intervalMs: 500, last: () => last })
  t.equal(refused.status, 500)
  t.match(refused.message, /no endpoints available for service "ephemeral-guard"/, 'refused for want of an endpoint (fail closed)')

  // Upgrade: a new image; then a policy object (no rollout); then the ConfigMap way instead.
  t.equal(manifest.filter((o) => o.kind === 'ConfigMap').length, 0, 'installed: the cluster\'s policy objects are served, no ConfigMap')
  await readme(/^helm upgrade .*--set image\./, 1)
  const deployment = async (): Promise<{ image: string; policy: string | undefined; args: string[] }> => {
    const spec = ((await get('deployment', 'ephemeral-guard', NAMESPACE))['spec'] as { template: { spec: { containers: Array<{ image: string; args: string[] }>; volumes: Array<{ name: string; configMap?: { name: string } }> } } }).template.spec
    return { image: spec.containers[0]!.image, policy: spec.volumes.find((v) => v.name === 'policy')?.configMap?.name, args: spec.containers[0]!.args }
  }
  const image = 'registry.mycorp.example/platform/ephemeral-guard:0.1.0'
  t.match(await deployment(), { image, policy: undefined, args: ['--port=8443', '--tls-cert=/etc/ephemeral-guard/tls/tls.crt', '--tls-key=/etc/ephemeral-guard/tls/tls.key', '--cluster-policies'] }, 'the new image, the cluster\'s policies')
  // The chart does not carry the policy CRDs here; the harness gets them as the base's CRDs.
  await installPolicyCrds(cluster())
  await readme(/^kubectl apply -f my-policy\.yaml$/, 1)
  t.equal((await get('ephemeralcontainerpolicy', 'production'))['kind'], 'EphemeralContainerPolicy', 'the policy is an object of the cluster')
  t.match(await deployment(), { image, policy: undefined }, 'no rollout for a policy change')
  await readme(/^helm upgrade .*--set policy\.source=configMap --set-file policy\.text=my-policy\.yaml$/, 1)
  const after = (await installed()).find((o) => o.kind === 'ConfigMap')!.metadata.name
  t.match(after, /^ephemeral-guard-policy-[a-z0-9]{10}$/, 'the ConfigMap way: a ConfigMap named with its hash')
  t.match(await deployment(), { image, policy: after }, '--reuse-values kept the image; the Deployment mounts the policy')
  t.ok((await deployment()).args.includes('--policy=/etc/ephemeral-guard/policy/policy.yaml'))
  t.equal(((await get('configmap', after, NAMESPACE))['data'] as Record<string, string>)['policy.yaml'], PRODUCTION_POLICY)

  // Renew: certs again, upgrade with the files; the CA and so both caBundles stay, the Secret changes.
  const oldCrt = await tlsCrt()
  const renewals = commands.filter((c) => /^helm upgrade .*certificates\.selfManaged\.tlsCrt=certs\/tls\.crt/.test(c) && !/caBundle/.test(c))
  t.equal(renewals.length, 1, 'README has one renewal upgrade')
  await sh(certsCommands[1]!, work)
  await sh(renewals[0]!, work)
  ran.add(renewals[0]!)
  t.not(await tlsCrt(), oldCrt, 'the Secret holds the new certificate')
  t.equal(await tlsCrt(), readFileSync(join(work, 'certs/tls.crt'), 'utf8'))
  t.same(await caBundles(), [ca, ca], 'the caBundles did not change')
  t.equal((await deployment()).policy, after, 'no rollout: the pods pick the files up')

  // Replace the CA: keep the old one, --new-ca, upgrade with both CAs trusted; then only the new one.
  await readme(/^cp certs\/ca\.crt certs\/previous-ca\.crt$/, 1)
  await readme(/^ephemeral-guard certs .* --new-ca$/, 1)
  await readme(/^cat certs\/ca\.crt certs\/previous-ca\.crt > certs\/ca-bundle\.crt$/, 1)
  await readme(/^helm upgrade .*caBundle=certs\/ca-bundle\.crt$/, 1)
  const newCa = readFileSync(join(work, 'certs/ca.crt'), 'utf8')
  t.not(newCa, ca, 'a new CA')
  t.same(await caBundles(), [newCa + ca, newCa + ca], 'the API server trusts the new and the previous CA')
  await readme(/^helm upgrade .*caBundle=certs\/ca\.crt$/, 1)
  t.same(await caBundles(), [newCa, newCa], 'then only the new one')

  // Uninstall: the registrations first, then the release.
  await readme(/^kubectl delete validatingwebhookconfiguration,mutatingwebhookconfiguration ephemeral-guard$/, 1)
  await readme(/^helm uninstall /, 1)
  for (const [kind, name] of [['validatingwebhookconfiguration', CONFIGURATION_NAME], ['mutatingwebhookconfiguration', CONFIGURATION_NAME], ['clusterrole', 'ephemeral-guard'], ['clusterrolebinding', 'ephemeral-guard']] as const) {
    t.match((await cluster().kubectl(['get', kind, name])).stderr, /NotFound/, `${kind} ${name} is gone`)
  }
  t.match((await helm(['status', RELEASE, '--namespace', NAMESPACE])).stderr, /release: not found/, 'the release is gone')
  await poll('kubectl debug to work again after the uninstall', async () => ((await attempt()).status === 200 ? true : undefined), { timeoutMs: 30_000, intervalMs: 250, last: () => last })

  // Every command of the section ran here, except the cert-manager install (cert-manager is not
  // available offline: its rendering is the default-values test above).
  const notRun = commands.filter((c) => !ran.has(c))
  t.strictSame(notRun, commands.filter((c) => /^helm install /.test(c) && !/self-managed/.test(c)), 'every other README command ran as written')
  t.equal(notRun.length, 1, 'one cert-manager install command')
  t.equal(notRun[0], 'helm install ephemeral-guard charts/ephemeral-guard --namespace ephemeral-guard --create-namespace --take-ownership',
    'whose rendering is the default values\' one')
})
