// `npm run generate:crds`: writes the CustomResourceDefinitions of the two policy kinds, translated from
// schemas/policy.schema.json, and of the two grant kinds, translated from schemas/grant.schema.json
// (src/policy/crd-schema.ts), to manifests/base/crds/ and to the Helm chart's crds/ (identical copies).
// test/policy/crd-schema.test.ts fails when a committed file is stale.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_ROOT, SCHEMAS_DIR } from '../dist/paths.js'
import { grantCrdFiles, policyCrdFiles } from '../dist/policy/crd-schema.js'

const schema = (file) => JSON.parse(readFileSync(join(SCHEMAS_DIR, file), 'utf8'))
const files = [...policyCrdFiles(schema('policy.schema.json')), ...grantCrdFiles(schema('grant.schema.json'))]
for (const dir of ['manifests/base/crds', 'charts/ephemeral-guard/crds']) {
  mkdirSync(join(PACKAGE_ROOT, dir), { recursive: true })
  for (const { file, text } of files) {
    writeFileSync(join(PACKAGE_ROOT, dir, file), text)
    console.log(`wrote ${dir}/${file}`)
  }
}
