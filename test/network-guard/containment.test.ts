// The e2e suite's containment, checked statically and without dialing anything off loopback:
// every e2e file uses the network guard, the harness resolves Services through EndpointSlices, the
// scripts run the suite and the benchmark inside scripts/loopback.sh, and that script gives a
// namespace with nothing but lo (looked at from inside, never tested by a connect).
import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const E2E = join(ROOT, 'test/e2e')
const LOOPBACK = join(ROOT, 'scripts/loopback.sh')
const files = readdirSync(E2E).filter((f) => f.endsWith('.test.ts')).sort()

t.test('every e2e test file calls guardNetwork(t) at the top level, before its environment starts', async (t) => {
  t.ok(files.length >= 8, `found ${files.length} e2e test files`)
  for (const f of files) {
    const text = readFileSync(join(E2E, f), 'utf8')
    t.match(text, /^import \{ guardNetwork \} from '\.\/support\/network-guard\.js'$/m, `${f} imports the guard`)
    const call = text.search(/^guardNetwork\(t\)$/m)
    t.ok(call > 0, `${f} calls guardNetwork(t) at the top level`)
    const env = text.search(/\b(fileEnvironment|fileCluster|setup|startCluster|startWebhookServer|startService)\(/)
    t.ok(env < 0 || env > call, `${f}: before any environment (its teardown then runs last, after the servers stopped)`)
  }
})

t.test('the shared helpers track what they start and check before they stop', async (t) => {
  const support = (f: string): string => readFileSync(join(E2E, 'support', f), 'utf8')
  t.match(support('process.ts'), /trackProcess\(pid, /, 'startService tracks every server')
  t.match(support('cluster.ts'), /if \(activeGuard\(\) === undefined\) throw/, 'startCluster refuses without a guard')
  t.match(support('cluster.ts'), /trackCluster\(cluster\)/, 'every cluster gets the Services check')
  t.equal(support('setup.ts').match(/await networkCheckpoint\(\)/g)?.length, 2, 'both file environments look once more before stopping')
})

t.test('the harness resolves webhook Services through EndpointSlices, never a ClusterIP', async (t) => {
  const main = readFileSync(join(E2E, 'harness/cmd/harness/main.go'), 'utf8')
  t.match(main, /^\t\t"--enable-aggregator-routing=true",$/m)
  t.match(main, /^\t\t"--bind-address=127\.0\.0\.1",$/m)
})

t.test('npm run test:e2e, npm run bench and .ci/run: build outside, run inside scripts/loopback.sh', async (t) => {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
  // Both builds (the harness and helm) need the Go module proxy: they run before the namespace.
  t.match(scripts['test:e2e'], /^npm run build && bash test\/e2e\/build\.sh && bash test\/e2e\/build-helm\.sh >\/dev\/null && bash test\/e2e\/policyreport-crds\.sh >\/dev\/null && cd test\/e2e && bash \.\.\/\.\.\/scripts\/loopback\.sh tap /)
  t.match(scripts['bench'], /^npm run build && bash scripts\/loopback\.sh node bench\/run\.mjs$/)
  t.match(readFileSync(join(ROOT, '.ci/run'), 'utf8'), /^ {2}step e2e npm run test:e2e \|\| status=1$/m)
})

t.test('scripts/loopback.sh: nothing but lo inside, loopback works; refusals are loud', async (t) => {
  const inside = (script: string): string => execFileSync('bash', [LOOPBACK, 'sh', '-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  t.same(inside("awk -F: 'NR > 2 { gsub(/ /, \"\", $1); print $1 }' /proc/net/dev").trim().split('\n'), ['lo'], 'only lo')
  t.equal(inside('sed 1d /proc/net/route'), '', 'no IPv4 route')
  t.match(inside('ip -o link show dev lo'), /[<,]UP[,>]/, 'lo is up')
  const echo = inside(`${JSON.stringify(process.execPath)} -e "const n=require('net');const s=n.createServer(c=>c.end('pong')).listen(0,'127.0.0.1',()=>{n.connect(s.address().port,'127.0.0.1').on('data',d=>{console.log(String(d));process.exit(0)})})"`)
  t.equal(echo.trim(), 'pong', 'a loopback connection works')
  t.equal(inside('echo "$0 $1"; exit 0'), 'sh \n', 'arguments pass through')
  t.equal(spawnSync('bash', [LOOPBACK, 'sh', '-c', 'exit 7']).status, 7, "the command's exit code")

  const usage = spawnSync('bash', [LOOPBACK], { encoding: 'utf8' })
  t.equal(usage.status, 2)
  t.match(usage.stderr, /^usage: bash scripts\/loopback\.sh CMD \[ARGS\.\.\.\]/)
  // The inside half, run outside: this machine has other interfaces, so it must refuse, not run.
  const outside = spawnSync('bash', [LOOPBACK, '--in-namespace', 'echo', 'ran'], { encoding: 'utf8' })
  if (readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2).some((l) => l.includes(':') && l.split(':')[0]!.trim() !== 'lo')) {
    t.equal(outside.status, 125, 'refused')
    t.equal(outside.stdout, '', 'the command did not run')
    t.match(outside.stderr, /^loopback\.sh: refusing to run 'echo ran': interfaces other than lo exist in the namespace/)
  } else {
    t.comment('this test process is itself in a loopback-only namespace; the refusal outside is not observable here')
  }
})
