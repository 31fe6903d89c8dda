// volume-mounts and volume-devices: ValidateVolumeMounts and ValidateVolumeDevices in Kubernetes' words
// and order (checked against kube-apiserver 1.37.2 by the fidelity corpus).
import t from 'tap'
import { volumeMounts } from '../../src/checks/volume-mounts.js'
import { volumeDevices } from '../../src/checks/volume-devices.js'
import type { JsonObject } from '../../src/kube/types.js'
import { storedPod } from '../support/reviews.js'
import { ec, runCheck } from './run-check.js'

const M = 'spec.ephemeralContainers[0].volumeMounts'
const D = 'spec.ephemeralContainers[0].volumeDevices'
const mounts = (...m: JsonObject[]): string[] => runCheck(volumeMounts, [ec({ volumeMounts: m })])

t.test('names and mount paths', async (t) => {
  t.same(mounts({ name: 'data', mountPath: '/a' }, { name: 'data', mountPath: 'rel/../x' }), [])
  t.same(mounts({}), [`${M}[0].name: Required value`, `${M}[0].name: Not found: ""`, `${M}[0].mountPath: Required value`])
  t.same(mounts({ name: 'nope', mountPath: '/x' }, { name: 'data', mountPath: '/x' }, { name: 'data', mountPath: '/x' }), [
    `${M}[0].name: Not found: "nope"`, `${M}[1].mountPath: Invalid value: "/x": must be unique`, `${M}[2].mountPath: Invalid value: "/x": must be unique`,
  ])
  t.same(runCheck(volumeMounts, [ec({ volumeMounts: [{ name: 'nope', mountPath: '' }] })], { shape: 'EphemeralContainers' }), ['ephemeralContainers[0].volumeMounts[0].mountPath: Required value'], 'the legacy object: names are not looked up')
  t.same(mounts({ name: 3, mountPath: 4 }), [], 'fields that are no strings')
  t.same(runCheck(volumeMounts, [ec({ volumeMounts: ['x', null] }), ec({ volumeMounts: {} }), 'x']), [])
})

t.test('subPath and subPathExpr contents, in their place within the mount, without the mount index', async (t) => {
  t.same(mounts({ name: 'data', mountPath: '/a', subPath: 'cache' }), [])
  t.same(mounts({ name: 'data', mountPath: '/a', subPath: '/../x', subPathExpr: '$(POD)/..', mountPropagation: 'Shared' }), [
    `${M}.subPath: Invalid value: "/../x": must be a relative path`, `${M}.subPath: Invalid value: "/../x": must not contain '..'`,
    `${M}[0].subPathExpr: Invalid value: "$(POD)/..": subPathExpr and subPath are mutually exclusive`, `${M}.subPathExpr: Invalid value: "$(POD)/..": must not contain '..'`,
    `${M}.mountPropagation: Unsupported value: "Shared": supported values: "Bidirectional", "HostToContainer", "None"`,
  ])
  t.same(mounts({ name: 'data', mountPath: '/a', subPathExpr: '/abs' }), [`${M}.subPathExpr: Invalid value: "/abs": must be a relative path`])
})

