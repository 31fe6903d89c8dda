// The package as a new admin gets it: the engines every dependency asks for hold on the Node versions
// package.json claims (npm ci then prints no EBADENGINE), `npm start` listens on loopback only, and
// the packed tarball installs with `npm install -g` into an empty prefix, offline, and its two bins
// (ephemeral-guard and the kubectl plugin kubectl-ephemeral_guard) work from outside the clone.
import t, { type Test } from 'tap'
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { createRequire } from 'node:module'
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { COMMANDS } from '../../src/cli/commands.js'

// npm pack and two offline npm installs on a loaded machine.
t.setTimeout(600_000)

const ROOT = new URL('../..', import.meta.url).pathname
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string }; bin: Record<string, string>; files: string[]; scripts: Record<string, string>; version: string
  dependencies: Record<string, string>; overrides: Record<string, string>
}
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; engines?: { node?: string } | string[] }> }
// semver is what npm-install-checks uses for EBADENGINE (a dependency of fastify, so always installed).
const semver = createRequire(import.meta.url)('semver') as {
  subset(sub: string, dom: string, o?: object): boolean
  satisfies(v: string, range: string, o?: object): boolean
}

t.test('every engines.node in the lock holds on every Node version package.json claims', async (t) => {
  const offenders = Object.entries(lock.packages)
    .filter(([, p]) => typeof (p.engines as { node?: string } | undefined)?.node === 'string')
    .filter(([, p]) => !semver.subset(pkg.engines.node, (p.engines as { node: string }).node, { includePrerelease: true }))
    .map(([name, p]) => `${name}@${p.version}: ${(p.engines as { node: string }).node}`)
  t.same(offenders, [], `engines.node ${pkg.engines.node}`)
  t.ok(semver.satisfies('20.19.0', pkg.engines.node), 'Node 20 is supported (README, Dockerfile)')
  t.ok(semver.satisfies(process.version, pkg.engines.node, { includePrerelease: true }), `this Node (${process.version}) is one of them`)
  // The one dependency that asked for Node 22: cookie@2 through fastify → light-my-request@6.8.
  t.equal(pkg.overrides['light-my-request'], pkg.dependencies['light-my-request'], 'light-my-request pinned for fastify too')
  const lmr = Object.entries(lock.packages).filter(([name]) => name.endsWith('node_modules/light-my-request'))
  t.ok(lmr.length > 0 && lmr.every(([, p]) => p.version === pkg.dependencies['light-my-request']), 'every light-my-request in the lock is the pinned one')
})

t.test('npm start listens on loopback only; serve keeps its own defaults', async (t) => {
  t.match(pkg.scripts.start, /serve --dev-certs certs\b/)
  t.match(pkg.scripts.start, / --host 127\.0\.0\.1\b/)
  t.match(pkg.scripts.start, / --metrics-host 127\.0\.0\.1\b/)
  const serve = COMMANDS.find((c) => c.name === 'serve')!
  t.equal(serve.options.host!.default, '0.0.0.0', 'the Deployment relies on serve listening on every address')
  t.equal(serve.options['metrics-host']!.default, '0.0.0.0')
})

const npm = (args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> =>
  spawnSync('npm', [...args], { cwd, encoding: 'utf8', timeout: 300_000, env: { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } })

t.test('npm pack, then npm install -g from the tarball and from the repository, offline', async (t) => {
  t.ok(existsSync(join(ROOT, 'dist', 'main.js')), 'dist is built (npm test builds first)')
  const tmp = mkdtempSync(join(tmpdir(), 'eg-pack-'))
  const packed = npm(['pack', '--json', '--pack-destination', tmp], ROOT)
  t.equal(packed.status, 0, packed.stderr)
  const files = (JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }])[0]
  const paths = files.files.map((f) => f.path)
  for (const needed of ['dist/main.js', 'package.json', 'schemas/policy.schema.json', 'schemas/kubernetes/ephemeral-container.schema.json', 'policies/default.yaml', 'manifests/base/webhooks.yaml', 'LICENSE', 'CHANGELOG.md', 'README.md']) {
    t.ok(paths.includes(needed), `the tarball holds ${needed}`)
  }
  t.notOk(paths.some((p) => p.startsWith('src/') || p.startsWith('test/') || p.startsWith('certs/')), 'no sources, tests or keys')

  const outside = mkdtempSync(join(tmpdir(), 'eg-outside-'))
  const check = (t: Test, prefix: string): void => {
    const bin = join(prefix, 'bin')
    t.same(readdirSync(bin).sort(), Object.keys(pkg.bin).sort(), 'both bins')
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` }
    const run = (cmd: string, args: readonly string[]): SpawnSyncReturns<string> => spawnSync(cmd, [...args], { cwd: outside, encoding: 'utf8', timeout: 120_000, env })
    const version = run('ephemeral-guard', ['--version'])
    t.equal(version.stdout.trim(), pkg.version, 'ephemeral-guard --version, from outside the clone')
    const installed = realpathSync(join(prefix, 'lib', 'node_modules', 'ephemeral-guard'))
    const checked = run('ephemeral-guard', ['policy', 'check', join(installed, 'policies', 'examples', 'production.yaml')])
    t.equal(checked.status, 0, checked.stderr)
    t.match(checked.stdout, /is valid/)
    const review = run('kubectl-ephemeral_guard', ['review', '-'])
    t.equal(review.status, 2, 'the plugin bin is the same program')
    const help = run('kubectl-ephemeral_guard', ['audit', '--help'])
    t.equal(help.status, 0)
    t.match(help.stdout, /--all-namespaces/)
    const completion = run('ephemeral-guard', ['completion', 'bash'])
    t.equal(completion.status, 0)
    t.match(completion.stdout, /_ephemeral_guard/)
  }

  t.test('from the tarball', async (t) => {
    const prefix = join(tmp, 'prefix-tarball')
    const installed = npm(['install', '-g', '--offline', '--prefix', prefix, join(tmp, files.filename)], outside)
    t.equal(installed.status, 0, installed.stderr)
    t.notMatch(installed.stderr, /EBADENGINE/, 'no engine warning')
    t.notMatch(installed.stderr, /npm warn/, 'no warning at all (no install script asks to be allowed)')
    t.ok(existsSync(join(prefix, 'lib', 'node_modules', 'ephemeral-guard', 'node_modules', 'fastify')), 'runtime dependencies installed')
    t.notOk(existsSync(join(prefix, 'lib', 'node_modules', 'ephemeral-guard', 'node_modules', 'typescript')), 'dev dependencies not')
    check(t, prefix)
  })

  t.test('from the repository (a link to the built clone)', async (t) => {
    const prefix = join(tmp, 'prefix-repo')
    const installed = npm(['install', '-g', '--offline', '--prefix', prefix, ROOT], outside)
    t.equal(installed.status, 0, installed.stderr)
    t.notMatch(installed.stderr, /EBADENGINE/)
    check(t, prefix)
  })
})
