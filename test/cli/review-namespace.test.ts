// review --namespace-labels / --namespace: the Pod Security fit tried offline, through the command line in-process.
import t from 'tap'

import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AdmissionReview } from '../../src/kube/types.js'
import { profileContainer, admissionReview } from '../support/reviews.js'
import { cli } from '../support/cli.js'

const POLICY = new URL('../../policies/examples/mutations.yaml', import.meta.url).pathname
const run = (args: string[]) => cli(args)

const dir = mkdtempSync(join(tmpdir(), 'eg-review-ns-'))
const file = (name: string, text: string): string => {
  const f = join(dir, name)
  writeFileSync(f, text)
  return f
}
const general = file('general.json', JSON.stringify(admissionReview({ added: [profileContainer('general')] })))
const patchOf = (stdout: string): Array<{ op: string; path: string; value?: unknown }> => {
  const res = (JSON.parse(stdout) as AdmissionReview).response
  return res?.patch === undefined ? [] : JSON.parse(Buffer.from(res.patch, 'base64').toString('utf8'))
}
const warningsOf = (stdout: string): string[] => (JSON.parse(stdout) as AdmissionReview).response?.warnings ?? []

t.test('labels from the flag fit the container to restricted', async (t) => {
  const r = await run(['review', '--webhook', 'mutate', '--policy', POLICY, '--namespace-labels', 'pod-security.kubernetes.io/enforce=restricted, team=shop', general])
  t.equal(r.status, 0, r.stderr)
  t.ok(patchOf(r.stdout).some((o) => o.path === '/spec/ephemeralContainers/0/securityContext/runAsNonRoot' && o.value === true), 'runAsNonRoot added')
})

t.test('labels from a Namespace manifest, YAML or JSON; the flag wins over the file', async (t) => {
  const yaml = file('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {pod-security.kubernetes.io/enforce: baseline}\n')
  const r = await run(['review', '--webhook', 'mutate', '--policy', POLICY, '--namespace-file', yaml, general])
  t.equal(r.status, 0, r.stderr)
  t.match(warningsOf(r.stdout), [/removed "SYS_PTRACE".*"baseline:latest"/])
  const json = file('ns.json', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }))
  const both = await run(['review', '--webhook', 'mutate', '--policy', POLICY, '--namespace-file', json, '--namespace-labels', 'pod-security.kubernetes.io/enforce=restricted', general])
  t.match(warningsOf(both.stdout), [/"restricted:latest"/])
})

t.test('without labels the fit is skipped, with a warning', async (t) => {
  const r = await run(['review', '--webhook', 'mutate', '--policy', POLICY, general])
  t.equal(r.status, 0)
  t.ok(warningsOf(r.stdout).includes('Pod Security fit skipped: the labels of namespace "shop" are unknown to ephemeral-guard'))
})

t.test('bad flags are usage errors (exit 2)', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--namespace-labels', 'novalue'], /--namespace-labels takes k=v\[,k2=v2\], got "novalue"/],
    [['--namespace-file', join(dir, 'missing.yaml')], /--namespace-file .*missing\.yaml: ENOENT/],
    [['--namespace-file', file('pod.yaml', 'kind: Pod\nmetadata: {name: x}\n')], /not a Namespace manifest/],
    [['--namespace-file', file('bad.yaml', 'kind: Namespace\nmetadata: {labels: {a: 1}}\n')], /metadata\.labels must map strings to strings/],
    [['--namespace-file', file('broken.yaml', 'kind: [')], /--namespace-file .*broken\.yaml: /],
  ]
  for (const [args, message] of cases) {
    const r = await run(['review', '--webhook', 'mutate', ...args, general])
    t.equal(r.status, 2, args.join(' '))
    t.match(r.stderr, message)
  }
})
