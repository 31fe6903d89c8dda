// ephemeral-allow-list: the Container fields an ephemeral container may not set, in the struct's
// order, then subPath and subPathExpr on its volume mounts (validation.go, validateEphemeralContainers:
// validateFieldAllowList over allowedEphemeralContainerFields, then the subPath loop). A field is set
// when it differs from Go's zero value: present and not null (an empty list or map is set, but the API
// server omits those when it serializes the object for webhooks); resources when any of its parts is.
import { isJsonObject, type JsonValue } from '../kube/types.js'
import { containerCheck, type ContainerFinding } from './container-check.js'
import { list, textAt } from './support/fields.js'

/** EphemeralContainerCommon's fields outside the allow-list, in struct order. */
export const FORBIDDEN_FIELDS = ['ports', 'resources', 'resizePolicy', 'restartPolicy', 'restartPolicyRules', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle'] as const
const DETAIL = 'cannot be set for an Ephemeral Container'

const isSet = (v: JsonValue | undefined): boolean => v !== undefined && v !== null
const resourcesSet = (v: JsonValue | undefined): boolean =>
  isJsonObject(v) ? isSet(v['limits']) || isSet(v['requests']) || isSet(v['claims']) : false

export const ephemeralAllowList = containerCheck('ephemeral-allow-list', (c) => {
  if (!isJsonObject(c)) return []
  // Each field read by its own name (see fields.ts), in FORBIDDEN_FIELDS' order.
  const set = [isSet(c['ports']), resourcesSet(c['resources']), isSet(c['resizePolicy']), isSet(c['restartPolicy']), isSet(c['restartPolicyRules']),
    isSet(c['livenessProbe']), isSet(c['readinessProbe']), isSet(c['startupProbe']), isSet(c['lifecycle'])]
  const mounts = list(c['volumeMounts'])
  if (mounts.length === 0 && !set.includes(true)) return []
  const out: ContainerFinding[] = []
  FORBIDDEN_FIELDS.forEach((f, i) => { if (set[i]) out.push({ field: f, type: 'Forbidden', detail: DETAIL }) })
  mounts.forEach((m, i) => {
    if (textAt(m, 'subPath') !== '') out.push({ field: `volumeMounts[${i}].subPath`, type: 'Forbidden', detail: DETAIL })
    if (textAt(m, 'subPathExpr') !== '') out.push({ field: `volumeMounts[${i}].subPathExpr`, type: 'Forbidden', detail: DETAIL })
  })
  return out
})
