// manifests/ against the real API server: `kubectl kustomize` renders the base and both overlays,
// the install contract (test/manifests/properties.ts) holds on what it renders, the API server
// accepts every object (`kubectl apply --dry-run=server`), and the README's self-managed install
// runs for real: `ephemeral-guard certs`, `kubectl apply -k`, verify, renew, uninstall.
//
// What this cannot prove: the harness has no nodes, scheduler or controller-manager, so no
// Deployment creates pods and nothing serves behind the Service: a call through it fails with the
// API server's `no endpoints available`, before any dial (see the harness). The pod the Deployment would
// create is checked by creating it from the template (admission: Pod Security "restricted",
// priority class, service account), and the image is checked statically (test/manifests).
// cert-manager is not available offline: its two kinds are registered as test-only CRDs that
// accept any spec, so the dry run proves the overlay applies, not that cert-manager accepts the
// fields; test/manifests checks those fields.
import t, { type Test } from 'tap'
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import type { JsonObject } from '../../src/kube/types.js'
import { installProblems, NAMESPACE, type Certificates, type K8sObject } from '../manifests/properties.js'
import { createTargetPod, ephemeralContainers, ephemeralContainersPath, freshNamespace, kubectlOk, REPO_ROOT, suffix, withEphemeralContainers, installCertManagerStandIns, serverDryRun } from './support/cluster.js'
import { fileCluster } from './support/setup.js'
import { poll, run } from './support/process.js'
import { COMPLIANT, CONFIGURATION_NAME, VALIDATING_WEBHOOK } from './support/webhook.js'
import { guardNetwork } from './support/network-guard.js'
import { writeMyInstall } from './support/my-install.js'

// Loopback only: fails this file on any socket or Service that could reach off this machine.
guardNetwork(t)

const DEFAULT_POLICY = readFileSync(join(REPO_ROOT, 'policies/default.yaml'), 'utf8')
const { dataDir, cluster } = fileCluster(t, 'manifests')

// A copy of manifests/ per test: `certs` writes into the self-managed overlay, never into the repository.
function manifestsCopy(): string {
  const dir = join(dataDir, `manifests-${suffix()}`)
  cpSync(join(REPO_ROOT, 'manifests'), dir, { recursive: true })
  rmSync(join(dir, 'overlays/self-managed/certs'), { recursive: true, force: true })
  return dir
}

const documents = (yaml: string): K8sObject[] => parseAllDocuments(yaml).map((d) => d.toJS() as K8sObject).filter((o) => o !== null)

async function render(dir: string): Promise<{ yaml: string; objects: K8sObject[] }> {
  const yaml = await kubectlOk(cluster(), ['kustomize', dir])
  return { yaml, objects: documents(yaml) }
}

async function certs(manifests: string, ...extra: string[]): Promise<string> {
  const out = join(manifests, 'overlays/self-managed/certs')
  const r = await run(process.execPath, [join(REPO_ROOT, 'dist/main.js'), 'certs', '--namespace', NAMESPACE, '--service', 'ephemeral-guard', '--out', out, ...extra])
  if (r.code !== 0) throw new Error(`certs exited ${r.code}: ${r.stderr}`)
  return out
}

/** The namespace must exist before a server dry run of the objects inside it. */
async function ensureNamespace(objects: readonly K8sObject[]): Promise<void> {
  await kubectlOk(cluster(), ['apply', '-f', '-'], { input: JSON.stringify(objects.find((o) => o.kind === 'Namespace')) })
}

const dryRun = (t: Test, yaml: string, objects: readonly K8sObject[]): Promise<void> => serverDryRun(t, cluster(), yaml, objects.length)

/** The pod the Deployment would create, as its ReplicaSet would (template metadata and spec). */
function templatePod(objects: readonly K8sObject[], name: string): JsonObject {
  const template = (objects.find((o) => o.kind === 'Deployment')!['spec'] as { template: { metadata: JsonObject; spec: JsonObject } }).template
  return structuredClone({ apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name, namespace: NAMESPACE }, spec: template.spec })
}

t.test('base: renders with the contract, serves the cluster\'s policy objects, the API server accepts it', async (t) => {
  const { yaml, objects } = await render(join(REPO_ROOT, 'manifests/base'))
  t.same(installProblems(objects, 'none', DEFAULT_POLICY), [])
  t.equal(objects.filter((o) => o.kind === 'ConfigMap').length, 0, 'no policy ConfigMap: serve --cluster-policies')
  await ensureNamespace(objects)
  await dryRun(t, yaml, objects)
})

