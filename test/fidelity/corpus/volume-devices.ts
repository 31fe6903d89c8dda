import type { JsonObject } from '../../../src/kube/types.js'
import { storedPod } from '../../support/reviews.js'
import type { FidelityCase } from './types.js'

/** Category 'volume-devices' of the fidelity corpus: ValidateVolumeDevices and its overlap with the mounts. */
const dbg = (fields: JsonObject, name = 'debugger'): JsonObject => ({ name, image: 'busybox:1.36', ...fields })
const devices = (...d: JsonObject[]): JsonObject => dbg({ volumeDevices: d })

/** The base pod's volumes plus a PersistentVolumeClaim ("pg-block") and a generic ephemeral volume ("scratch-block"). */
const volumes: JsonObject[] = [
  ...((storedPod()['spec'] as JsonObject)['volumes'] as JsonObject[]),
  { name: 'pg-block', persistentVolumeClaim: { claimName: 'pg-data-0' } },
  { name: 'scratch-block', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], volumeMode: 'Block', resources: { requests: { storage: '1Gi' } } } } } },
]

const c = (slug: string, about: string, added: JsonObject[], more: Partial<FidelityCase> = {}): FidelityCase =>
  ({ id: `volume-devices/${slug}`, category: 'volume-devices', about, added, podSpec: { volumes }, ...more })

export const cases: readonly FidelityCase[] = [
  c('pvc', 'a PersistentVolumeClaim volume as a device', [devices({ name: 'pg-block', devicePath: '/dev/xvda' })]),
  c('ephemeral', 'a generic ephemeral volume as a device', [devices({ name: 'scratch-block', devicePath: '/dev/xvdb' })]),
  c('both-block-volumes', 'two block volumes at two paths', [devices({ name: 'pg-block', devicePath: '/dev/xvda' }, { name: 'scratch-block', devicePath: '/dev/xvdb' })]),
  c('relative-path', 'a relative devicePath is admitted', [devices({ name: 'pg-block', devicePath: 'xvda' })]),
  c('emptydir', 'an emptyDir is no block volume', [devices({ name: 'data', devicePath: '/dev/xvda' })]),
  c('projected', 'a projected volume is no block volume', [devices({ name: 'kube-api-access-x7k2p', devicePath: '/dev/xvda' })]),
  c('unknown-volume', 'a volume the pod lacks', [devices({ name: 'nope', devicePath: '/dev/xvda' })]),
  c('empty-name', 'an empty name: Required and Not found', [devices({ name: '', devicePath: '/dev/xvda' })]),
  c('missing-name', 'an absent name decodes to ""', [devices({ devicePath: '/dev/xvda' })]),
  c('empty-path', 'an empty devicePath is Required', [devices({ name: 'pg-block', devicePath: '' })]),
  c('empty-everything', 'neither name nor devicePath', [devices({})]),
  c('duplicate-name', 'one volume twice, at two paths', [devices({ name: 'pg-block', devicePath: '/dev/xvda' }, { name: 'pg-block', devicePath: '/dev/xvdb' })]),
  c('duplicate-path', 'two volumes at one path', [devices({ name: 'pg-block', devicePath: '/dev/xvda' }, { name: 'scratch-block', devicePath: '/dev/xvda' })]),
  c('duplicate-both', 'the same device twice', [devices({ name: 'pg-block', devicePath: '/dev/xvda' }, { name: 'pg-block', devicePath: '/dev/xvda' })]),
  c('duplicate-empty-names', 'two empty names are not "must be unique"', [devices({ name: '', devicePath: '/dev/a' }, { name: '', devicePath: '/dev/b' })]),
  c('backsteps', "a devicePath with '..'", [devices({ name: 'pg-block', devicePath: '/dev/../xvda' })]),
  c('backsteps-leading', "a devicePath starting with '../'", [devices({ name: 'pg-block', devicePath: '../xvda' })]),
  c('backsteps-twice', 'the same path with backsteps twice is not "must be unique"', [devices({ name: 'pg-block', devicePath: '/x/..' }, { name: 'scratch-block', devicePath: '/x/..' })]),
  c('dots-in-name', "'..' inside a path element is admitted", [devices({ name: 'pg-block', devicePath: '/dev/x..y' })]),
  c('mounted-and-device', 'one volume mounted and attached as a device at one path', [dbg({ volumeMounts: [{ name: 'pg-block', mountPath: '/dev/xvda' }], volumeDevices: [{ name: 'pg-block', devicePath: '/dev/xvda' }] })]),
  c('mount-name-overlap', 'one volume mounted and attached at two paths', [dbg({ volumeMounts: [{ name: 'pg-block', mountPath: '/pg' }], volumeDevices: [{ name: 'pg-block', devicePath: '/dev/xvda' }] })]),
  c('path-overlap', 'a mount and a device of different volumes at one path', [dbg({ volumeMounts: [{ name: 'data', mountPath: '/dev/xvda' }], volumeDevices: [{ name: 'pg-block', devicePath: '/dev/xvda' }] })]),
  c('empty-name-overlap', 'an empty mount name and an empty device name overlap', [dbg({ volumeMounts: [{ name: '', mountPath: '/m' }], volumeDevices: [{ name: '', devicePath: '/d' }] })]),
  c('overlap-last-path-wins', 'the device map keeps the last path of a name', [dbg({ volumeMounts: [{ name: 'data', mountPath: '/dev/a' }, { name: 'data', mountPath: '/dev/b' }], volumeDevices: [{ name: 'pg-block', devicePath: '/dev/a' }, { name: 'scratch-block', devicePath: '/dev/b' }] })]),
  c('mount-errors-interleaved', 'mount errors and overlap errors of two mounts, in mount order', [dbg({ volumeMounts: [{ name: 'nope', mountPath: '/dev/xvda' }, { name: 'pg-block', mountPath: '' }], volumeDevices: [{ name: 'pg-block', devicePath: '/dev/xvda' }] })]),
  c('two-containers', 'device errors of two added containers; one path per container', [devices({ name: 'pg-block', devicePath: '/dev/xvda' }), devices({ name: 'data', devicePath: '/dev/xvda' })].map((d, i) => ({ ...d, name: `debugger-${i}` }))),
  c('case-sensitive', 'names are case-sensitive', [devices({ name: 'PG-block', devicePath: '/dev/xvda' })]),
]
