// volumeMounts: rule spec, container, violations.
import t from 'tap'
import { volumeMountsCheck, type VolumeMountsSpec } from '../../../src/checks/policy/volume-mounts.js'
import { judge, type Row } from '../../support/policy-checks.js'

const rows: Array<[name: string, spec: VolumeMountsSpec, container: unknown, violations: Row[]]> = [
  ['a listed volume', { allow: ['data'] }, { volumeMounts: [{ name: 'data', mountPath: '/d' }] }, []],
  ['another volume', { allow: ['data', 'logs'] }, { volumeMounts: [{ name: 'data', mountPath: '/d' }, { name: 'kube-api-access-x7k2p', mountPath: '/sa' }] },
    [['.volumeMounts[1].name', 'Forbidden', 'volume "kube-api-access-x7k2p" may not be mounted; allowed: data, logs', 'kube-api-access-x7k2p']]],
  ['[] allows none', { allow: [] }, { volumeMounts: [{ name: 'data', mountPath: '/d' }] }, [['.volumeMounts[0].name', 'Forbidden', 'volume "data" may not be mounted; allowed: none', 'data']]],
  ['devices too, after mounts', { allow: ['data'] }, { volumeDevices: [{ name: 'disk', devicePath: '/dev/x' }], volumeMounts: [{ name: 'other' }] }, [
    ['.volumeMounts[0].name', 'Forbidden', 'volume "other" may not be mounted; allowed: data', 'other'],
    ['.volumeDevices[0].name', 'Forbidden', 'volume "disk" may not be attached as a device; allowed: data', 'disk'],
  ]],
  ['an entry without a name, null lists', { allow: [] }, { volumeMounts: [{ mountPath: '/d' }], volumeDevices: null }, []],
  ['a name that is no string', { allow: ['data'] }, { volumeMounts: [{ name: null }] }, [['.volumeMounts[0].name', 'Forbidden', 'volume null may not be mounted; allowed: data', null]]],
  ['malformed lists', { allow: ['data'] }, { volumeMounts: {}, volumeDevices: ['data'] },
    [['.volumeMounts', 'Invalid', 'must be array,null', {}], ['.volumeDevices[0]', 'Invalid', 'must be object', 'data']]],
  ['not an object: nothing to judge here', { allow: [] }, 1, []],
]

t.test('volumeMounts', async (t) => {
  for (const [name, spec, container, want] of rows) t.same(judge(volumeMountsCheck(spec, 'r')!, container as never), want, name)
  t.equal(volumeMountsCheck({}, 'r'), undefined, 'absent allow: any volume, no check')
  t.equal(volumeMountsCheck({ allow: [] }, 'r')?.description, 'volumeMounts and volumeDevices name only the volumes: none')
})
