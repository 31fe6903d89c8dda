// The package root is found from src/ (tests) as from dist/ (the bin): one level up.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_ROOT, packageVersion, SCHEMAS_DIR } from '../src/paths.js'

t.test('paths and version come from the package root', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string }
  t.equal(pkg.name, 'ephemeral-guard')
  t.equal(packageVersion(), pkg.version, 'the version in package.json')
  t.ok(existsSync(join(PACKAGE_ROOT, 'package.json')), 'PACKAGE_ROOT holds package.json')
  t.ok(existsSync(join(SCHEMAS_DIR, 'policy.schema.json')), 'SCHEMAS_DIR holds the schemas')
})
