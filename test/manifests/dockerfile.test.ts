// The Dockerfile, read statically: there is no container engine where the tests run, so these checks
// are what stands between a change and an image that cannot start under the Deployment's
// securityContext (non-root, read-only root filesystem).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { baseObjects, REPO_ROOT } from './load.js'

interface Instruction { readonly op: string; readonly args: string }
interface Stage { readonly from: string; readonly name: string | undefined; readonly instructions: Instruction[] }

/** Instructions with line continuations joined and comments dropped, grouped by FROM. */
function stages(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  const out: Stage[] = []
  for (const line of lines) {
    const [op = '', ...rest] = line.split(/\s+/)
    const args = rest.join(' ')
    if (op.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)
      if (!m) throw new Error(`cannot read FROM ${args}`)
      out.push({ from: m[1]!, name: m[2], instructions: [] })
    } else {
      const stage = out.at(-1)
      if (!stage) throw new Error(`${op} before FROM`)
      stage.instructions.push({ op: op.toUpperCase(), args })
    }
  }
  return out
}

const dockerfile = stages(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'))
const runtime = dockerfile.at(-1)!
const ops = (stage: Stage, op: string): string[] => stage.instructions.filter((i) => i.op === op).map((i) => i.args)
/** COPY sources and destination; `from` is the --from stage, undefined for the build context. */
const copies = (stage: Stage) => ops(stage, 'COPY').map((args) => {
  const words = args.split(/\s+/)
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length)
  const paths = words.filter((w) => !w.startsWith('--'))
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! }
})

t.test('multi-stage: Node 20 build with dev dependencies, then production dependencies only', async (t) => {
  t.ok(dockerfile.length >= 2, 'more than one stage')
  for (const s of dockerfile.slice(0, -1)) t.match(s.from, /^node:20[.-]/, `build stage ${s.name} on Node 20`)
  const build = dockerfile.find((s) => ops(s, 'RUN').some((r) => /\bnpm run build\b/.test(r)))
  t.ok(build, 'a stage compiles')
  t.ok(ops(build!, 'RUN').some((r) => /\bnpm ci\b/.test(r) && !/--omit=dev/.test(r)), 'with all dependencies (TypeScript is a dev dependency)')
  const nodeModules = copies(runtime).filter((c) => c.sources.some((s) => s.includes('node_modules')))
  t.equal(nodeModules.length, 1, 'node_modules comes from one stage')
  const deps = dockerfile.find((s) => s.name === nodeModules[0]!.from)
  t.ok(deps, 'from a named stage')
  t.ok(ops(deps!, 'RUN').some((r) => /\bnpm ci\b.*--omit=dev/.test(r)), 'that installs with npm ci --omit=dev')
  t.notOk(ops(deps!, 'RUN').some((r) => /\bnpm (install|i)\b/.test(r)), 'from the lock file only')
  const engines = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node
  t.match(engines, /^\^20\.19\.0 \|\| /, 'package.json engines agree with Node 20 (node:20 is the latest 20.x)')
})

t.test('runtime: distroless Node 20 nonroot, no shell commands, entrypoint serve', async (t) => {
  t.equal(runtime.from, 'gcr.io/distroless/nodejs20-debian12:nonroot')
  t.same(ops(runtime, 'RUN'), [], 'no RUN: distroless has no shell')
  t.same(ops(runtime, 'WORKDIR'), ['/app'])
  t.same(JSON.parse(ops(runtime, 'ENTRYPOINT')[0]!), ['/nodejs/bin/node', '/app/dist/main.js', 'serve'], 'exec form: node is PID 1 and gets SIGTERM')
  t.same(ops(runtime, 'CMD'), [], 'the Deployment passes serve flags as args')
  t.same(ops(runtime, 'VOLUME'), [], 'no volume: nothing is written at run time')
  const user = ops(runtime, 'USER')
  t.same(user, ['65532:65532'], 'numeric non-root user (runAsNonRoot can verify it)')
  const pod = (baseObjects().find((o) => o.kind === 'Deployment')!['spec'] as { template: { spec: { securityContext: { runAsUser: number; runAsGroup: number } } } }).template.spec
  t.equal(`${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`, user[0], 'the Deployment runs as the same user')
  t.same(ops(runtime, 'EXPOSE'), ['8443 9090'], 'the webhook and metrics ports of the Deployment')
})

t.test('runtime: everything the package needs at run time is copied, nothing else', async (t) => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { files: string[] }
  const copied = copies(runtime).flatMap((c) => c.sources.map((s) => s.replace(/^\/app\//, '').replace(/\/$/, '')))
  // Documentation, and the webhook configuration doctor compares with (doctor runs on an admin's machine), stay out.
  const notAtRunTime = ['README.md', 'CHANGELOG.md', 'LICENSE', 'manifests/base/webhooks.yaml']
  for (const f of [...pkg.files.filter((f) => !notAtRunTime.includes(f)), 'package.json', 'node_modules']) t.ok(copied.includes(f), `${f} is in the image`)
  t.same(copied.filter((f) => !['dist', 'schemas', 'policies', 'package.json', 'node_modules'].includes(f)), [], 'no source, tests or keys')
  const dist = copies(runtime).find((c) => c.sources.includes('/app/dist'))
  t.ok(dist?.from !== undefined && dockerfile.some((s) => s.name === dist.from && ops(s, 'RUN').some((r) => /npm run build/.test(r))), 'dist comes from the compiling stage')
})

t.test('.dockerignore lets in only what the Dockerfile copies from the context', async (t) => {
  const rules = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  t.equal(rules[0], '*', 'everything is excluded first')
  // Later rules win; each re-inclusion names a top-level file or directory.
  const included = (path: string): boolean => {
    const top = path.split('/')[0]!
    let result = false
    for (const rule of rules) {
      if (rule === '*') result = false
      else if (rule.startsWith('!') && rule.slice(1).replace(/\/$/, '') === top) result = true
      else if (!rule.startsWith('!')) throw new Error(`unexpected .dockerignore rule ${rule}: extend this test`)
    }
    return result
  }
  const fromContext = dockerfile.flatMap((s) => copies(s).filter((c) => c.from === undefined).flatMap((c) => c.sources))
  for (const source of fromContext) t.ok(included(source), `${source} reaches the build`)
  for (const secret of ['certs/tls.key', 'node_modules/x', 'dist/main.js', '.git/config', 'test/x.ts', 'manifests/overlays/self-managed/certs/ca.key', '.env']) t.notOk(included(secret), `${secret} stays out`)
})
