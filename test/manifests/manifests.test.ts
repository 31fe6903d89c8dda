// manifests/ as written: the base and both overlays keep the install contract of issue 6. The
// e2e suite (test/e2e/manifests.test.ts) checks the same on `kubectl kustomize` output and against a
// real API server.
import t from 'tap'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { applyPatch, baseObjects, generatedData, kustomization, MANIFESTS, REPO_ROOT, yamlDocuments } from './load.js'
import jsonPatch from 'fast-json-patch'
import { GRANT_WEBHOOK, installProblems, isController, isPolicyRole, POLICY_OBJECTS_RULE, POLICY_WEBHOOK, RBAC_RULES, SCRAPE_LABEL, subPaths, type K8sObject } from './properties.js'
import { cli } from '../support/cli.js'

const DEFAULT_POLICY = readFileSync(join(REPO_ROOT, 'policies/default.yaml'), 'utf8')

type Pod = { containers: Array<Record<string, unknown> & { securityContext: Record<string, unknown>; resources: Record<string, Record<string, string>>; args: string[]; volumeMounts: Array<Record<string, unknown>> }>; terminationGracePeriodSeconds: number }
type Hook = Record<string, unknown> & { rules: Array<Record<string, unknown>>; namespaceSelector: { matchExpressions: unknown[] } }
const podOf = (objects: K8sObject[]): Pod => (objects.find((o) => o.kind === 'Deployment' && !isController(o))!['spec'] as { template: { spec: Pod } }).template.spec
type NetworkPolicySpec = { podSelector: unknown; policyTypes: string[]; ingress: Array<Record<string, unknown>> }
const netpolOf = (objects: K8sObject[]): NetworkPolicySpec => objects.find((o) => o.kind === 'NetworkPolicy')!['spec'] as NetworkPolicySpec
const hookOf = (objects: K8sObject[], kind: string): Hook => (objects.find((o) => o.kind === kind)!['webhooks'] as Hook[])[0]!
const hooksOf = (objects: K8sObject[], kind: string): Array<Record<string, unknown>> => objects.find((o) => o.kind === kind)!['webhooks'] as Array<Record<string, unknown>>

t.test('the base holds every property of the install contract', async (t) => {
  t.same(installProblems(baseObjects(), 'none', DEFAULT_POLICY), [])
})

t.test('the base serves the cluster\'s policy objects: --cluster-policies, read-only RBAC on both kinds, no ConfigMap', async (t) => {
  const objects = baseObjects()
  t.ok(podOf(objects).containers[0]!.args.includes('--cluster-policies'))
  t.equal(objects.filter((o) => o.kind === 'ConfigMap').length, 0)
  t.same(objects.find((o) => o.kind === 'ClusterRole')!['rules'], RBAC_RULES, 'get/list/watch only: status is the controller\'s to write')
  t.match(readFileSync(join(MANIFESTS, 'base/kustomization.yaml'), 'utf8'), /The\n# base ships no policy object/, 'why no default policy object is applied is explained')
})

/** The base with the configmap-policy component, as kustomize builds it (its JSON patch applied, its ConfigMap generated). */
function withConfigMapComponent(objects: K8sObject[], dir = join(MANIFESTS, 'components/configmap-policy')): K8sObject[] {
  const component = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { kind: string; configMapGenerator: Array<{ name: string; namespace: string; files: string[] }>; patches: Array<{ target: Record<string, string>; patch: string }> }
  return [
    ...objects.map((o) => (o.kind === component.patches[0]!.target['kind'] && o.metadata.name === component.patches[0]!.target['name'] ? jsonPatch.applyPatch(structuredClone(o), parse(component.patches[0]!.patch) as jsonPatch.Operation[], true, false).newDocument : o)),
    ...component.configMapGenerator.map((g): K8sObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name, namespace: g.namespace }, data: generatedData(dir, g.files, 'utf8') })),
  ]
}

