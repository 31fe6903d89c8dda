// ephemeral-guard's own schemas: compiled at build time to Ajv's standalone code, used only when made
// from the very text of the schema file, and then validating exactly as a compile at start does.
import t, { type Test } from 'tap'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { PACKAGE_ROOT } from '../src/paths.js'
import { compiledSchemaModule, loadSchema } from '../src/schemas.js'
import { admissionReview, debugContainer, profileContainer } from './support/reviews.js'

const SCHEMA_FILES = ['admission-review.schema.json', 'policy.schema.json', 'kubernetes/ephemeral-container.schema.json']

function writeCompiled(dir: string, relativePath: string, text: string): void {
  const file = join(dir, relativePath.replace(/\.json$/, '.cjs'))
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, text)
}

/** A folder inside the package, so the compiled code finds ajv's runtime in node_modules as dist's does. */
function compiledDir(t: Test): string {
  mkdirSync(join(PACKAGE_ROOT, 'node_modules', '.cache'), { recursive: true })
  const dir = mkdtempSync(join(PACKAGE_ROOT, 'node_modules', '.cache', 'eg-schemas-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const compiledFrom = (validate: unknown): unknown => (validate as { sourceHash?: unknown }).sourceHash

t.test('a validator compiled at build time is used, and answers as one compiled at start', async (t) => {
  const dir = compiledDir(t)
  for (const f of SCHEMA_FILES) writeCompiled(dir, f, compiledSchemaModule(f))
  const review = admissionReview({ added: [profileContainer('sysadmin')] })
  const broken = { ...review, request: { ...review.request, uid: 5, operation: 'TOUCH' } }
  const container = { ...debugContainer(), name: 'Bad_Name', stdin: 'yes', unknownField: 1 }
  const samples: Record<string, unknown[]> = {
    'admission-review.schema.json': [review, broken, null, []],
    'policy.schema.json': [{ apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'EphemeralContainerPolicy', metadata: { name: 'p' }, spec: { rules: [{ name: 'r', images: {} }] } }, { kind: 'x', spec: { rules: [{ imagez: 1 }] } },
      // The second kind, chosen by the top-level if: its own schema, the rule definition shared.
      { apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'DebugPolicy', metadata: { name: 'p', namespace: 'n' }, spec: { rules: [{ name: 'r', match: { users: ['u'] } }] } },
      { apiVersion: 'ephemeral-guard.dev/v1alpha1', kind: 'DebugPolicy', metadata: { name: 'p' }, spec: { exemptions: {}, rules: [{ name: 'r', match: { namespaces: ['n'] } }] } }],
    'kubernetes/ephemeral-container.schema.json': [debugContainer(), container, 'text'],
  }
  for (const f of SCHEMA_FILES) {
    const built = loadSchema(f, dir)
    const atStart = loadSchema(f, join(dir, 'none'))
    t.type(compiledFrom(built.validate), 'string', `${f}: the compiled validator`)
    t.equal(compiledFrom(atStart.validate), undefined, `${f}: without one, compiled at start`)
    t.same(built.schema, atStart.schema)
    for (const [i, sample] of samples[f]!.entries()) {
      t.equal(built.validate(sample), atStart.validate(sample), `${f} sample ${i}: same verdict`)
      t.same(built.validate.errors ?? null, atStart.validate.errors ?? null, `${f} sample ${i}: same errors`)
    }
    t.ok((samples[f] ?? []).some((s) => !atStart.validate(s)), `${f}: a sample fails`)
  }
})

t.test('a validator compiled from other text (the schema changed since the build) is not used', async (t) => {
  const dir = compiledDir(t)
  const f = 'admission-review.schema.json'
  writeCompiled(dir, f, compiledSchemaModule(f).replace(/sourceHash = "[0-9a-f]+"/, 'sourceHash = "0000"'))
  t.equal(compiledFrom(loadSchema(f, dir).validate), undefined, 'compiled at start instead')
})

t.test('npm run build wrote a validator for every schema file, from its current text', async (t) => {
  // The build (npm test runs it first) writes dist/compiled-schemas; the module names its source.
  for (const f of SCHEMA_FILES) {
    const text = readFileSync(new URL(`../dist/compiled-schemas/${f.replace(/\.json$/, '.cjs')}`, import.meta.url), 'utf8')
    t.match(text, `// Compiled from schemas/${f} by npm run build`)
    t.type(compiledFrom(loadSchema(f).validate), 'string', `${f}: used`)
  }
})
