// container-ports: ports are validated before the allow-list forbids them (validation.go,
// validateContainerPorts: name (IANA_SVC_NAME, unique), containerPort required and in range, hostPort
// in range, protocol required and TCP, UDP or SCTP).
import { isJsonObject } from '../kube/types.js'
import { containerCheck, type ContainerFinding } from './container-check.js'
import { fieldsOf, list, numberAt, textAt } from './support/fields.js'
import { isValidPortName, isValidPortNum } from './support/validation.js'

export const containerPorts = containerCheck('container-ports', (c) => {
  const out: ContainerFinding[] = []
  const names = new Set<string>()
  const ports = list(fieldsOf(c)['ports'])
  if (ports.length === 0) return []
  ports.forEach((port, i) => {
    if (!isJsonObject(port) && port !== null) return
    const at = `ports[${i}]`
    const name = textAt(port, 'name')
    if (name !== '') {
      const msgs = isValidPortName(name)
      if (msgs.length > 0) for (const detail of msgs) out.push({ field: `${at}.name`, type: 'Invalid', value: name, detail })
      else if (names.has(name)) out.push({ field: `${at}.name`, type: 'Duplicate', value: name })
      else names.add(name)
    }
    const containerPort = numberAt(port, 'containerPort')
    if (containerPort === 0) out.push({ field: `${at}.containerPort`, type: 'Required' })
    else for (const detail of isValidPortNum(containerPort)) out.push({ field: `${at}.containerPort`, type: 'Invalid', value: containerPort, detail })
    const hostPort = numberAt(port, 'hostPort')
    if (hostPort !== 0) for (const detail of isValidPortNum(hostPort)) out.push({ field: `${at}.hostPort`, type: 'Invalid', value: hostPort, detail })
    const protocol = textAt(port, 'protocol')
    if (protocol === '') out.push({ field: `${at}.protocol`, type: 'Required' })
    else if (!['TCP', 'UDP', 'SCTP'].includes(protocol)) out.push({ field: `${at}.protocol`, type: 'NotSupported', value: protocol, detail: 'supported values: "SCTP", "TCP", "UDP"' })
  })
  return out
})
