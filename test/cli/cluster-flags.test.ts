// The cluster flags of audit and doctor, before any cluster is asked: a missing kubeconfig is said
// plainly (not as "cannot authenticate to http://localhost:8080"), --as-group needs --as, and the
// impersonation headers the client then sends.
import t from 'tap'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cli } from '../support/cli.js'
import { kubeApiOptions, requireKubeconfig } from '../../src/cli/cluster.js'
import { impersonationHeaders } from '../../src/cluster/api.js'
import { ClusterError } from '../../src/errors.js'

const home = mkdtempSync(join(tmpdir(), 'eg-home-'))

t.test('no kubeconfig anywhere: exit 2 and the places looked at', async (t) => {
  for (const command of [['audit', '-A'], ['doctor']]) {
    const r = await cli(command, { env: { HOME: home } })
    t.equal(r.status, 2)
    t.equal(r.stderr, `ephemeral-guard ${command[0]}: no kubeconfig: KUBECONFIG is not set, ${join(home, '.kube', 'config')} does not exist and this is not a pod; pass --kubeconfig FILE or set KUBECONFIG\n`)
    t.equal(r.stdout, '')
  }
  const missing = await cli(['audit', '-A', '--kubeconfig', join(home, 'nope')], { env: { HOME: home } })
  t.equal(missing.stderr, `ephemeral-guard audit: --kubeconfig ${join(home, 'nope')}: no such file\n`)
  const listed = await cli(['doctor'], { env: { HOME: home, KUBECONFIG: `${join(home, 'a')}:${join(home, 'b')}` } })
  t.equal(listed.stderr, `ephemeral-guard doctor: no kubeconfig: none of the files in KUBECONFIG (${join(home, 'a')}:${join(home, 'b')}) exists\n`)
})

t.test('where a kubeconfig is found, nothing is said', async (t) => {
  const file = join(home, 'kc')
  writeFileSync(file, 'apiVersion: v1\nkind: Config\n')
  t.doesNotThrow(() => requireKubeconfig(file, {}))
  t.doesNotThrow(() => requireKubeconfig(undefined, { KUBECONFIG: `${join(home, 'nope')}:${file}` }), 'one file of the list is enough')
  t.doesNotThrow(() => requireKubeconfig(undefined, { HOME: home, KUBERNETES_SERVICE_HOST: '10.0.0.1' }), 'in a pod')
  const other = mkdtempSync(join(tmpdir(), 'eg-home-'))
  mkdirSync(join(other, '.kube'))
  writeFileSync(join(other, '.kube', 'config'), '')
  t.doesNotThrow(() => requireKubeconfig(undefined, { HOME: other }))
  t.throws(() => requireKubeconfig(undefined, { HOME: home }), ClusterError)
})

t.test('--as and --as-group', async (t) => {
  const file = join(home, 'kc')
  t.same(kubeApiOptions({ kubeconfig: file, context: 'c', as: 'alice', 'as-group': ['dev', 'ops'] }, {}), { kubeconfig: file, context: 'c', impersonate: { user: 'alice', groups: ['dev', 'ops'] } })
  t.same(kubeApiOptions({ kubeconfig: file }, {}), { kubeconfig: file })
  const groupOnly = await cli(['audit', '-A', '--as-group', 'dev'], { env: { HOME: home } })
  t.equal(groupOnly.status, 2)
  t.match(groupOnly.stderr, /^ephemeral-guard audit: --as-group needs --as/)
  const empty = await cli(['doctor', '--as', ''], { env: { HOME: home } })
  t.match(empty.stderr, /^ephemeral-guard doctor: --as needs a user name/)
  t.same(impersonationHeaders({ impersonate: { user: 'alice', groups: ['dev', 'ops'] } }), { 'impersonate-user': 'alice', 'impersonate-group': ['dev', 'ops'] })
  t.same(impersonationHeaders({ impersonate: { user: 'alice' } }), { 'impersonate-user': 'alice' })
  t.same(impersonationHeaders({}), {})
})

t.test('doctor -o: text, json or yaml', async (t) => {
  const r = await cli(['doctor', '-o', 'xml'], { env: { HOME: home } })
  t.equal(r.status, 2)
  t.match(r.stderr, /^ephemeral-guard doctor: -o must be text, json or yaml, got xml/)
})
