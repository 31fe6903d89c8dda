// `controller`'s flags, before any cluster is asked: bad durations and ports, a renew interval that
// leaves no margin in the lease, no kubeconfig: exit 2 with a plain message, nothing started.
import t from 'tap'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cli } from '../support/cli.js'

const home = mkdtempSync(join(tmpdir(), 'eg-home-'))

t.test('bad flags are refused with what is wrong', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--lease-duration', 'soon'], /^ephemeral-guard controller: --lease-duration: /],
    [['--lease-duration', '500ms'], /--lease-duration must be at least 1s, got 500ms/],
    [['--renew-interval', '50ms'], /--renew-interval must be at least 100ms, got 50ms/],
    [['--lease-duration', '6s', '--renew-interval', '5s'], /--renew-interval must be at most two thirds of --lease-duration/],
    [['--resync-period', '0'], /--resync-period must be at least 1s/],
    [['--metrics-port', '70000'], /--metrics-port must be a port number, got 70000/],
    [['--identity', ''], /--identity must not be empty/],
    [[], /no kubeconfig: KUBECONFIG is not set/],
  ]
  for (const [args, message] of cases) {
    const r = await cli(['controller', ...args], { env: { HOME: home } })
    t.equal(r.status, 2, args.join(' '))
    t.match(r.stderr, message, args.join(' '))
    t.equal(r.stdout, '')
  }
})
