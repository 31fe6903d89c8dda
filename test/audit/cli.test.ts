// audit and doctor on the command line, where no cluster is needed: help, usage errors, and a cluster
// that cannot be reached (a kubeconfig pointing at a port nobody listens on). Everything that needs an
// API server is in test/e2e/audit.test.ts and doctor.test.ts, against a real one.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

// Each run starts a node process (about 1 s on an idle machine); the suite's default 30 s is too short.
t.setTimeout(120_000)

const BIN = new URL('../../dist/main.js', import.meta.url).pathname
const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 })

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
  const help = run(['--help'])
  t.match(help.stdout, /ephemeral-guard audit \(-n NAMESPACE \| -A\)/)
  t.match(help.stdout, /ephemeral-guard doctor /)
})

t.test('usage errors: exit 2, the problem and a pointer to --help', async (t) => {
  const cases: Array<[string[], string]> = [
    [['audit'], 'audit needs -n NAMESPACE or -A (all namespaces)'],
    [['audit', '-n', 'x', '-A'], 'audit takes -n NAMESPACE or -A, not both'],
    [['audit', '-A', '-o', 'xml'], '-o must be one of table, json, yaml, policyreport, got xml'],
    [['audit', '-A', '--older-than=-1h'], '--older-than: invalid duration "-1h": must not have a sign'],
    [['audit', '-A', 'extra'], 'Unexpected argument'],
    [['doctor', '-o', 'yaml'], '-o must be text or json, got yaml'],
    [['doctor', '--expiry-warning', '30d'], '--expiry-warning: invalid duration "30d"'],
  ]
  for (const [args, message] of cases) {
    const r = run(args)
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`)
    t.match(r.stderr, message, `${args.join(' ')}: says why`)
    t.match(r.stderr, 'Run ephemeral-guard --help for usage.')
    t.equal(r.stdout, '')
  }
})

t.test('an unreachable cluster: one line, exit 2, for both commands and every output', async (t) => {
  for (const args of [['audit', '-A'], ['audit', '-n', 'shop', '-o', 'policyreport'], ['doctor'], ['doctor', '--context', 'other', '-o', 'json']]) {
    const r = run([...args, '--kubeconfig', unreachable])
    t.equal(r.status, 2, args.join(' '))
    t.match(r.stderr, new RegExp(`^ephemeral-guard ${args[0]}: cannot reach the API server at https://127\\.0\\.0\\.1:1: ECONNREFUSED[^\\n]*\\n$`))
    t.equal(r.stdout, '')
  }
  const bad = run(['audit', '-A', '--kubeconfig', unreachable, '--context', 'nope'])
  t.equal(bad.stderr, 'ephemeral-guard audit: context "nope" not found in the kubeconfig\n')
  const broken = join(dir, 'broken')
  writeFileSync(broken, 'clusters: [')
  t.match(run(['doctor', '--kubeconfig', broken]).stderr, /^ephemeral-guard doctor: cannot load kubeconfig .*broken: /)
})
