// README's cluster commands, as written, against the harness's real API server: every `kubectl ...`
// and `ephemeral-guard audit|doctor ...` line of README's sh blocks (and the whole of "Install
// self-managed", whose `certs` line the install needs) but those of "Install with Helm", which
// test/e2e/helm.test.ts runs as written, run through bash in a workspace with the
// repository's manifests/ and policies/ and README's placeholder files, with KUBECONFIG at the
// harness and the harness's kubectl, `ephemeral-guard` and the plugin `kubectl-ephemeral_guard` on
// PATH. Sections run in README order, commands in order within each, so state builds up as an admin's
// would (install, verify, uninstall, break-glass after a reinstall, audit). A command exits 0 unless
// NOT_RUN_HERE lists it with the reason; each entry must match a README command.
//
// What stands in for the parts of a cluster the harness lacks (no nodes, no controller-manager, no
// cert-manager), each as test set-up outside the README's commands: cert-manager's two kinds are
// test-only CRDs; the namespace controller's last step (finalize, then delete) is done here while
// `kubectl delete -k` waits for the namespace to go; the audited pod's ephemeral container is added
// through the API (kubectl debug needs a replica answering the webhook).
import t, { type Test } from 'tap'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { readmeCommandLines, readmeWorkspace } from '../support/readme.js'
import { createNamespace, createTargetPod, E2E_DIR, ephemeralContainersPath, kubectlOk, withEphemeralContainers, installCertManagerStandIns, installPolicyCrds } from './support/cluster.js'
import { fileCluster } from './support/setup.js'
import { run, sleep, type RunResult } from './support/process.js'
import { COMPLIANT } from './support/webhook.js'
import { guardNetwork } from './support/network-guard.js'

// Loopback only: fails this file on any socket or Service that could reach off this machine.
guardNetwork(t)

/** README commands this file selects but cannot run against the harness: a pattern, and why. */
const NOT_RUN_HERE: ReadonlyArray<readonly [RegExp, string]> = [
  [/^kubectl -n ephemeral-guard rollout status /, 'no nodes: no replica ever becomes ready (test/e2e/manifests.test.ts checks the Deployment the rollout waits for)'],
  [/^kubectl debug mypod /, 'needs a running pod and a replica answering the webhook; no nodes here (test/e2e/debug.test.ts runs kubectl debug against ephemeral-guard on loopback)'],
]

/** The README commands this file is for: the cluster commands, and the install section that needs `certs` first. */
/** Its commands, kubectl's among them, are run as written by test/e2e/helm.test.ts, in the order they need with helm. */
const HELM_SECTION = 'Install with Helm'
const selected = (c: { command: string; section: string }): boolean => c.section !== HELM_SECTION &&
  (/^kubectl /.test(c.command) || /^ephemeral-guard (audit|doctor) /.test(c.command) || c.section === 'Install self-managed')

const NAMESPACE = 'ephemeral-guard'
const { cluster } = fileCluster(t, 'readme')
const { dir, bin } = readmeWorkspace({ manifests: true })
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** One README command line, through bash as typed, in the workspace, as an admin's shell. */
const sh = (command: string): Promise<RunResult> => run('env', ['-i', `PATH=${bin}:${cluster().binDir}:${process.env['PATH'] ?? ''}`, `HOME=${dir}`,
  `KUBECONFIG=${cluster().info.kubeconfig}`, 'bash', '-c', command], { timeoutMs: 180_000, cwd: dir })

/**
 * The namespace controller's last step, which the harness has no controller-manager for: once the
 * namespace is terminating, its finalizer is removed and it is deleted, as the controller does after
 * deleting its content. Runs until `done` resolves.
 */
async function finalizeNamespaceUntil(name: string, done: Promise<unknown>): Promise<void> {
  let finished = false
  void done.finally(() => { finished = true })
  while (!finished) {
    const r = await cluster().api('GET', `/api/v1/namespaces/${name}`)
    if (r.status === 200 && (r.body['metadata'] as { deletionTimestamp?: string }).deletionTimestamp !== undefined) {
      await sleep(500) // kubectl has sent its deletes of the namespaced objects by now; the content is gone either way
      const fin = await cluster().api('PUT', `/api/v1/namespaces/${name}/finalize`, { ...r.body, spec: { finalizers: [] } })
      if (fin.status !== 200) throw new Error(`finalize namespace ${name}: ${fin.status} ${fin.text}`)
      await cluster().api('DELETE', `/api/v1/namespaces/${name}`)
      return
    }
    await sleep(250)
  }
}

