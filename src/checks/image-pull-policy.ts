// image-pull-policy: Always, IfNotPresent or Never (validation.go, validatePullPolicy, called by
// validateContainerCommon after volumeDevices). The API server defaults an absent policy first.
import { containerCheck } from './container-check.js'
import { fieldsOf, text } from './support/fields.js'

export const imagePullPolicy = containerCheck('image-pull-policy', (c) => {
  const policy = text(fieldsOf(c)['imagePullPolicy'])
  if (policy === 'Always' || policy === 'IfNotPresent' || policy === 'Never') return []
  if (policy === '') return [{ field: 'imagePullPolicy', type: 'Required' }]
  return [{ field: 'imagePullPolicy', type: 'NotSupported', value: policy, detail: 'supported values: "Always", "IfNotPresent", "Never"' }]
})
