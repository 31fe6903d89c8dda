// termination-message-policy: File or FallbackToLogsOnError (validation.go, validateContainerCommon).
// The API server defaults an absent policy to File before any webhook, so Required is rare.
import { containerCheck } from './container-check.js'
import { fieldsOf, text } from './support/fields.js'

export const terminationMessagePolicy = containerCheck('termination-message-policy', (c) => {
  const policy = text(fieldsOf(c)['terminationMessagePolicy'])
  if (policy === 'File' || policy === 'FallbackToLogsOnError') return []
  if (policy === '') return [{ field: 'terminationMessagePolicy', type: 'Required' }]
  return [{ field: 'terminationMessagePolicy', type: 'NotSupported', value: policy, detail: 'supported values: "File", "FallbackToLogsOnError"' }]
})