t.test('mountPropagation and recursiveReadOnly', async (t) => {
  const supported = 'supported values: "Bidirectional", "HostToContainer", "None"'
  t.same(mounts({ name: 'data', mountPath: '/a', mountPropagation: 'HostToContainer' }, { name: 'data', mountPath: '/b', mountPropagation: null, recursiveReadOnly: null }), [])
  t.same(runCheck(volumeMounts, [ec({ securityContext: { privileged: true }, volumeMounts: [{ name: 'data', mountPath: '/a', mountPropagation: 'Bidirectional' }] })]), [])
  t.same(mounts({ name: 'data', mountPath: '/a', mountPropagation: 'Bidirectional' }), [`${M}.mountPropagation: Forbidden: Bidirectional mount propagation is available only to privileged containers`])
  t.same(mounts({ name: 'data', mountPath: '/a', mountPropagation: '<b>&' }), [`${M}.mountPropagation: Unsupported value: "\\u003cb\\u003e\\u0026": ${supported}`], 'the value as encoding/json writes it')
  t.same(mounts({ name: 'data', mountPath: '/a', readOnly: true, recursiveReadOnly: 'Enabled', mountPropagation: 'None' }, { name: 'data', mountPath: '/b', recursiveReadOnly: 'Disabled' }), [])
  t.same(mounts({ name: 'data', mountPath: '/a', recursiveReadOnly: 'IfPossible', mountPropagation: 'HostToContainer' }), [
    `${M}.recursiveReadOnly: Forbidden: may only be specified when readOnly is true`,
    `${M}.recursiveReadOnly: Forbidden: may only be specified when mountPropagation is None or not specified`,
  ])
  t.same(mounts({ name: 'data', mountPath: '/a', recursiveReadOnly: '' }), [`${M}.recursiveReadOnly: Unsupported value: "": supported values: "Disabled", "Enabled", "IfPossible"`])
  t.same(mounts({ name: 'data', mountPath: '/a', recursiveReadOnly: 1, mountPropagation: 2 }), [], 'values that are no strings')
})

const blockSpec: JsonObject = { volumes: [...((storedPod()['spec'] as JsonObject)['volumes'] as JsonObject[]), { name: 'pg', persistentVolumeClaim: { claimName: 'pg-0' } }, { name: 'eph', ephemeral: { volumeClaimTemplate: { spec: {} } } }] }
const devices = (fields: JsonObject): string[] => runCheck(volumeDevices, [ec(fields)], { podSpec: blockSpec })

t.test('volumeDevices', async (t) => {
  t.same(devices({ volumeDevices: [{ name: 'pg', devicePath: '/dev/a' }, { name: 'eph', devicePath: 'rel' }] }), [])
  t.same(devices({ volumeDevices: [{}, {}] }), [
    `${D}[0].name: Required value`, `${D}[0].name: Not found: ""`, `${D}[0].devicePath: Required value`,
    `${D}[1].name: Required value`, `${D}[1].name: Not found: ""`, `${D}[1].devicePath: Required value`, `${D}[1].devicePath: Invalid value: "": must be unique`,
  ])
  t.same(devices({ volumeDevices: [{ name: 'data', devicePath: '/x/..' }, { name: 'data', devicePath: '/x/..' }] }), [
    `${D}[0].name: Invalid value: "data": can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode`,
    `${D}[0].devicePath: Invalid value: "/x/..": can not contain backsteps ('..')`,
    `${D}[1].name: Invalid value: "data": must be unique`,
    `${D}[1].name: Invalid value: "data": can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode`,
    `${D}[1].devicePath: Invalid value: "/x/..": can not contain backsteps ('..')`,
  ])
  t.same(devices({ volumeMounts: [{ name: 'pg', mountPath: '/dev/a' }], volumeDevices: [{ name: 'pg', devicePath: '/dev/a' }] }), [
    `${D}[0].name: Invalid value: "pg": must not already exist in volumeMounts`, `${D}[0].devicePath: Invalid value: "/dev/a": must not already exist as a path in volumeMounts`,
  ])
  t.same(runCheck(volumeMounts, [ec({ volumeMounts: [{ name: 'pg', mountPath: '/dev/a' }], volumeDevices: [{ name: 'pg', devicePath: '/dev/a' }, 'x'] })], { podSpec: blockSpec }), [
    `${M}[0].name: Invalid value: "pg": must not already exist in volumeDevices`, `${M}[0].mountPath: Invalid value: "/dev/a": must not already exist as a path in volumeDevices`,
  ], 'the mount side, reported by volume-mounts')
  t.same(runCheck(volumeDevices, [ec({ volumeDevices: [{ name: 'nope', devicePath: '/d' }] })], { shape: 'EphemeralContainers' }), [], 'the legacy object: names are not looked up')
  t.same(devices({ volumeDevices: [{ name: 1, devicePath: 2 }, 'x'] }), [], 'fields that are no strings')
  t.same(runCheck(volumeDevices, [ec({ volumeDevices: {} }), 'x']), [])
})