t.test('the component configmap-policy: the policy ConfigMap is policies/default.yaml, named with its hash, mounted for --policy', async (t) => {
  const manifests = manifestsCopy()
  const overlay = join(manifests, 'overlays/configmap')
  mkdirSync(overlay)
  writeFileSync(join(overlay, 'kustomization.yaml'), 'resources: [../../base]\ncomponents: [../../components/configmap-policy]\n')
  const { yaml, objects } = await render(overlay)
  t.same(installProblems(objects, 'none', DEFAULT_POLICY), [])
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!
  t.match(configMap.metadata.name, /^ephemeral-guard-policy-[a-z0-9]{10}$/, 'named with a content hash, which the Deployment references')
  t.equal((configMap['data'] as Record<string, string>)['policy.yaml'], DEFAULT_POLICY, 'byte for byte')
  await ensureNamespace(objects)
  await dryRun(t, yaml, objects)
})

t.test('cert-manager overlay: renders with the contract; the API server accepts it (cert-manager kinds as test-only CRDs)', async (t) => {
  const { yaml, objects } = await render(join(REPO_ROOT, 'manifests/overlays/cert-manager'))
  t.same(installProblems(objects, 'cert-manager', DEFAULT_POLICY), [])
  t.same(objects.filter((o) => o.apiVersion.startsWith('cert-manager.io/')).map((o) => `${o.kind}/${o.metadata.name}`).sort(),
    ['Certificate/ephemeral-guard-ca', 'Certificate/ephemeral-guard-serving', 'Issuer/ephemeral-guard-ca', 'Issuer/ephemeral-guard-selfsigned'])
  await installCertManagerStandIns(cluster())
  await ensureNamespace(objects)
  await dryRun(t, yaml, objects)
})

t.test('self-managed overlay: does not render before `certs` has run', async (t) => {
  const r = await cluster().kubectl(['kustomize', join(manifestsCopy(), 'overlays/self-managed')])
  t.not(r.code, 0)
  t.match(r.stderr, /certs/)
})

