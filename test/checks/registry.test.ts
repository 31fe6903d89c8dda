import t from 'tap'
import { readdirSync } from 'node:fs'
import { assertRegistry, kubernetesChecks } from '../../src/checks/index.js'
import { defaultPolicy } from '../../src/policy/default.js'
import { ERROR_CLASSES } from '../../src/errors.js'
import { fileSchemaCheck } from '../../src/checks/schema-check.js'
import { containerCases } from '../support/cases.js'

const CHECK_FILES = readdirSync(new URL('../../src/checks/', import.meta.url))
  .filter((f) => f.endsWith('.ts') && !['index.ts', 'types.ts', 'schema-check.ts'].includes(f))
  .map((f) => f.replace(/\.ts$/, ''))

t.test('every check file is registered, under its file name', async (t) => {
  const ids = new Set(kubernetesChecks.map((c) => c.id))
  for (const file of CHECK_FILES) t.ok(ids.has(file), `${file} is in the registry`)
})

t.test('every check and rule has an allowing and a denying case', async (t) => {
  const rules = new Set(['profiles', ...defaultPolicy.checks.map((c) => c.id)])
  // Pod-level checks are exercised by handler.test.ts, not by the container table.
  for (const podLevel of ['static-pod', 'existing-unchanged']) rules.delete(podLevel)
  for (const rule of rules) {
    const cases = containerCases.filter((c) => c.about === rule)
    t.ok(cases.some((c) => c.kubernetes.length === 0 && c.policy.length === 0), `${rule}: an allowed case`)
    if (rule !== 'profiles') t.ok(cases.some((c) => c.kubernetes.length > 0 || c.policy.length > 0), `${rule}: a denied case`)
  }
  for (const c of containerCases) t.ok(rules.has(c.about), `${c.name}: about a known rule (${c.about})`)
})

t.test('the registry refuses duplicate or malformed ids', async (t) => {
  const check = kubernetesChecks[0]!
  t.throws(() => assertRegistry([check, check]), /registered twice/)
  t.throws(() => assertRegistry([{ ...check, id: 'Not_A_Label' }]), /is not a DNS-1123 label/)
})

t.test('a schema annotation with an unknown error type fails at start', async (t) => {
  t.throws(() => fileSchemaCheck('x', 'policy', '../test/fixtures/schemas/bad-annotation.schema.json'), /is not a field error type/)
})

t.test('the error catalogue: unique codes, named after their classes', async (t) => {
  const codes = ERROR_CLASSES.map((C) => new C('x').code)
  t.equal(new Set(codes).size, codes.length)
  for (const C of ERROR_CLASSES) {
    const e = new C('x')
    t.equal(e.name, C.name)
    t.match(e.code, /^WH_ERR_[A-Z_]+$/)
    t.ok(e.statusCode >= 400 && e.statusCode < 600)
  }
})
