// container-name: a container's name is required and a DNS-1123 label (validation.go,
// validateContainerCommon: `Required value`, then ValidateDNS1123Label's messages, "must not contain
// dots" for a name that would be a valid subdomain).
import { containerCheck } from './container-check.js'
import { fieldsOf, text } from './support/fields.js'
import { isDNS1123Label } from './support/validation.js'

export const containerName = containerCheck('container-name', (c) => {
  const name = text(fieldsOf(c)['name'])
  if (name === '') return [{ field: 'name', type: 'Required' }]
  return isDNS1123Label(name).map((detail) => ({ field: 'name', type: 'Invalid' as const, value: name, detail }))
})
