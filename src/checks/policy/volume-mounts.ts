// volumeMounts: which pod volumes a new container may use.
//
//   volumeMounts: {allow: [VOLUME...]}
//
// The allow-list covers every way a container names a pod volume: each .volumeMounts[i].name and,
// for raw block volumes, each .volumeDevices[i].name not listed is Forbidden:
//   `volume "<name>" may not be mounted; allowed: <volumes>`
//   `volume "<name>" may not be attached as a device; allowed: <volumes>`
// ([]: `none`, every volume refused). Absent: any volume. A list that is no list: Invalid
// `must be array,null`; an entry that is no object: Invalid `must be object`. Mounts first, then devices.
import { isJsonObject, type JsonValue } from '../../kube/types.js'
import type { Violation } from '../../decision/types.js'
import { containerViolation, isArrayOrNull, listOrNone, own, type ContainerAt, type ContainerCheck } from './types.js'

export interface VolumeMountsSpec {
  readonly allow?: readonly string[]
}

/** undefined when allow is absent. */
export function volumeMountsCheck(spec: VolumeMountsSpec, rule: string): ContainerCheck | undefined {
  const allow = spec.allow
  if (allow === undefined) return undefined
  const names = (container: JsonValue, at: ContainerAt, field: 'volumeMounts' | 'volumeDevices', how: string): Violation[] => {
    const list = own(container, field)
    if (list === undefined || list === null) return []
    if (!isArrayOrNull(list)) return [containerViolation(rule, at, [field], 'Invalid', 'must be array,null', list)]
    return (list as JsonValue[]).flatMap((entry, i): Violation[] => {
      if (!isJsonObject(entry)) return [containerViolation(rule, at, [field, i], 'Invalid', 'must be object', entry)]
      const name = own(entry, 'name')
      if (name === undefined || (typeof name === 'string' && allow.includes(name))) return []
      return [containerViolation(rule, at, [field, i, 'name'], 'Forbidden', `volume ${JSON.stringify(name)} may not be ${how}; allowed: ${listOrNone(allow)}`, name)]
    })
  }
  return {
    name: 'volumeMounts',
    description: `volumeMounts and volumeDevices name only the volumes: ${listOrNone(allow)}`,
    run: (container, at) => [...names(container, at, 'volumeMounts', 'mounted'), ...names(container, at, 'volumeDevices', 'attached as a device')],
  }
}
