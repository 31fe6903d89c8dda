// audit and doctor on the command line (in-process, as the bin runs them), where no cluster is needed:
// help, usage errors, and a cluster that cannot be reached (a kubeconfig pointing at a port nobody
// listens on). Everything that needs an API server is in test/e2e/audit.test.ts and doctor.test.ts.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { cli } from '../support/cli.js'

const run = (args: string[]) => cli(args)

const dir = mkdtempSync(join(tmpdir(), 'eg-audit-cli-'))
const unreachable = join(dir, 'kubeconfig')
writeFileSync(unreachable, `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: "t"}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}, {name: other, context: {cluster: c, user: u}}]
current-context: ctx
`)

t.test('--help names both commands', async (t) => {
  const help = await run(['--help'])
  t.match(help.stdout, /ephemeral-guard audit \(-n NAMESPACE \| -A\)/)
  t.match(help.stdout, /ephemeral-guard doctor /)
})

t.test('usage errors: exit 2, the problem and a pointer to --help', async (t) => {
  const cases: Array<[string[], string]> = [
    [['audit'], 'ephemeral-guard audit: needs -n NAMESPACE or -A (all namespaces)'],
    [['audit', '-n', 'x', '-A'], 'ephemeral-guard audit: takes -n NAMESPACE or -A, not both'],
    [['audit', '-A', '-o', 'xml'], '-o must be one of table, json, yaml, policyreport, got xml'],
    [['audit', '-A', '--older-than=-1h'], '--older-than: invalid duration "-1h": must not have a sign'],
    [['audit', '-A', 'extra'], 'unexpected argument "extra": audit takes only flags'],
    [['doctor', '-o', 'xml'], '-o must be text, json or yaml, got xml'],
    [['doctor', '--expiry-warning', '30d'], '--expiry-warning: invalid duration "30d"'],
  ]
  for (const [args, message] of cases) {
    const r = await run(args)
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`)
    t.match(r.stderr, message, `${args.join(' ')}: says why`)
    t.match(r.stderr, `Run ephemeral-guard ${args[0]} --help for usage.`)
    t.equal(r.stdout, '')
  }
})

t.test('an unreachable cluster: one line, exit 2, for both commands and every output', async (t) => {
  for (const args of [['audit', '-A'], ['audit', '-n', 'shop', '-o', 'policyreport'], ['doctor'], ['doctor', '--context', 'other', '-o', 'json']]) {
    const r = await run([...args, '--kubeconfig', unreachable])
    t.equal(r.status, 2, args.join(' '))
    t.match(r.stderr, new RegExp(`^ephemeral-guard ${args[0]}: cannot reach the API server at https://127\\.0\\.0\\.1:1: ECONNREFUSED[^\\n]*\\n$`))
    t.equal(r.stdout, '')
  }
  const bad = await run(['audit', '-A', '--kubeconfig', unreachable, '--context', 'nope'])
  t.equal(bad.stderr, 'ephemeral-guard audit: context "nope" not found in the kubeconfig\n')
  const broken = join(dir, 'broken')
  writeFileSync(broken, 'clusters: [')
  t.match((await run(['doctor', '--kubeconfig', broken])).stderr, /^ephemeral-guard doctor: cannot load kubeconfig .*broken: /)
})
