// volume-devices: a container's volumeDevices (raw block volumes), as validation.go's
// ValidateVolumeDevices judges them for every container kind, ephemeral ones included (VolumeDevices
// is on the ephemeral containers' allow-list), plus the two overlap checks ValidateVolumeMounts makes
// against them. Names must exist and be PersistentVolumeClaim or Ephemeral volumes: not judged on the
// legacy object, which lacks the pod's volumes.
import { isJsonObject, type JsonValue } from '../kube/types.js'
import type { Check, Violation } from '../decision/types.js'

interface Entry { readonly at: number; readonly name: unknown; readonly path: unknown }

const entriesOf = (v: JsonValue, list: string, pathKey: string): Entry[] => {
  const items = isJsonObject(v) ? v[list] : undefined
  if (!Array.isArray(items)) return []
  const out: Entry[] = []
  // An absent or null string decodes to "" in the API server (Go's zero value), and is judged as that.
  items.forEach((item, at) => { if (isJsonObject(item)) out.push({ at, name: item['name'] ?? '', path: item[pathKey] ?? '' }) })
  return out
}

/** validatePathNoBacksteps: no `..` path element. */
const hasBacksteps = (path: string): boolean => path.split('/').includes('..')

export const volumeDevices: Check = {
  id: 'volume-devices',
  origin: 'kubernetes',
  mode: 'enforce',
  run: ({ pod, added }) => {
    const out: Violation[] = []
    for (const { index, value } of added) {
      const devices = entriesOf(value, 'volumeDevices', 'devicePath')
      if (devices.length === 0) continue
      const mounts = entriesOf(value, 'volumeMounts', 'mountPath')
      const base = `${pod.listField}[${index}]`
      const push = (field: string, type: Violation['type'], v?: string, detail?: string): void => {
        out.push({ origin: 'kubernetes', rule: 'volume-devices', field: `${base}.${field}`, type, ...(v === undefined ? {} : { value: v }), ...(detail ? { detail } : {}), containerIndex: index })
      }
      // GetVolumeDeviceMap / GetVolumeMountMap: name to path, the last entry of a name winning.
      const deviceMap = new Map<string, string>()
      for (const d of devices) if (typeof d.name === 'string' && typeof d.path === 'string') deviceMap.set(d.name, d.path)
      const mountMap = new Map<string, string>()
      for (const m of mounts) if (typeof m.name === 'string' && typeof m.path === 'string') mountMap.set(m.name, m.path)
      const devicePaths = new Set(deviceMap.values())
      const mountPaths = new Set(mountMap.values())

      // ValidateVolumeMounts' checks against the devices.
      for (const m of mounts) {
        if (typeof m.name === 'string' && deviceMap.has(m.name)) push(`volumeMounts[${m.at}].name`, 'Invalid', m.name, 'must not already exist in volumeDevices')
        if (typeof m.path === 'string' && devicePaths.has(m.path)) push(`volumeMounts[${m.at}].mountPath`, 'Invalid', m.path, 'must not already exist as a path in volumeDevices')
      }

      const names = new Set<string>()
      const paths = new Set<string>()
      for (const d of devices) {
        const at = `volumeDevices[${d.at}]`
        if (typeof d.name === 'string') {
          if (d.name === '') push(`${at}.name`, 'Required')
          if (names.has(d.name)) push(`${at}.name`, 'Invalid', d.name, 'must be unique')
          if (pod.volumeNames !== undefined && d.name !== '') {
            if (!pod.volumeNames.has(d.name)) push(`${at}.name`, 'NotFound', d.name)
            else if (!pod.blockVolumeNames?.has(d.name)) push(`${at}.name`, 'Invalid', d.name, 'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode')
          }
        }
        if (typeof d.path === 'string') {
          if (d.path === '') push(`${at}.devicePath`, 'Required')
          if (paths.has(d.path)) push(`${at}.devicePath`, 'Invalid', d.path, 'must be unique')
          if (d.path !== '' && hasBacksteps(d.path)) push(`${at}.devicePath`, 'Invalid', d.path, "can not contain backsteps ('..')")
          else paths.add(d.path)
        }
        if (typeof d.name === 'string' && mountMap.has(d.name)) push(`${at}.name`, 'Invalid', d.name, 'must not already exist in volumeMounts')
        if (typeof d.path === 'string' && mountPaths.has(d.path)) push(`${at}.devicePath`, 'Invalid', d.path, 'must not already exist as a path in volumeMounts')
        if (typeof d.name === 'string' && d.name !== '') names.add(d.name)
      }
    }
    return out
  },
}
