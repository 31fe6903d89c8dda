// Issue 18, network exposure: the NetworkPolicy of manifests/base, and the component that narrows
// the webhook port to the control plane's addresses, against the real API server. The harness has
// no network plugin, so nothing enforces a NetworkPolicy here: the API server's validation (server
// dry run, then a real apply and what it stores) is what is checked; the contract of the rules
// (ports, sources) is test/manifests/properties.ts, applied to what the API server stored.
import t from 'tap'
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { networkPolicyProblems, NAMESPACE, SCRAPE_LABEL, type K8sObject } from '../manifests/properties.js'
import { kubectlOk, REPO_ROOT, suffix } from './support/cluster.js'
import { fileCluster } from './support/setup.js'
import { guardNetwork } from './support/network-guard.js'

guardNetwork(t)

const { dataDir, cluster } = fileCluster(t, 'network-policy')

const documents = (yaml: string): K8sObject[] => parseAllDocuments(yaml).map((d) => d.toJS() as K8sObject).filter((o) => o !== null)

type Container = Parameters<typeof networkPolicyProblems>[2]
const containerOf = (objects: readonly K8sObject[]): { labels: Record<string, string>; container: Container } => {
  const template = (objects.find((o) => o.kind === 'Deployment')!['spec'] as { template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } } }).template
  return { labels: template.metadata.labels, container: template.spec.containers[0]! }
}

/** An overlay of a copy of manifests/: the base plus a copy of components/apiserver-cidr, its range replaced. */
function overlayWithCidrs(cidrs: readonly string[]): string {
  const copy = join(dataDir, `manifests-${suffix()}`)
  cpSync(join(REPO_ROOT, 'manifests'), copy, { recursive: true })
  const overlay = join(copy, 'my-install')
  mkdirSync(overlay)
  // As the component says: copy it into your overlay and replace the example range.
  cpSync(join(copy, 'components/apiserver-cidr'), join(overlay, 'apiserver-cidr'), { recursive: true })
  const file = join(overlay, 'apiserver-cidr/kustomization.yaml')
  const ranges = cidrs.map((c) => `          - ipBlock:\n              cidr: ${c}`).join('\n')
  writeFileSync(file, readFileSync(file, 'utf8').replace('          - ipBlock:\n              cidr: 192.0.2.0/24', ranges))
  writeFileSync(join(overlay, 'kustomization.yaml'), 'resources: [../base]\ncomponents: [apiserver-cidr]\n')
  return overlay
}

async function networkPolicyOf(dir: string): Promise<{ objects: K8sObject[]; policy: K8sObject }> {
  const objects = documents(await kubectlOk(cluster(), ['kustomize', dir]))
  return { objects, policy: objects.find((o) => o.kind === 'NetworkPolicy')! }
}

t.before(async () => {
  const base = documents(await kubectlOk(cluster(), ['kustomize', join(REPO_ROOT, 'manifests/base')]))
  await kubectlOk(cluster(), ['apply', '-f', '-'], { input: JSON.stringify(base.find((o) => o.kind === 'Namespace')) })
})

t.test('base: the API server accepts the NetworkPolicy and stores it with the contract', async (t) => {
  const { objects, policy } = await networkPolicyOf(join(REPO_ROOT, 'manifests/base'))
  const { labels, container } = containerOf(objects)
  const dry = await cluster().kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], { input: JSON.stringify(policy) })
  t.equal(dry.code, 0, 'server dry run', { stderr: dry.stderr })
  t.equal(dry.stderr, '', 'without warnings')
  await kubectlOk(cluster(), ['apply', '-f', '-'], { input: JSON.stringify(policy) })
  const stored = JSON.parse(await kubectlOk(cluster(), ['-n', NAMESPACE, 'get', 'networkpolicy', policy.metadata.name, '-o', 'json'])) as K8sObject
  t.same(networkPolicyProblems(stored, labels, container), [], 'the stored object keeps the contract')
  t.same((stored['spec'] as { ingress: unknown[] }).ingress, [
    { ports: [{ port: 'https', protocol: 'TCP' }] },
    { ports: [{ port: 'metrics', protocol: 'TCP' }], from: [{ namespaceSelector: { matchLabels: { [SCRAPE_LABEL]: 'true' } } }] },
  ], 'https from any source; metrics from labelled namespaces only')
})

t.test('components/apiserver-cidr, its range replaced: the API server accepts it; the https rule admits those blocks only', async (t) => {
  const { objects, policy } = await networkPolicyOf(overlayWithCidrs(['10.0.0.0/24', 'fd00:10::/64']))
  const { labels, container } = containerOf(objects)
  const dry = await cluster().kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], { input: JSON.stringify(policy) })
  t.equal(dry.code, 0, 'server dry run', { stderr: dry.stderr })
  const answered = JSON.parse(dry.stdout) as K8sObject
  t.same(networkPolicyProblems(answered, labels, container), [])
  t.same((answered['spec'] as { ingress: Array<{ from?: unknown }> }).ingress[0]!.from, [{ ipBlock: { cidr: '10.0.0.0/24' } }, { ipBlock: { cidr: 'fd00:10::/64' } }])
})

t.test('the dry run is a real check: the API server refuses a range that is not a CIDR', async (t) => {
  const { policy } = await networkPolicyOf(overlayWithCidrs(['10.0.0.0/33']))
  const r = await cluster().kubectl(['apply', '--dry-run=server', '-f', '-'], { input: JSON.stringify(policy) })
  t.not(r.code, 0)
  t.match(r.stderr, /spec\.ingress\[0\]\.from\[0\]\.ipBlock\.cidr: Invalid value: "10\.0\.0\.0\/33"/)
})
