// Part of `npm run build`, after tsc: compiles every schemas/**/*.schema.json to Ajv's standalone code
// in dist/compiled-schemas/ (src/schemas.ts), so that starting a command compiles no schema of
// ephemeral-guard's own. Each module carries the hash of the text it was made from; a module whose
// schema changed since is ignored and the schema compiled at start instead.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { SCHEMAS_DIR } from '../dist/paths.js'
import { COMPILED_SCHEMAS_DIR, compiledSchemaModule } from '../dist/schemas.js'

const schemaFiles = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? schemaFiles(join(dir, e.name)) : e.name.endsWith('.schema.json') ? [join(dir, e.name)] : [])

for (const file of schemaFiles(SCHEMAS_DIR)) {
  const relativePath = relative(SCHEMAS_DIR, file)
  const out = join(COMPILED_SCHEMAS_DIR, relativePath.replace(/\.json$/, '.cjs'))
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, compiledSchemaModule(relativePath))
}
