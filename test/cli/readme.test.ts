// README's shell commands, as written. Every command line of every ```sh block is either run here
// (the ephemeral-guard commands that need no cluster, in a directory with the README's placeholder
// files, through bash so redirections and `source <(...)` work as typed) or matches one entry of
// NOT_RUN_HERE, which says why and where it is covered. A new README command that is neither fails.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

t.setTimeout(600_000)

const ROOT = new URL('../..', import.meta.url).pathname
const MAIN = join(ROOT, 'dist', 'main.js')

/** Commands not run by this test: a pattern, and why (and what covers it instead). */
const NOT_RUN_HERE: ReadonlyArray<readonly [RegExp, string]> = [
  [/^npm (ci|test|run|pack|install)\b/, 'npm itself: .ci/run runs npm ci, npm test and npm run test:e2e; test/cli/package.test.ts packs and installs'],
  [/^curl /, 'needs npm start serving on 8443: test/cli/cli.test.ts calls a running serve over HTTPS'],
  [/^ephemeral-guard serve /, 'runs until stopped: test/cli/serve.test.ts and test/e2e start it'],
  [/^docker (build|push) /, 'no container engine here: test/manifests/dockerfile.test.ts checks the Dockerfile'],
  [/^kubectl /, 'needs a cluster: test/e2e (manifests.test.ts applies the overlays; adoption.test.ts runs kubectl ephemeral-guard)'],
  [/^ephemeral-guard audit /, 'needs a cluster: test/e2e/audit.test.ts and adoption.test.ts'],
  [/^helm /, 'needs helm and a cluster: test/e2e/helm.test.ts runs the commands of Install with Helm as written'],
  [/^(cp|cat) certs\//, 'file handling between helm upgrades: test/e2e/helm.test.ts runs them with the CA replacement'],
]

/** The command lines of README's sh blocks: continuation lines joined, comments and blank lines dropped. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const out: string[] = []
  for (const [, block] of readme.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) {
    let current = ''
    for (const line of block!.split('\n')) {
      if (line.endsWith('\\')) { current += `${line.slice(0, -1)} `; continue }
      current += line
      const command = current.trim()
      current = ''
      if (command !== '' && !command.startsWith('#')) out.push(command)
    }
  }
  return out
}

/** A directory with README's placeholder files, the repository's example files, and `ephemeral-guard` on PATH. */
function workspace(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'eg-readme-'))
  for (const sub of ['test', 'policies']) symlinkSync(join(ROOT, sub), join(dir, sub))
  copyFileSync(join(ROOT, 'policies', 'examples', 'production.yaml'), join(dir, 'my-policy.yaml'))
  copyFileSync(join(ROOT, 'policies', 'examples', 'production.yaml'), join(dir, 'candidate.yaml'))
  copyFileSync(join(ROOT, 'test', 'fixtures', 'admission-review', 'debug-general.json'), join(dir, 'review.json'))
  copyFileSync(join(ROOT, 'policies', 'tests', 'pod.yaml'), join(dir, 'pod.yaml'))
  writeFileSync(join(dir, 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n')
  const bin = join(dir, '.bin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'ephemeral-guard'), `#!/bin/sh\nexec "${process.execPath}" "${MAIN}" "$@"\n`)
  chmodSync(join(bin, 'ephemeral-guard'), 0o755)
  // A clean environment (no tap loader through NODE_OPTIONS), as an admin's shell.
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