/** Set-up before a section's commands: what the README assumes is already there. */
const BEFORE: Record<string, () => Promise<void>> = {
  'Install with cert-manager': async () => {
    await installCertManagerStandIns(cluster())
  },
  // Policy objects need the policy kinds (an install leaves their CRDs), and the DebugPolicy its namespace.
  Policy: async () => {
    await installPolicyCrds(cluster())
    await createNamespace(cluster(), 'shop')
  },
  // `kubectl apply -f my-policy.yaml` needs the policy kinds: their CRDs (manifests/base/crds), as
  // an install that includes them leaves them.
  Upgrade: async () => {
    await installPolicyCrds(cluster())
  },
  // "it is recreated by the next apply": installed again, as the section assumes.
  'Break-glass': async () => {
    const r = await sh('kubectl apply -k manifests/overlays/self-managed')
    if (r.code !== 0) throw new Error(`reinstall before Break-glass exited ${r.code}:\n${r.stderr}`)
  },
  // Something to audit: shop/cart with a compliant debug container, and the PolicyReport CRDs for --apply.
  Audit: async () => {
    const crds = await run('bash', [join(E2E_DIR, 'policyreport-crds.sh')], { timeoutMs: 10 * 60_000 })
    if (crds.code !== 0) throw new Error(`policyreport-crds.sh failed:\n${crds.stderr}`)
    await kubectlOk(cluster(), ['apply', '--server-side', '-f', crds.stdout.trim().split('\n').pop()!])
    await createTargetPod(cluster(), 'shop', 'cart') // shop: made before Policy
    const added = await cluster().api('PUT', ephemeralContainersPath('shop', 'cart'), await withEphemeralContainers(cluster(), 'shop', 'cart', [COMPLIANT]))
    if (added.status !== 200) throw new Error(`adding the debug container to shop/cart: ${added.status} ${added.text}`)
  },
}

/** The state a section leaves, as the README's text says. */
const gone = async (kind: string, name: string): Promise<boolean> => /NotFound/.test((await cluster().kubectl(['get', kind, name])).stderr)
const AFTER: Record<string, (t: Test) => Promise<void>> = {
  Uninstall: async (t) => {
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration', 'clusterrole', 'clusterrolebinding']) t.ok(await gone(kind, 'ephemeral-guard'), `${kind} ephemeral-guard is gone`)
    t.ok(await gone('namespace', NAMESPACE), 'the namespace is gone, with the Secret and the policy')
  },
  'Break-glass': async (t) => {
    t.ok(await gone('validatingwebhookconfiguration', 'ephemeral-guard'), 'the validating registration is gone')
    t.notOk(await gone('mutatingwebhookconfiguration', 'ephemeral-guard'), 'the mutating one stays (it fails open)')
  },
}

/** Checks of a command's output beyond its exit status, where the README says what it shows. */
const OUTPUT: ReadonlyArray<readonly [RegExp, (t: Test, r: RunResult) => void]> = [
  [/^kubectl get validatingwebhookconfiguration,mutatingwebhookconfiguration ephemeral-guard /, (t, r) => {
    const lines = r.stdout.trim().split('\n')
    t.equal(lines.length, 2, 'one line a configuration')
    for (const line of lines) t.match(line, /^ephemeral-guard: [A-Za-z0-9+/]{20,}/, 'its caBundle is set (self-managed: by the certs Component)')
  }],
  // Not a terminal: JSON is the default output (README: Audit, Outputs).
  [/^ephemeral-guard audit -A( +#| --older-than 24h -o json )/, (t, r) => {
    const audit = JSON.parse(r.stdout) as { kind: string; items: Array<{ namespace: string; pod: string; container: string; verdict: string }> }
    t.same(audit.items.map((i) => `${i.namespace}/${i.pod} ${i.container}: ${i.verdict}`), ['shop/cart probe-general: pass'], 'the debug container of shop/cart, judged')
  }],
]

t.test('README cluster commands run as written against the API server, in README order', async (t) => {
  const all = readmeCommandLines()
  const mine = all.filter(selected)
  t.ok(mine.length >= 15, `${mine.length} commands selected`)
  const sections = [...new Set(mine.map((c) => c.section))]
  let ran = 0
  for (const section of sections) {
    await BEFORE[section]?.()
    for (const { command } of mine.filter((c) => c.section === section)) {
      const tagged = NOT_RUN_HERE.filter(([re]) => re.test(command))
      if (tagged.length > 0) {
        t.equal(tagged.length, 1, `${command}: not run (${tagged[0]![1]})`)
        continue
      }
      const running = sh(command)
      const finalizing = /^kubectl delete -k /.test(command) ? finalizeNamespaceUntil(NAMESPACE, running) : Promise.resolve()
      const [r] = await Promise.all([running, finalizing])
      ran++
      t.equal(r.code, 0, `[${section}] ${command}: exit 0`, { stderr: r.stderr, stdout: r.stdout })
      for (const [re, check] of OUTPUT) if (re.test(command)) check(t, r)
    }
    await AFTER[section]?.(t)
  }
  t.ok(ran >= 13, `${ran} README commands run as written`)

  // After the sections: the audit's --apply wrote a PolicyReport for shop.
  const reports = JSON.parse(await kubectlOk(cluster(), ['-n', 'shop', 'get', 'policyreports.wgpolicyk8s.io', '-o', 'json'])) as { items: unknown[] }
  t.equal(reports.items.length, 1, 'ephemeral-guard audit -A -o policyreport --apply wrote the PolicyReport of shop')
  // Each reason is used, so the list stays short and true.
  for (const [re, why] of NOT_RUN_HERE) t.ok(mine.some((c) => re.test(c.command)), `the tag ${re} (${why}) matches a README command`)
  // Every README command that needs a cluster is selected here (test/cli/readme.test.ts defers them to this file).
  // Every README command that needs a cluster is selected here (test/cli/readme.test.ts defers them to this
  // file), but those of Install with Helm, which test/e2e/helm.test.ts runs.
  for (const { command, section } of all) {
    if (/^(kubectl|ephemeral-guard audit) /.test(command)) t.ok(section === HELM_SECTION || mine.some((c) => c.command === command), `${command}: selected`)
  }
})
