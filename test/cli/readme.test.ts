// README's shell commands, as written. Every command line of every ```sh block is either run here
// (the ephemeral-guard commands that need no cluster, in a directory with the README's placeholder
// files, through bash so redirections and `source <(...)` work as typed) or matches one entry of
// NOT_RUN_HERE, which says why and where it is covered. A new README command that is neither fails.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readmeCommands, readmeWorkspace } from '../support/readme.js'

t.setTimeout(600_000)

/** Commands not run by this test: a pattern, and why (and what covers it instead). */
const NOT_RUN_HERE: ReadonlyArray<readonly [RegExp, string]> = [
  [/^npm (ci|test|run|pack|install)\b/, 'npm itself: .ci/run runs npm ci, npm test and npm run test:e2e; test/cli/package.test.ts packs and installs'],
  [/^curl /, 'needs npm start serving on 8443: test/cli/cli.test.ts calls a running serve over HTTPS'],
  [/^ephemeral-guard serve /, 'runs until stopped: test/cli/serve.test.ts and test/e2e start it'],
  [/^docker (build|push) /, 'no container engine here: test/manifests/dockerfile.test.ts checks the Dockerfile'],
  [/^kubectl /, 'needs a cluster: test/e2e/readme.test.ts runs them as written against the harness (its own short list: what needs nodes); those of Install with Helm, test/e2e/helm.test.ts'],
  [/^ephemeral-guard audit /, 'needs a cluster: test/e2e/readme.test.ts runs them as written against the harness'],
  [/^helm /, 'needs helm and a cluster: test/e2e/helm.test.ts runs the commands of Install with Helm as written'],
  [/^(cp|cat) certs\//, 'file handling between helm upgrades: test/e2e/helm.test.ts runs them with the CA replacement'],
]

/** The workspace, and a clean environment (no tap loader through NODE_OPTIONS), as an admin's shell. */
function workspace(): { dir: string; env: NodeJS.ProcessEnv } {
  const { dir, bin } = readmeWorkspace()
  return { dir, env: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, HOME: dir } }
}

t.test('every README command is run here or listed as not runnable here, with the reason', async (t) => {
  const commands = readmeCommands()
  t.ok(commands.length > 30, `${commands.length} commands found`)
  const { dir, env } = workspace()
  for (const command of commands) {
    const tagged = NOT_RUN_HERE.filter(([re]) => re.test(command))
    if (tagged.length > 0) {
      t.equal(tagged.length, 1, `${command}: one reason (${tagged[0]![1]})`)
      continue
    }
    t.match(command, /^(ephemeral-guard |source <\(ephemeral-guard )/, `${command}: run here, so it must be an ephemeral-guard command`)
    const r = spawnSync('bash', ['-c', command], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 })
    // Exit 0 or 1 is each command's answer; 2 would be a usage error: the README wrong as written.
    t.ok(r.status === 0 || r.status === 1, `${command}: exit ${r.status}`, { stderr: r.stderr })
    t.notMatch(r.stderr, /--help for usage|unknown option|not a usable/, `${command}: as written`)
  }
  // Each reason is used, so the list stays short and true.
  for (const [re, why] of NOT_RUN_HERE) t.ok(commands.some((c) => re.test(c)), `the tag ${re} (${why}) matches a README command`)
})
