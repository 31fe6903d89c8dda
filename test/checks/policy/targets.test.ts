// targets: rule spec, container, violations.
import t from 'tap'
import { targetsCheck, type TargetsSpec } from '../../../src/checks/policy/targets.js'
import { judge, type Row } from '../../support/policy-checks.js'

const NAME_IT = 'must name the container to debug (kubectl debug --target)'
const rows: Array<[name: string, spec: TargetsSpec, container: unknown, violations: Row[]]> = [
  ['requireTarget: set', { requireTarget: true }, { targetContainerName: 'app' }, []],
  ['requireTarget: missing', { requireTarget: true }, {}, [['.targetContainerName', 'Required', NAME_IT]]],
  ['requireTarget: empty', { requireTarget: true }, { targetContainerName: '' }, [['.targetContainerName', 'Required', NAME_IT, '']]],
  ['requireTarget: no string', { requireTarget: true }, { targetContainerName: null }, [['.targetContainerName', 'Invalid', 'must be string', null]]],
  ['denyContainers: listed', { denyContainers: ['vault-agent', 'cart'] }, { targetContainerName: 'cart' }, [['.targetContainerName', 'Forbidden', 'container "cart" may not be targeted', 'cart']]],
  ['denyContainers: another', { denyContainers: ['vault-agent'] }, { targetContainerName: 'cart' }, []],
  ['denyContainers: no target', { denyContainers: ['vault-agent'] }, {}, []],
  ['denyContainers: no string', { denyContainers: ['vault-agent'] }, { targetContainerName: 1 }, [['.targetContainerName', 'Invalid', 'must be string', 1]]],
  ['both: denied', { requireTarget: true, denyContainers: ['cart'] }, { targetContainerName: 'cart' }, [['.targetContainerName', 'Forbidden', 'container "cart" may not be targeted', 'cart']]],
  ['not an object: nothing to judge here', { requireTarget: true }, [], []],
]

t.test('targets', async (t) => {
  for (const [name, spec, container, want] of rows) t.same(judge(targetsCheck(spec, 'r')!, container as never), want, name)
})

t.test('a spec that requires nothing compiles to no check', async (t) => {
  t.equal(targetsCheck({}, 'r'), undefined)
  t.equal(targetsCheck({ requireTarget: false, denyContainers: [] }, 'r'), undefined)
  t.equal(targetsCheck({ requireTarget: true, denyContainers: ['a', 'b'] }, 'r')?.description, 'targetContainerName is set; targetContainerName is none of: a, b')
})
