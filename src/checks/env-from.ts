// env-from: a container's envFrom sources, as validation.go's ValidateEnvFrom judges them for every
// container kind: the prefix (relaxed variable-name rules), then exactly one of configMapRef and
// secretRef, whose name is required and judged as a name that may end in a generated suffix. The
// "exactly one" errors are reported on envFrom itself, not on the entry, as Kubernetes does.
import { isJsonObject } from '../kube/types.js'
import type { Check } from '../decision/types.js'
import { objectAt, reportingCheck, stringAt } from './support/fields.js'
import { isRelaxedEnvVarName, nameIsDNSSubdomain } from './support/validation.js'

export const envFrom: Check = reportingCheck('env-from', ({ pod, added }, reportFor) => {
  for (const { index, value } of added) {
    if (!isJsonObject(value) || !Array.isArray(value['envFrom'])) continue
    const report = reportFor(index)
    const list = `${pod.listField}[${index}].envFrom`
    value['envFrom'].forEach((source, i) => {
      if (!isJsonObject(source)) return
      const at = `${list}[${i}]`
      const prefix = stringAt(source, 'prefix')
      if (prefix) for (const msg of isRelaxedEnvVarName(prefix)) report(`${at}.prefix`, 'Invalid', prefix, msg)
      let sources = 0
      for (const key of ['configMapRef', 'secretRef']) {
        const ref = objectAt(source, key)
        if (ref === undefined) continue
        sources++
        const name = stringAt(ref, 'name')
        if (name === '') report(`${at}.${key}.name`, 'Required')
        else if (name !== undefined) for (const msg of nameIsDNSSubdomain(name, true)) report(`${at}.${key}.name`, 'Invalid', name, msg)
      }
      if (sources === 0) report(list, 'Invalid', '', 'must specify one of: `configMapRef` or `secretRef`')
      else if (sources > 1) report(list, 'Invalid', '', 'may not have more than one field specified at a time')
    })
  }
})
