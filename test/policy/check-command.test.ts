// `ephemeral-guard policy check|schema FILE` with a DebugPolicy; `review --policy` refuses one.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../src/paths.js'

const run = (args: string[]) => spawnSync(process.execPath, [join(PACKAGE_ROOT, 'dist/main.js'), ...args], { encoding: 'utf8', cwd: PACKAGE_ROOT })
const dir = mkdtempSync(join(tmpdir(), 'eg-debug-policy-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const HEAD = 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: DebugPolicy\nmetadata: {name: team, namespace: shop}\n'

t.test('policy check and schema take a DebugPolicy', async (t) => {
  const good = join(dir, 'good.yaml')
  writeFileSync(good, `${HEAD}spec: {mode: warn, rules: [{name: images, images: {allow: [busybox]}}]}\n`)
  const ok = run(['policy', 'check', good])
  t.equal(ok.status, 0, ok.stderr)
  t.match(ok.stdout, /: DebugPolicy "team" \([0-9a-f]{12}\) is valid: 1 rule\n$/)
  const schema = run(['policy', 'schema', good])
  t.equal(schema.status, 0)
  t.same((JSON.parse(schema.stdout) as { rules: Array<{ rule: string; mode: string }> }).rules.map((r) => [r.rule, r.mode]), [['images', 'warn']])
  const bad = join(dir, 'bad.yaml')
  writeFileSync(bad, `${HEAD}spec: {exemptions: {}, rules: [{name: r, match: {namespaces: [prod]}}]}\n`)
  const refused = run(['policy', 'check', bad])
  t.equal(refused.status, 1)
  t.equal(refused.stderr, `ephemeral-guard policy: ${bad}: invalid policy:\n  spec.exemptions: unknown field\n  spec.rules[0].match.namespaces: not allowed in a DebugPolicy: its rules apply only in the policy's own namespace\n`)
  const review = run(['review', '--policy', good, 'test/fixtures/admission-review/debug-sysadmin.json'])
  t.equal(review.status, 2, 'review --policy takes a cluster policy only')
  t.match(review.stderr, /kind: a DebugPolicy is read from the cluster/)
})