t.test('README self-managed install: certs, apply -k, verify, exclusion of its own namespace, fail closed, renew, custom image, uninstall', async (t) => {
  const manifests = manifestsCopy()
  const overlay = join(manifests, 'overlays/self-managed')
  const out = await certs(manifests)
  const { objects } = await render(overlay)
  t.same(installProblems(objects, 'self-managed', DEFAULT_POLICY), [], 'the rendered overlay keeps the contract')

  // Install, as the README says.
  const applied = await cluster().kubectl(['apply', '-k', overlay])
  t.equal(applied.code, 0, 'kubectl apply -k', { stderr: applied.stderr })
  t.equal(applied.stdout.trim().split('\n').length, objects.length, 'every object applied')

  // Verify: what the API server stored keeps the contract (defaults included), with the files' content.
  const stored = (JSON.parse(await kubectlOk(cluster(), ['get', '-k', overlay, '-o', 'json'])) as { items: K8sObject[] }).items
  t.same(stored.map((o) => `${o.kind}/${o.metadata.name}`).sort(), objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), 'every object exists')
  t.same(installProblems(stored, 'self-managed', DEFAULT_POLICY), [], 'the stored objects keep the contract')
  const ca = readFileSync(join(out, 'ca.crt'), 'utf8')
  for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
    const hooks = stored.find((o) => o.kind === kind)!['webhooks'] as Array<{ clientConfig: { caBundle: string } }>
    t.equal(Buffer.from(hooks[0]!.clientConfig.caBundle, 'base64').toString('utf8'), ca, `${kind} caBundle is ca.crt`)
  }
  // The README's verify command for the caBundles.
  const verify = await kubectlOk(cluster(), ['get', 'validatingwebhookconfiguration,mutatingwebhookconfiguration', CONFIGURATION_NAME, '-o', 'jsonpath={range .items[*]}{.metadata.name}: {.webhooks[0].clientConfig.caBundle}{"\\n"}{end}'])
  const caBase64 = Buffer.from(ca).toString('base64')
  t.same(verify.trim().split('\n'), [`${CONFIGURATION_NAME}: ${caBase64}`, `${CONFIGURATION_NAME}: ${caBase64}`], 'the verify command shows both caBundles')
  const secret = stored.find((o) => o.kind === 'Secret')!
  t.equal(Buffer.from((secret['data'] as Record<string, string>)['tls.crt']!, 'base64').toString('utf8'), readFileSync(join(out, 'tls.crt'), 'utf8'), 'the Secret holds tls.crt')

  // `doctor` on the real install: the Secret verifies against the caBundles. Nothing serves (no
  // nodes), so the missing ready endpoints keep exit 1. (The policy in force is the cluster's
  // objects here; doctor's ConfigMap check is for the configmap-policy component.)
  const doctor = await run('env', ['-i', `PATH=${process.env['PATH'] ?? ''}`, process.execPath, join(REPO_ROOT, 'dist/main.js'), 'doctor', '--kubeconfig', cluster().info.kubeconfig], { timeoutMs: 60_000 })
  t.equal(doctor.code, 1, 'doctor: a problem (no ready endpoints)', { stderr: doctor.stderr })
  t.notMatch(doctor.stdout, /^ERROR +secret\//m, 'doctor: the serving certificate verifies against the caBundle')

  // The pod the Deployment would create passes admission: Pod Security restricted (enforced on the
  // namespace), priority class, service account. A privileged pod does not.
  const podDryRun = await cluster().kubectl(['create', '--dry-run=server', '-f', '-'], { input: JSON.stringify(templatePod(objects, 'template-check')) })
  t.equal(podDryRun.code, 0, 'the pod template is admitted', { stderr: podDryRun.stderr })
  t.equal(podDryRun.stderr, '', 'without a Pod Security warning')
  const bad = templatePod(objects, 'privileged-check') as { spec: { containers: Array<{ securityContext: JsonObject }> } }
  bad.spec.containers[0]!.securityContext = { privileged: true }
  const refused = await cluster().kubectl(['create', '--dry-run=server', '-f', '-'], { input: JSON.stringify(bad) })
  t.not(refused.code, 0)
  t.match(refused.stderr, /violates PodSecurity "restricted:latest"/, 'the namespace enforces restricted')

  // The registration is live. Nothing serves behind the Service (no nodes, so no ready endpoint): in
  // any other namespace the validating webhook fails closed; its own namespace is excluded. The
  // harness resolves the Service through its EndpointSlices (--enable-aggregator-routing), so the API
  // server fails the call without dialing anything, never the Service's ClusterIP (off this machine).
  const ns = await freshNamespace(cluster(), 'guarded')
  await createTargetPod(cluster(), ns)
  const noEndpoints = `failed calling webhook "${VALIDATING_WEBHOOK}": failed to call webhook: Post "https://ephemeral-guard.ephemeral-guard.svc:443/validate?timeout=5s": no endpoints available for service "ephemeral-guard"`
  let last = ''
  const status = await poll('the API server to call the validating webhook through the Service', async () => {
    const r = await cluster().api('PUT', `${ephemeralContainersPath(ns, 'target')}?dryRun=All`, await withEphemeralContainers(cluster(), ns, 'target', [COMPLIANT]))
    last = `${r.status} ${String(r.body['message'])}`
    return String(r.body['message']).includes(`failed calling webhook "${VALIDATING_WEBHOOK}"`) ? r : undefined
  }, { timeoutMs: 60_000, intervalMs: 500, last: () => last })
  t.equal(status.status, 500)
  t.equal(status.body['message'], `Internal error occurred: ${noEndpoints}`, 'the API server\'s own error: no endpoints, nothing dialed')
  const debugged = await cluster().kubectl(['-n', ns, 'debug', 'pod/target', '--image=busybox:1.36', '--profile=general', '-c', 'blocked'])
  t.not(debugged.code, 0, 'kubectl debug is refused while no replica answers')
  t.equal(debugged.stderr, `Error from server (InternalError): Internal error occurred: ${noEndpoints}\n`, 'called through the Service with timeoutSeconds 5, refused for want of an endpoint')
  t.same(await ephemeralContainers(cluster(), ns, 'target'), [], 'nothing was added')

  await kubectlOk(cluster(), ['create', '-f', '-'], { input: JSON.stringify(templatePod(objects, 'own-replica')) })
  const own = await cluster().kubectl(['-n', NAMESPACE, 'debug', 'pod/own-replica', '--image=busybox:1.36', '--profile=restricted', '-c', 'recover'])
  t.equal(own.code, 0, 'a replica in the webhook\'s own namespace can still be debugged (--profile=restricted)', { stderr: own.stderr })
  t.same((await ephemeralContainers(cluster(), NAMESPACE, 'own-replica')).map((c) => c['name']), ['recover'])

  // Renew as the README says: run certs again and apply. The CA is kept, so the caBundle does not
  // change; the Secret keeps its name and gets the new certificate (the server reloads it).
  const before = readFileSync(join(out, 'tls.crt'), 'utf8')
  await certs(manifests)
  t.not(readFileSync(join(out, 'tls.crt'), 'utf8'), before, 'a new serving certificate')
  const renewed = await kubectlOk(cluster(), ['apply', '-k', overlay])
  t.match(renewed, /^secret\/ephemeral-guard-tls configured$/m)
  t.match(renewed, /^validatingwebhookconfiguration\.admissionregistration\.k8s\.io\/ephemeral-guard unchanged$/m)
  t.match(renewed, /^mutatingwebhookconfiguration\.admissionregistration\.k8s\.io\/ephemeral-guard unchanged$/m)
  t.match(renewed, /^deployment\.apps\/ephemeral-guard unchanged$/m, 'no rollout: the pods pick the files up')
  const secretNow = JSON.parse(await kubectlOk(cluster(), ['-n', NAMESPACE, 'get', 'secret', 'ephemeral-guard-tls', '-o', 'json'])) as { data: Record<string, string> }
  t.equal(Buffer.from(secretNow.data['tls.crt']!, 'base64').toString('utf8'), readFileSync(join(out, 'tls.crt'), 'utf8'))

  // Replace the CA as the README says: --new-ca, apply (both CAs trusted), certs again, apply (old one dropped).
  const caBundleNow = async (): Promise<string[]> => {
    const hooks = (JSON.parse(await kubectlOk(cluster(), ['get', 'validatingwebhookconfiguration', CONFIGURATION_NAME, '-o', 'json'])) as { webhooks: Array<{ clientConfig: { caBundle: string } }> }).webhooks
    return Buffer.from(hooks[0]!.clientConfig.caBundle, 'base64').toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? []
  }
  await certs(manifests, '--new-ca')
  const newCa = readFileSync(join(out, 'ca.crt'), 'utf8')
  t.not(newCa, ca, 'a new CA')
  await kubectlOk(cluster(), ['apply', '-k', overlay])
  t.same(await caBundleNow(), [newCa, ca], 'the API server trusts the new and the previous CA')
  await certs(manifests)
  await kubectlOk(cluster(), ['apply', '-k', overlay])
  t.same(await caBundleNow(), [newCa], 'then only the new one')

  // Your own image, through an overlay of the overlay (README: the image).
  const myPolicy = readFileSync(join(REPO_ROOT, 'policies/examples/production.yaml'), 'utf8')
  const mine = writeMyInstall(manifests, myPolicy, [
    'resources: [../overlays/self-managed]',
    'components: [../components/configmap-policy, my-policy]',
    'images:',
    '  - name: registry.example.com/ephemeral-guard',
    '    newName: registry.mycorp.example/platform/ephemeral-guard',
    '    digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  ])
  const custom = (await render(mine)).objects
  const image = (custom.find((o) => o.kind === 'Deployment')!['spec'] as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]!.image
  t.equal(image, 'registry.mycorp.example/platform/ephemeral-guard@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef')
  t.same(installProblems(custom, 'self-managed', myPolicy), [], 'your policy replaces the default, and the Deployment mounts it')
  const configMap = custom.find((o) => o.kind === 'ConfigMap')!
  t.equal((configMap['data'] as Record<string, string>)['policy.yaml'], myPolicy)
  t.match(configMap.metadata.name, /^ephemeral-guard-policy-[a-z0-9]{10}$/, 'under a name with its hash: a change rolls the Deployment')

  // Uninstall, as the README says.
  await kubectlOk(cluster(), ['delete', 'validatingwebhookconfiguration,mutatingwebhookconfiguration', CONFIGURATION_NAME])
  const removed = await cluster().kubectl(['delete', '-k', overlay, '--ignore-not-found', '--wait=false'])
  t.equal(removed.code, 0, 'kubectl delete -k --ignore-not-found', { stderr: removed.stderr })
  for (const [kind, name] of [['validatingwebhookconfiguration', CONFIGURATION_NAME], ['mutatingwebhookconfiguration', CONFIGURATION_NAME], ['clusterrole', 'ephemeral-guard'], ['clusterrolebinding', 'ephemeral-guard']] as const) {
    const r = await cluster().kubectl(['get', kind, name])
    t.match(r.stderr, /NotFound/, `${kind} ${name} is gone`)
  }
  // Without a controller-manager the namespace never finishes terminating; a real cluster deletes it.
  const namespace = JSON.parse(await kubectlOk(cluster(), ['get', 'namespace', NAMESPACE, '-o', 'json'])) as { status: { phase: string } }
  t.equal(namespace.status.phase, 'Terminating')
  await poll('kubectl debug to work again after the uninstall', async () => {
    const r = await cluster().api('PUT', `${ephemeralContainersPath(ns, 'target')}?dryRun=All`, await withEphemeralContainers(cluster(), ns, 'target', [COMPLIANT]))
    last = `${r.status} ${String(r.body['message'])}`
    return r.status === 200 ? true : undefined
  }, { timeoutMs: 30_000, intervalMs: 250, last: () => last })
})
