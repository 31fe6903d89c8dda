// volume-devices: a container's volumeDevices (raw block volumes), as validation.go's
// ValidateVolumeDevices judges them for every container kind, ephemeral ones included (VolumeDevices
// is on the ephemeral containers' allow-list): the name (required, unique, a volume of the pod —
// `Not found`, also for "" — of PersistentVolumeClaim or Ephemeral source), the devicePath (required,
// unique, no '..' element), and no overlap with the container's volumeMounts (volume-mounts.ts reports
// the mount side). The legacy EphemeralContainers object lacks the pod's volumes: there, a name is not
// looked up.
import { isJsonObject } from '../kube/types.js'
import type { Check } from '../decision/types.js'
import { list, reportingCheck, stringAt } from './support/fields.js'
import { hasBacksteps } from './support/validation.js'
import { pathsByName } from './volume-mounts.js'

export const volumeDevices: Check = reportingCheck('volume-devices', ({ pod, added }, reportFor) => {
  for (const { index, value } of added) {
    if (!isJsonObject(value)) continue
    const devices = list(value['volumeDevices'])
    if (devices.length === 0) continue
    const report = reportFor(index)
    const mounts = pathsByName(value, 'volumeMounts', 'mountPath')
    const mountPaths = new Set(mounts.values())
    const names = new Set<string>()
    const paths = new Set<string>()
    devices.forEach((device, i) => {
      if (!isJsonObject(device)) return
      const at = `${pod.listField}[${index}].volumeDevices[${i}]`
      const name = stringAt(device, 'name')
      const path = stringAt(device, 'devicePath')
      if (name !== undefined) {
        if (name === '') report(`${at}.name`, 'Required')
        if (names.has(name)) report(`${at}.name`, 'Invalid', name, 'must be unique')
        if (pod.volumeNames !== undefined) {
          if (!pod.volumeNames.has(name)) report(`${at}.name`, 'NotFound', name)
          else if (!pod.blockVolumeNames?.has(name)) report(`${at}.name`, 'Invalid', name, 'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode')
        }
      }
      if (path !== undefined) {
        if (path === '') report(`${at}.devicePath`, 'Required')
        if (paths.has(path)) report(`${at}.devicePath`, 'Invalid', path, 'must be unique')
        if (path !== '' && hasBacksteps(path)) report(`${at}.devicePath`, 'Invalid', path, "can not contain backsteps ('..')")
        else paths.add(path)
      }
      if (name !== undefined && mounts.has(name)) report(`${at}.name`, 'Invalid', name, 'must not already exist in volumeMounts')
      if (path !== undefined && mountPaths.has(path)) report(`${at}.devicePath`, 'Invalid', path, 'must not already exist as a path in volumeMounts')
      if (name) names.add(name)
    })
  }
})