t.test('the component configmap-policy restores the ConfigMap path, from a byte-for-byte copy of policies/default.yaml', async (t) => {
  const dir = join(MANIFESTS, 'components/configmap-policy')
  t.equal(readFileSync(join(dir, 'policy.yaml'), 'utf8'), DEFAULT_POLICY, 'manifests/components/configmap-policy/policy.yaml = policies/default.yaml: copy the file again after changing the default policy')
  const component = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { kind: string; configMapGenerator: unknown; patches: Array<{ target: unknown }> }
  t.equal(component.kind, 'Component')
  t.same(component.configMapGenerator, [{ name: 'ephemeral-guard-policy', namespace: 'ephemeral-guard', files: ['policy.yaml'] }])
  t.same(component.patches.map((p) => p.target), [{ group: 'apps', version: 'v1', kind: 'Deployment', name: 'ephemeral-guard' }])
  const objects = withConfigMapComponent(baseObjects())
  t.same(installProblems(objects, 'none', DEFAULT_POLICY), [], 'with the component, the install keeps the contract')
  const args = podOf(objects).containers[0]!.args
  t.ok(args.includes('--policy=/etc/ephemeral-guard/policy/policy.yaml') && !args.includes('--cluster-policies'))
  t.same(readdirSync(dir).sort(), ['kustomization.yaml', 'policy.yaml'])
  // The patch tests that it replaces --cluster-policies: moved args fail the render instead of replacing another flag.
  const moved = structuredClone(baseObjects())
  podOf(moved).containers[0]!.args.reverse()
  t.throws(() => withConfigMapComponent(moved), { name: 'TEST_OPERATION_FAILED' })
})

t.test('every YAML file of the base is used, and nothing else', async (t) => {
  const dir = join(MANIFESTS, 'base')
  const k = kustomization(dir)
  const used = [...(k.resources ?? []), ...(k.configMapGenerator ?? []).flatMap((g) => g.files ?? []), 'kustomization.yaml'].sort()
  t.same(readdirSync(dir).filter((n) => n !== 'crds').sort(), used.filter((n) => n !== 'crds'))
})

t.test('the policy webhook: both kinds, CREATE and UPDATE, failurePolicy Ignore, at /validate-policy', async (t) => {
  const hooks = baseObjects().find((o) => o.kind === 'ValidatingWebhookConfiguration')!['webhooks'] as Array<Record<string, unknown>>
  t.same(hooks.map((h) => h['name']), ['validate.ephemeral-guard.dev', POLICY_WEBHOOK, GRANT_WEBHOOK])
  t.match(hooks[1], { rules: [POLICY_OBJECTS_RULE], failurePolicy: 'Ignore', sideEffects: 'None', timeoutSeconds: 5, clientConfig: { service: { name: 'ephemeral-guard', namespace: 'ephemeral-guard', path: '/validate-policy', port: 443 } } })
  t.match(readFileSync(join(MANIFESTS, 'base/webhooks.yaml'), 'utf8'), /It fails open: admins must be able to repair policies while the webhook is down/)
})

