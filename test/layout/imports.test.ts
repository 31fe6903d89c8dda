// The dependency rule of src/ (README "Layout"): a unit (a folder, or a file directly under src/) may
// import only from units on a lower floor. Read from the import statements of every source file; a
// unit that is in no floor fails too, so a new folder has to be placed.
import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, normalize, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const SRC = fileURLToPath(new URL('../../src/', import.meta.url))

/** Lowest first. Units on one floor do not import each other. */
export const FLOORS: readonly (readonly string[])[] = [
  ['errors'], // the error catalogue: every unit may throw its errors
  ['kube', 'image', 'duration', 'time', 'paths', 'log', 're2', 'certs', 'glob', 'content-poller'], // wire types and leaf utilities; the file poller
  ['schemas'], // Ajv with ephemeral-guard's keywords
  ['decision'], // the pure core: vocabulary, views, violations, verdicts, validate and mutate
  ['checks', 'admission', 'cluster'], // rules of the core; the AdmissionReview envelope; cluster access
  ['grants'], // debug grants: state, coverage and the grant webhook's decisions; below policy, whose grants rule will use them
  ['policy'], // policy documents compiled into the core
  ['server', 'audit', 'doctor', 'verify'], // HTTP, the two cluster commands, and policy tests from YAML
  ['controller'], // the Lease holder's writer: policy status and PolicyReports (composes audit)
  ['cli'],
  ['main'],
]

/** `src/decision/mutation/steps.ts` → `decision`; `src/errors.ts` → `errors`. */
export const unitOf = (fileInSrc: string): string => fileInSrc.split(sep)[0]!.replace(/\.[jt]s$/, '')

export interface Edge { readonly from: string; readonly to: string; readonly file: string; readonly spec: string }

/** Every relative import of the .ts files under `dir` as unit-to-unit edges (same-unit imports left out). */
export function edges(dir: string): Edge[] {
  const out: Edge[] = []
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8')
        for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
          const target = relative(dir, normalize(join(dirname(path), m[1]!)))
          const from = unitOf(relative(dir, path))
          const to = unitOf(target)
          if (from !== to) out.push({ from, to, file: relative(dir, path), spec: m[1]! })
        }
      }
    }
  }
  walk(dir)
  return out
}

/** The edges that break the rule, each with why. */
export function problems(all: readonly Edge[], floors: readonly (readonly string[])[]): string[] {
  const floorOf = new Map<string, number>()
  floors.forEach((units, i) => { for (const u of units) floorOf.set(u, i) })
  const out: string[] = []
  for (const e of all) {
    const a = floorOf.get(e.from)
    const b = floorOf.get(e.to)
    if (a === undefined) out.push(`${e.file}: unit ${e.from} is on no floor`)
    else if (b === undefined) out.push(`${e.file}: imports ${e.spec}, whose unit ${e.to} is on no floor`)
    else if (b >= a) out.push(`${e.file}: imports ${e.spec} (${e.to}, floor ${b}) from floor ${a}: ${b === a ? 'sideways' : 'upward'}`)
  }
  return out
}

t.test('src/ imports only downward', async (t) => {
  const all = edges(SRC)
  t.ok(all.length > 50, `read ${all.length} imports between units`)
  t.same(problems(all, FLOORS), [])
})

t.test('every unit of src/ is on a floor', async (t) => {
  const units = new Set(readdirSync(SRC).map((n) => n.replace(/\.ts$/, '')))
  const placed = new Set(FLOORS.flat())
  for (const u of units) t.ok(placed.has(u), `${u} is on a floor`)
})

t.test('the rule can fail: upward, sideways and unplaced imports are reported', async (t) => {
  const e = (from: string, to: string): Edge => ({ from, to, file: `${from}/x.ts`, spec: `../${to}/y.js` })
  t.same(problems([e('decision', 'policy'), e('checks', 'cluster'), e('newthing', 'kube'), e('kube', 'elsewhere'), e('cli', 'kube')], FLOORS), [
    'decision/x.ts: imports ../policy/y.js (policy, floor 6) from floor 3: upward',
    'checks/x.ts: imports ../cluster/y.js (cluster, floor 4) from floor 4: sideways',
    'newthing/x.ts: unit newthing is on no floor',
    'kube/x.ts: imports ../elsewhere/y.js, whose unit elsewhere is on no floor',
  ])
  t.equal(unitOf(join('decision', 'mutation', 'steps.ts')), 'decision')
  t.equal(unitOf('errors.ts'), 'errors')
})
