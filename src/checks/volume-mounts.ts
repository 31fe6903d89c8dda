// volume-mounts: a container's volumeMounts, as validation.go's ValidateVolumeMounts judges them for
// every container kind, mount by mount: the name (required, and a volume of the pod: `Not found`, also
// for ""), the mountPath (required, unique), the overlap with the container's volumeDevices, the
// contents of subPath and subPathExpr, mountPropagation and recursiveReadOnly. Kubernetes reports the
// subPath, subPathExpr, mountPropagation and recursiveReadOnly errors on `volumeMounts.<field>`,
// without the index of the mount, in their place among the mount's other errors. (That an ephemeral
// container may not set subPath at all is reported later, by ephemeral-allow-list.) The legacy
// EphemeralContainers object lacks the pod's volumes: there, a name is not looked up.
import { isJsonObject, type JsonObject } from '../kube/types.js'
import { goJson } from '../kube/go-text.js'
import type { Check } from '../decision/types.js'
import { list as listOf, listAt, objectAt, type Report, reportingCheck, stringAt } from './support/fields.js'
import { hasBacksteps, isAbsolute } from './support/validation.js'

const PROPAGATIONS = ['Bidirectional', 'HostToContainer', 'None']
const RECURSIVE_READ_ONLY = ['Disabled', 'Enabled', 'IfPossible']
const supported = (values: readonly string[]): string => `supported values: ${values.map((v) => JSON.stringify(v)).join(', ')}`

/** name → path of a list, the last entry of a name winning (GetVolumeMountMap, GetVolumeDeviceMap). */
export function pathsByName(container: JsonObject, list: string, pathKey: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const item of listAt(container, list)) {
    if (!isJsonObject(item)) continue
    const name = stringAt(item, 'name')
    const path = stringAt(item, pathKey)
    if (name !== undefined && path !== undefined) out.set(name, path)
  }
  return out
}

/** validateLocalDescendingPath. */
function localDescendingPath(path: string, at: string, report: Report): void {
  if (isAbsolute(path)) report(at, 'Invalid', path, 'must be a relative path')
  if (hasBacksteps(path)) report(at, 'Invalid', path, "must not contain '..'")
}

export const volumeMounts: Check = reportingCheck('volume-mounts', ({ pod, added }, reportFor) => {
  for (const { index, value } of added) {
    if (!isJsonObject(value)) continue
    const mounts = listOf(value['volumeMounts'])
    if (mounts.length === 0) continue
    const report = reportFor(index)
    const list = `${pod.listField}[${index}].volumeMounts`
    const devices = pathsByName(value, 'volumeDevices', 'devicePath')
    const devicePaths = new Set(devices.values())
    const privileged = objectAt(value, 'securityContext')?.['privileged'] === true
    const mountPoints = new Set<string>()
    mounts.forEach((mount, i) => {
      if (!isJsonObject(mount)) return
      const at = `${list}[${i}]`
      const name = stringAt(mount, 'name')
      const path = stringAt(mount, 'mountPath')
      if (name !== undefined) {
        if (name === '') report(`${at}.name`, 'Required')
        if (pod.volumeNames !== undefined && !pod.volumeNames.has(name)) report(`${at}.name`, 'NotFound', name)
      }
      if (path !== undefined) {
        if (path === '') report(`${at}.mountPath`, 'Required')
        if (mountPoints.has(path)) report(`${at}.mountPath`, 'Invalid', path, 'must be unique')
        mountPoints.add(path)
      }
      if (name !== undefined && devices.has(name)) report(`${at}.name`, 'Invalid', name, 'must not already exist in volumeDevices')
      if (path !== undefined && devicePaths.has(path)) report(`${at}.mountPath`, 'Invalid', path, 'must not already exist as a path in volumeDevices')
      const subPath = stringAt(mount, 'subPath') ?? ''
      const subPathExpr = stringAt(mount, 'subPathExpr') ?? ''
      if (subPath !== '') localDescendingPath(subPath, `${list}.subPath`, report)
      if (subPathExpr !== '') {
        if (subPath !== '') report(`${at}.subPathExpr`, 'Invalid', subPathExpr, 'subPathExpr and subPath are mutually exclusive')
        localDescendingPath(subPathExpr, `${list}.subPathExpr`, report)
      }
      const propagation = stringAt(mount, 'mountPropagation')
      const propagationSet = mount['mountPropagation'] !== undefined && mount['mountPropagation'] !== null && propagation !== undefined
      if (propagationSet) {
        if (!PROPAGATIONS.includes(propagation)) report(`${list}.mountPropagation`, 'NotSupported', propagation, supported(PROPAGATIONS), goJson(propagation))
        if (propagation === 'Bidirectional' && !privileged) report(`${list}.mountPropagation`, 'Forbidden', undefined, 'Bidirectional mount propagation is available only to privileged containers')
      }
      const rro = stringAt(mount, 'recursiveReadOnly')
      if (mount['recursiveReadOnly'] === undefined || mount['recursiveReadOnly'] === null || rro === undefined) return
      if (rro === 'Enabled' || rro === 'IfPossible') {
        if (mount['readOnly'] !== true) report(`${list}.recursiveReadOnly`, 'Forbidden', undefined, 'may only be specified when readOnly is true')
        if (propagationSet && propagation !== 'None') report(`${list}.recursiveReadOnly`, 'Forbidden', undefined, 'may only be specified when mountPropagation is None or not specified')
      } else if (rro !== 'Disabled') {
        report(`${list}.recursiveReadOnly`, 'NotSupported', rro, supported(RECURSIVE_READ_ONLY), goJson(rro))
      }
    })
  }
})