t.test('webhooks.yaml explains its scope and carries the break-glass matchConditions, commented out', async (t) => {
  // test/e2e/support/webhook.ts registers this file's documents, and refuses any other kind.
  t.same(yamlDocuments(join(MANIFESTS, 'base/webhooks.yaml')).map((o) => o.kind), ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'])
  const text = readFileSync(join(MANIFESTS, 'base/webhooks.yaml'), 'utf8')
  t.match(text, /kube-system is deliberately NOT excluded: debugging a system pod/)
  t.match(text, /these rules never see pod creation/)
  t.match(text, /# matchConditions:\n\s*#\s+- name: break-glass\n\s*#\s+expression: "!\('ephemeral-guard:break-glass' in request\.userInfo\.groups\)"/)
})

t.test('the image is the documented, overridable name, tagged with the package version', async (t) => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
  t.equal(podOf(baseObjects()).containers[0]!['image'], `registry.example.com/ephemeral-guard:${pkg.version}`)
  t.match(readFileSync(join(MANIFESTS, 'base/kustomization.yaml'), 'utf8'), /images:\n#\s+- name: registry\.example\.com\/ephemeral-guard\n#\s+newName: /)
})

t.test('the checks catch what they are for', async (t) => {
  const cases: Array<{ name: string; change: (o: K8sObject[]) => void; problem: RegExp }> = [
    { name: 'a subPath mount', change: (o) => { podOf(o).containers[0]!.volumeMounts[0]!['subPath'] = 'tls.crt' }, problem: /subPath mounts never see/ },
    { name: 'CREATE in the rules', change: (o) => { hookOf(o, 'ValidatingWebhookConfiguration').rules[0]!['operations'] = ['CREATE', 'UPDATE'] }, problem: /rules must be exactly UPDATE/ },
    { name: 'plain pods in the rules', change: (o) => { hookOf(o, 'MutatingWebhookConfiguration').rules[0]!['resources'] = ['pods', 'pods/ephemeralcontainers'] }, problem: /rules must be exactly/ },
    { name: 'a longer timeout', change: (o) => { hookOf(o, 'ValidatingWebhookConfiguration')['timeoutSeconds'] = 10 }, problem: /timeoutSeconds must be 5/ },
    { name: 'a validating webhook that fails open', change: (o) => { hookOf(o, 'ValidatingWebhookConfiguration')['failurePolicy'] = 'Ignore' }, problem: /failurePolicy must be Fail/ },
    { name: 'a mutating webhook without reinvocation', change: (o) => { delete hookOf(o, 'MutatingWebhookConfiguration')['reinvocationPolicy'] }, problem: /reinvocationPolicy must be IfNeeded/ },
    { name: 'kube-system excluded', change: (o) => { hookOf(o, 'ValidatingWebhookConfiguration').namespaceSelector.matchExpressions = [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['ephemeral-guard', 'kube-system'] }] }, problem: /namespaceSelector must exclude exactly/ },
    { name: 'an objectSelector', change: (o) => { hookOf(o, 'MutatingWebhookConfiguration')['objectSelector'] = { matchLabels: { debug: 'ok' } } }, problem: /no objectSelector/ },
    { name: 'sideEffects Some', change: (o) => { hookOf(o, 'MutatingWebhookConfiguration')['sideEffects'] = 'Some' }, problem: /sideEffects must be None/ },
    { name: 'v1 reviews only', change: (o) => { hookOf(o, 'MutatingWebhookConfiguration')['admissionReviewVersions'] = ['v1'] }, problem: /admissionReviewVersions/ },
    { name: 'a writable root filesystem', change: (o) => { podOf(o).containers[0]!.securityContext['readOnlyRootFilesystem'] = false }, problem: /readOnlyRootFilesystem/ },
    { name: 'an added capability', change: (o) => { podOf(o).containers[0]!.securityContext['capabilities'] = { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }, problem: /drop ALL and add none/ },
    { name: 'a CPU limit', change: (o) => { podOf(o).containers[0]!.resources['limits']!['cpu'] = '500m' }, problem: /no CPU limit/ },
    { name: 'a grace period shorter than the shutdown', change: (o) => { podOf(o).terminationGracePeriodSeconds = 12 }, problem: /must cover --shutdown-delay/ },
    { name: 'a probe on the HTTPS port', change: (o) => { (podOf(o).containers[0]!['readinessProbe'] as { httpGet: { port: string; scheme: string } }).httpGet = { ...(podOf(o).containers[0]!['readinessProbe'] as { httpGet: { port: string; scheme: string } }).httpGet, port: 'https', scheme: 'HTTPS' } }, problem: /readinessProbe must GET \/readyz over HTTP on the metrics port/ },
    { name: 'a key outside the Secret', change: (o) => { const a = podOf(o).containers[0]!.args; a[a.findIndex((x) => x.startsWith('--tls-key'))] = '--tls-key=/tmp/tls.key' }, problem: /--tls-cert and --tls-key/ },
    { name: 'a verb more', change: (o) => { (o.find((x) => x.kind === 'ClusterRole')!['rules'] as Array<{ verbs: string[] }>)[0]!.verbs.push('update') }, problem: /exactly namespaces and ephemeralcontainerpolicies\/debugpolicies get\/list\/watch/ },
    { name: 'policy status writable', change: (o) => { (o.find((x) => x.kind === 'ClusterRole')!['rules'] as Array<{ verbs: string[] }>)[1]!.verbs.push('patch') }, problem: /exactly namespaces and ephemeralcontainerpolicies\/debugpolicies get\/list\/watch/ },
    { name: 'pods readable', change: (o) => { (o.find((x) => x.kind === 'ClusterRole')!['rules'] as unknown[]).push({ apiGroups: [''], resources: ['pods'], verbs: ['get'] }) }, problem: /exactly namespaces and/ },
    { name: 'a policy file and the cluster\'s policies', change: (o) => { podOf(o).containers[0]!.args.push('--policy=/p/policy.yaml') }, problem: /--cluster-policies and --policy exclude each other/ },
    { name: 'a stray policy ConfigMap', change: (o) => { o.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ephemeral-guard-policy', namespace: 'ephemeral-guard' }, data: {} }) }, problem: /no policy ConfigMap with --cluster-policies/ },
    { name: 'neither policy source', change: (o) => { const a = podOf(o).containers[0]!.args; a.splice(a.indexOf('--cluster-policies'), 1) }, problem: /--policy must be policy\.yaml in the ConfigMap's directory \(or --cluster-policies\)/ },
    { name: 'a policy webhook that fails closed', change: (o) => { hooksOf(o, 'ValidatingWebhookConfiguration')[1]!['failurePolicy'] = 'Fail' }, problem: /policies\.ephemeral-guard\.dev: failurePolicy must be Ignore/ },
    { name: 'a policy webhook on status', change: (o) => { (hooksOf(o, 'ValidatingWebhookConfiguration')[1]!['rules'] as Array<{ resources: string[] }>)[0]!.resources.push('ephemeralcontainerpolicies/status') }, problem: /policies\.ephemeral-guard\.dev: rules must be exactly CREATE and UPDATE/ },
    { name: 'a policy webhook at the wrong path', change: (o) => { ((hooksOf(o, 'ValidatingWebhookConfiguration')[1]!['clientConfig'] as { service: { path: string } }).service.path = '/validate') }, problem: /at \/validate-policy/ },
    { name: 'no policy webhook', change: (o) => { hooksOf(o, 'ValidatingWebhookConfiguration').pop() }, problem: /must hold the webhooks validate\.ephemeral-guard\.dev, policies\.ephemeral-guard\.dev/ },
    { name: 'a PodDisruptionBudget that allows none', change: (o) => { o.find((x) => x.kind === 'PodDisruptionBudget')!['spec'] = { minAvailable: 3, selector: { matchLabels: { 'app.kubernetes.io/name': 'ephemeral-guard' } } } }, problem: /maxUnavailable 1/ },
    { name: 'a NetworkPolicy rule without ports', change: (o) => { netpolOf(o).ingress.push({ from: [{ podSelector: {} }] }) }, problem: /a rule without ports opens every port/ },
    { name: 'metrics from anywhere', change: (o) => { delete netpolOf(o).ingress[1]!['from'] }, problem: /the metrics port admits only namespaces labelled ephemeral-guard\.dev\/scrape-metrics=true/ },
    { name: 'https from the pods of a namespace', change: (o) => { netpolOf(o).ingress[0]!['from'] = [{ namespaceSelector: {} }] }, problem: /the https port admits any source or IP blocks only/ },
    { name: 'https from no source at all', change: (o) => { netpolOf(o).ingress[0]!['from'] = [] }, problem: /the https port admits any source or IP blocks only/ },
    { name: 'a third port', change: (o) => { netpolOf(o).ingress.push({ ports: [{ port: 22 }] }) }, problem: /each rule admits one of the container ports https and metrics/ },
    { name: 'a port range', change: (o) => { netpolOf(o).ingress[0]!['ports'] = [{ port: 8443, endPort: 8500 }] }, problem: /ports must be single TCP ports/ },
    { name: 'the metrics port left out', change: (o) => { netpolOf(o).ingress.pop() }, problem: /must admit the https and the metrics port/ },
    { name: 'egress restricted too', change: (o) => { netpolOf(o).policyTypes = ['Ingress', 'Egress'] }, problem: /must restrict Ingress only/ },
    { name: 'a NetworkPolicy for other pods', change: (o) => { netpolOf(o).podSelector = { matchLabels: { app: 'other' } } }, problem: /must select the pods/ },
    { name: 'no NetworkPolicy', change: (o) => { o.splice(o.findIndex((x) => x.kind === 'NetworkPolicy'), 1) }, problem: /expected exactly one NetworkPolicy, found 0/ },
    { name: 'two replicas', change: (o) => { (o.find((x) => x.kind === 'Deployment')!['spec'] as { replicas: number }).replicas = 2 }, problem: /replicas must be 3/ },
    { name: 'a controller that may write pods', change: (o) => { (o.find((x) => x.kind === 'ClusterRole' && isController(x))!['rules'] as unknown[]).push({ apiGroups: [''], resources: ['pods'], verbs: ['update'] }) }, problem: /controller: ClusterRole rules must be exactly/ },
    { name: 'any Lease', change: (o) => { delete (o.find((x) => x.kind === 'Role' && isController(x))!['rules'] as Array<Record<string, unknown>>)[1]!['resourceNames'] }, problem: /controller: the Role may only create leases/ },
    { name: 'one controller replica', change: (o) => { (o.find((x) => x.kind === 'Deployment' && isController(x))!['spec'] as { replicas: number }).replicas = 1 }, problem: /controller: replicas must be 2/ },
    { name: 'namespace admins may write cluster policies', change: (o) => { ((o.find((x) => x.kind === 'ClusterRole' && isPolicyRole(x) && x.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-admin'] === 'true')!['rules'] as Array<{ resources: string[] }>)[0]!.resources.push('ephemeralcontainerpolicies')) }, problem: /policy roles: exactly one role aggregated to admin, writing debugpolicies only/ },
    { name: 'viewers may write DebugPolicy objects', change: (o) => { ((o.find((x) => x.kind === 'ClusterRole' && isPolicyRole(x) && x.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view'] === 'true')!['rules'] as Array<{ verbs: string[] }>)[0]!.verbs.push('create')) }, problem: /may only read debugpolicies/ },
    { name: 'a policy role with status verbs', change: (o) => { (o.find((x) => isPolicyRole(x))!['rules'] as unknown[]).push({ apiGroups: ['ephemeral-guard.dev'], resources: ['debugpolicies/status'], verbs: ['update'] }) }, problem: /no status verbs/ },
    { name: 'a binding among the policy roles', change: (o) => { o.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'x', labels: { 'app.kubernetes.io/component': 'policy-roles' } } }) }, problem: /only ClusterRoles, no bindings/ },
    { name: 'no controller', change: (o) => { o.splice(o.findIndex((x) => x.kind === 'Deployment' && isController(x)), 1) }, problem: /expected exactly one Deployment, found 0/ },
  ]
  for (const c of cases) {
    const objects = structuredClone(baseObjects())
    c.change(objects)
    t.match(installProblems(objects, 'none', DEFAULT_POLICY).join('\n'), c.problem, c.name)
  }
  const edited = withConfigMapComponent(baseObjects()).map((o) => o.kind === 'ConfigMap' ? { ...o, data: { 'policy.yaml': `${DEFAULT_POLICY}# edited\n` } } : o)
  t.match(installProblems(edited, 'none', DEFAULT_POLICY).join('\n'), /differs from policies\/default\.yaml/)
  t.same(subPaths({ a: [{ subPathExpr: 'x' }] }), ['.a[0].subPathExpr'])
})

t.test('NetworkPolicy: ingress to https from any source and to metrics from labelled namespaces; the component narrows https to IP blocks', async (t) => {
  const base = baseObjects()
  const np = base.find((o) => o.kind === 'NetworkPolicy')!
  t.same(netpolOf(base).ingress, [
    { ports: [{ port: 'https', protocol: 'TCP' }] },
    { ports: [{ port: 'metrics', protocol: 'TCP' }], from: [{ namespaceSelector: { matchLabels: { [SCRAPE_LABEL]: 'true' } } }] },
  ])
  const text = readFileSync(join(MANIFESTS, 'base/networkpolicy.yaml'), 'utf8')
  t.match(text, /the API server is none of the first two: it runs on control-plane nodes with the host\n# network/, 'the limit is documented where the rule is')
  // The component: a JSON 6902 patch, applied here as kustomize applies it (the e2e suite renders it with kubectl).
  const dir = join(MANIFESTS, 'components/apiserver-cidr')
  const component = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { kind: string; patches: Array<{ target: Record<string, string>; patch: string }> }
  t.equal(component.kind, 'Component')
  t.same(component.patches.map((p) => p.target), [{ group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', name: np.metadata.name }])
  const narrowed = jsonPatch.applyPatch(structuredClone(np), parse(component.patches[0]!.patch) as jsonPatch.Operation[], true, false).newDocument
  t.same((narrowed['spec'] as NetworkPolicySpec).ingress[0], { ports: [{ port: 'https', protocol: 'TCP' }], from: [{ ipBlock: { cidr: '192.0.2.0/24' } }] })
  t.same(installProblems(base.map((o) => (o === np ? narrowed : o)), 'none', DEFAULT_POLICY), [], 'narrowed, the install keeps the contract')
  // The patch tests that the first rule is the https one: reordered rules fail the render instead of narrowing the wrong port.
  const reordered = structuredClone(np)
  ;(reordered['spec'] as NetworkPolicySpec).ingress.reverse()
  t.throws(() => jsonPatch.applyPatch(reordered, parse(component.patches[0]!.patch) as jsonPatch.Operation[], true, false), { name: 'TEST_OPERATION_FAILED' })
})

t.test('overlay cert-manager: self-signed CA chain, serving Certificate for the Service names, CA injection', async (t) => {
  const dir = join(MANIFESTS, 'overlays/cert-manager')
  const k = kustomization(dir)
  t.same(k.resources, ['../../base', 'certificates.yaml'])
  let objects = [...baseObjects(), ...yamlDocuments(join(dir, 'certificates.yaml'))]
  for (const p of k.patches ?? []) for (const doc of yamlDocuments(join(dir, p.path!))) objects = applyPatch(objects, doc)
  t.same(installProblems(objects, 'cert-manager', DEFAULT_POLICY), [])
  t.match(installProblems(baseObjects(), 'cert-manager').join('\n'), /inject-ca-from must name the serving Certificate/, 'the base alone has no CA injection')
  const serving = objects.find((o) => o.kind === 'Certificate' && o.metadata.name === 'ephemeral-guard-serving')!
  t.match(serving['spec'], { usages: ['server auth', 'digital signature'], privateKey: { rotationPolicy: 'Always' } })
})

t.test('overlay self-managed: the Component written by `ephemeral-guard certs` completes it', async (t) => {
  const dir = join(MANIFESTS, 'overlays/self-managed')
  const k = kustomization(dir)
  t.same(k.resources, ['../../base'])
  t.same(k.components, ['certs'])
  t.match(readFileSync(join(dir, '.gitignore'), 'utf8'), /^certs\/$/m, 'the generated keys are never committed')
  t.match(installProblems(baseObjects(), 'self-managed').join('\n'), /caBundle must be set/, 'the base alone has no caBundle')

  const out = join(mkdtempSync(join(tmpdir(), 'eg-overlay-')), 'certs')
  const r = await cli(['certs', '--namespace', 'ephemeral-guard', '--service', 'ephemeral-guard', '--out', out])
  t.equal(r.status, 0, r.stderr)
  const component = kustomization(out)
  t.equal(component.kind, 'Component')
  let objects = baseObjects()
  for (const g of component.secretGenerator ?? []) {
    t.equal(g.options?.disableNameSuffixHash, true, 'a fixed Secret name: renewals update it in place')
    objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: g.name, namespace: g.namespace! }, type: g.type, data: generatedData(out, g.files ?? [], 'base64') })
  }
  for (const p of component.patches ?? []) objects = applyPatch(objects, parse(p.patch!) as K8sObject)
  t.same(installProblems(objects, 'self-managed', DEFAULT_POLICY), [])
})
