import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { assertRegistry, kubernetesChecks } from '../../src/checks/index.js'
import { defaultPolicy } from '../../src/policy/default.js'
import * as errors from '../../src/errors.js'
import { ERROR_CLASSES } from '../../src/errors.js'
import { fileSchemaCheck } from '../../src/checks/schema-check.js'
import { containerCases } from '../support/cases.js'

// Files the checks share, which are no checks themselves.
const HELPERS = ['container-check.ts', 'go-diff.ts']

const CHECK_FILES = readdirSync(new URL('../../src/checks/', import.meta.url))
  .filter((f) => f.endsWith('.ts') && !['index.ts', 'types.ts', 'schema-check.ts', ...HELPERS].includes(f))
  .map((f) => f.replace(/\.ts$/, ''))

t.test('every check file is registered, under its file name', async (t) => {
  const ids = new Set(kubernetesChecks.map((c) => c.id))
  for (const file of CHECK_FILES) t.ok(ids.has(file), `${file} is in the registry`)
})

t.test('every check and rule has an allowing and a denying case', async (t) => {
  const rules = new Set(['profiles', ...defaultPolicy.checks.map((c) => c.id)])
  // Pod-level checks are exercised by handler.test.ts, not by the container table. host-users and
  // pod-os need pod settings the table does not vary (hostUsers, spec.os): test/checks/pod-level.test.ts.
  // no-ptrace-to-node judges a container in its pod (hostPID, the target's securityContext):
  // test/checks/policy/targets.test.ts and test/e2e/profiles.test.ts.
  for (const podLevel of ['static-pod', 'existing-unchanged', 'host-users', 'pod-os', 'no-ptrace-to-node']) rules.delete(podLevel)
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

t.test('the error catalogue: unique codes, named after their classes, every class of the project in it', async (t) => {
  const codes = ERROR_CLASSES.map((C) => C.code)
  t.equal(new Set(codes).size, codes.length, 'codes are unique')
  t.equal(new Set(ERROR_CLASSES.map((C) => C.name)).size, codes.length, 'names are unique')
  for (const C of ERROR_CLASSES) {
    t.match(C.name, /^[A-Z][A-Za-z]+Error$/)
    t.equal(C.code, `WH_ERR_${C.name.replace(/Error$/, '').replace(/(?<=[a-z])(?=[A-Z])/g, '_').toUpperCase()}`, C.name)
  }
  const exported = Object.entries(errors).filter(([, v]) => typeof v === 'function' && v.prototype instanceof errors.CodedError && v !== errors.WebhookError)
  t.same(exported.map(([k]) => k).sort(), ERROR_CLASSES.map((C) => C.name).sort(), 'every error class exported is listed')
  const elsewhere = readdirSync(new URL('../../src/', import.meta.url), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && f !== 'errors.ts')
    .filter((f) => /\bclass \w+ extends (\w*Error)\b|\bcreateError\(/.test(readFileSync(new URL(`../../src/${f}`, import.meta.url), 'utf8')))
  t.same(elsewhere, [], 'no error class is declared outside src/errors.ts')
})

t.test('catalogue errors: instanceof, name, code and fields on the instance; cause kept', async (t) => {
  const cause = new Error('below')
  const webhook = [errors.BadReviewError, errors.BadRequestError, errors.UnevaluableObjectError, errors.DeadlineExceededError, errors.InternalError]
  for (const C of webhook) {
    const e = new C('x', { cause })
    t.ok(e instanceof errors.WebhookError && e instanceof errors.CodedError && e instanceof Error)
    t.match(e, { name: C.name, code: C.code, message: 'x', cause })
    t.ok(e.statusCode >= 400 && e.statusCode < 600)
    t.type(e.reason, 'string')
    t.same(Object.keys(e).sort(), ['code', 'name', 'reason', 'statusCode'], 'own and enumerable, as loggers serialize them')
  }
  t.match(new errors.PolicyError('p.yaml', ['a: b']), { name: 'PolicyError', code: 'WH_ERR_POLICY', source: 'p.yaml', problems: ['a: b'], message: 'p.yaml: invalid policy:\n  a: b' })
  t.match(new errors.ClusterError('no', 403), { name: 'ClusterError', code: 'WH_ERR_CLUSTER', status: 403 })
  t.match(new errors.UsageError('bad', 'audit'), { name: 'UsageError', code: 'WH_ERR_USAGE', command: 'audit' })
  t.match(new errors.CertsError('c'), { name: 'CertsError', code: 'WH_ERR_CERTS' })
  const refused = new errors.RefusedContentError('later')
  t.ok(refused instanceof errors.RefusedContentError && !(new errors.TlsMaterialError('x') instanceof errors.RefusedContentError))
  t.match(refused, { name: 'RefusedContentError', code: 'WH_ERR_REFUSED_CONTENT' })
  t.notOk(new errors.PolicyError('p', []) instanceof errors.WebhookError, 'only webhook errors end an admission request')
})
