// env: rule spec, container, violations (forbidSecretRefs and require are two checks).
import t from 'tap'
import { envRequireCheck, envSecretRefsCheck, type EnvSpec } from '../../../src/checks/policy/env.js'
import { judge, type Row } from '../../support/policy-checks.js'

const SECRET = 'secrets may not be read into debug containers'
const secretRows: Array<[name: string, container: unknown, violations: Row[]]> = [
  ['secretKeyRef', { env: [{ name: 'A', value: 'x' }, { name: 'P', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
    [['.env[1].valueFrom.secretKeyRef', 'Forbidden', SECRET, { name: 's', key: 'k' }]]],
  ['envFrom secretRef', { envFrom: [{ configMapRef: { name: 'c' } }, { secretRef: { name: 's' } }] }, [['.envFrom[1].secretRef', 'Forbidden', SECRET, { name: 's' }]]],
  ['env before envFrom', { envFrom: [{ secretRef: {} }], env: [{ name: 'P', valueFrom: { secretKeyRef: {} } }] },
    [['.env[0].valueFrom.secretKeyRef', 'Forbidden', SECRET, {}], ['.envFrom[0].secretRef', 'Forbidden', SECRET, {}]]],
  ['configMap refs are fine', { env: [{ name: 'C', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }], envFrom: [{ configMapRef: { name: 'c' } }] }, []],
  ['null references and lists are fine', { env: [{ name: 'C', valueFrom: { secretKeyRef: null } }, { name: 'D', valueFrom: null }], envFrom: null }, []],
  ['malformed lists', { env: 'x', envFrom: [3] }, [['.env', 'Invalid', 'must be array,null', 'x'], ['.envFrom[0]', 'Invalid', 'must be object', 3]]],
  ['malformed valueFrom', { env: [{ name: 'A', valueFrom: [] }] }, [['.env[0].valueFrom', 'Invalid', 'must be object,null', []]]],
  ['not an object: nothing to judge here', null, []],
]

t.test('env.forbidSecretRefs', async (t) => {
  const check = envSecretRefsCheck({ forbidSecretRefs: true }, 'r')!
  for (const [name, container, want] of secretRows) t.same(judge(check, container as never), want, name)
  t.equal(envSecretRefsCheck({ forbidSecretRefs: false }, 'r'), undefined, 'false compiles to no check')
  t.equal(envSecretRefsCheck({}, 'r'), undefined)
})

const TICKET: EnvSpec = { require: [{ name: 'DEBUG_TICKET', pattern: '^INC-[0-9]+$' }] }
const requireRows: Array<[name: string, spec: EnvSpec, container: unknown, violations: Row[]]> = [
  ['present and matching', TICKET, { env: [{ name: 'DEBUG_TICKET', value: 'INC-4711' }] }, []],
  ['not matching', TICKET, { env: [{ name: 'DEBUG_TICKET', value: 'none' }] }, [['.env', 'Required', 'must set DEBUG_TICKET matching ^INC-[0-9]+$']]],
  ['no env', { require: [{ name: 'DEBUG_TICKET' }] }, {}, [['.env', 'Required', 'must set DEBUG_TICKET']]],
  ['env no list: every name at once', { require: [{ name: 'A' }, { name: 'B' }] }, { env: null }, [['.env', 'Required', 'must set A, B']]],
  ['not an object: every name at once', { require: [{ name: 'A' }] }, 'x', [['.env', 'Required', 'must set A']]],
  ['a huge value fails the pattern instead of running it', { require: [{ name: 'T', pattern: '^[a-z]*$' }] }, { env: [{ name: 'T', value: 'a'.repeat(5000) }] }, [['.env', 'Required', 'must set T matching ^[a-z]*$']]],
  ['a later duplicate overrides a matching first entry', TICKET, { env: [{ name: 'DEBUG_TICKET', value: 'INC-4711' }, { name: 'DEBUG_TICKET', value: 'none' }] },
    [['.env', 'Required', 'must set DEBUG_TICKET matching ^INC-[0-9]+$']]],
  ['a matching last duplicate is what counts', TICKET, { env: [{ name: 'DEBUG_TICKET', value: 'none' }, { name: 'DEBUG_TICKET', value: 'INC-4711' }] }, []],
  ['a later valueFrom overrides a plain value', { require: [{ name: 'DEBUG_TICKET' }] }, { env: [{ name: 'DEBUG_TICKET', value: 'INC-1' }, { name: 'DEBUG_TICKET', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }] },
    [['.env', 'Required', 'must set DEBUG_TICKET']]],
  ['valueFrom null is a plain value', { require: [{ name: 'A' }] }, { env: [{ name: 'A', value: 'x', valueFrom: null }] }, []],
  ['a $(VAR) reference never matches a pattern', { require: [{ name: 'DEBUG_TICKET', pattern: '^INC-' }] }, { env: [{ name: 'X', value: '1' }, { name: 'DEBUG_TICKET', value: 'INC-$(X)' }] },
    [['.env', 'Required', 'must set DEBUG_TICKET matching ^INC-']]],
  ['each required name on its own', { require: [{ name: 'A' }, { name: 'B', pattern: '^b$' }, { name: 'C' }] }, { env: [{ name: 'B', value: 'b' }, { name: 'A', value: '' }, 'junk', { name: 3 }] },
    [['.env', 'Required', 'must set C']]],
]

t.test('env.require', async (t) => {
  for (const [name, spec, container, want] of requireRows) t.same(judge(envRequireCheck(spec, 'r')!, container as never), want, name)
  t.equal(envRequireCheck({ require: [] }, 'r'), undefined, 'no name compiles to no check')
  t.equal(envRequireCheck(TICKET, 'r')?.description, 'the last env entry named DEBUG_TICKET matching ^INC-[0-9]+$ sets a plain value (the kubelet uses the last entry of a name)')
})
