// env: a container's environment variables, as validation.go's ValidateEnv judges them for every
// container kind (Env is on the ephemeral containers' allow-list): the name (relaxed rules, the
// RelaxedEnvironmentVariableValidation gate being GA), then valueFrom: exactly one source, and each
// source's own rules (validateObjectFieldSelector, validateContainerResourceFieldSelector with the
// divisor, validateConfigMapKeySelector, validateSecretKeySelector, validateFileKeySelector; EnvFiles
// is on by default). Whether a fileKeyRef volume exists and is an emptyDir is a pod-level rule:
// file-key-ref-volumes.ts.
import { isJsonObject, type JsonObject } from '../kube/types.js'
import type { Check } from '../decision/types.js'
import { objectAt, type Report, reportingCheck, stringAt } from './support/fields.js'
import { parseQuantity, quantityString } from './support/quantity.js'
import { hasBacksteps, isConfigMapKey, isDNS1123Label, isQualifiedName, isRelaxedEnvVarName, nameIsDNSSubdomain } from './support/validation.js'

/** Downward API paths an env var may read (validEnvDownwardAPIFieldPathExpressions), sorted as Kubernetes lists them. */
const ENV_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs']
/** Field labels ConvertDownwardAPIFieldLabel knows for v1 pods (spec.host becomes spec.nodeName). */
const CONVERTIBLE = new Set(['metadata.annotations', 'metadata.labels', ...ENV_FIELD_PATHS, 'spec.restartPolicy', 'spec.schedulerName', 'status.phase'])
const RESOURCES = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory']
const HUGEPAGES_PREFIXES = ['limits.hugepages-', 'requests.hugepages-']
const quoted = (values: readonly string[]): string => values.map((v) => JSON.stringify(v)).join(', ')

/** fieldpath.SplitMaybeSubscriptedPath: `metadata.labels['x']` → ['metadata.labels', 'x']. */
function splitSubscript(path: string): [string, string] | undefined {
  if (!path.endsWith("']")) return undefined
  const s = path.slice(0, -2)
  const at = s.indexOf("['")
  return at <= 0 ? undefined : [s.slice(0, at), s.slice(at + 2)]
}

/** ConvertDownwardAPIFieldLabel for v1: the internal path, or the conversion error's text. */
function convertFieldLabel(apiVersion: string, label: string): { path: string } | { error: string } {
  if (apiVersion !== 'v1') return { error: `unsupported pod version: ${apiVersion}` }
  const sub = splitSubscript(label)
  if (sub !== undefined) return sub[0] === 'metadata.annotations' || sub[0] === 'metadata.labels' ? { path: label } : { error: `field label does not support subscript: ${label}` }
  if (label === 'spec.host') return { path: 'spec.nodeName' }
  return CONVERTIBLE.has(label) ? { path: label } : { error: `field label not supported: ${label}` }
}

function fieldRef(ref: JsonObject, at: string, report: Report): void {
  // The API server defaults an empty apiVersion to v1 before validating (SetDefaults_ObjectFieldSelector),
  // so validateObjectFieldSelector's `apiVersion: Required value` cannot happen.
  const apiVersion = stringAt(ref, 'apiVersion') || 'v1'
  const fieldPath = stringAt(ref, 'fieldPath')
  if (fieldPath === undefined) return
  if (fieldPath === '') return report(`${at}.fieldPath`, 'Required')
  const converted = convertFieldLabel(apiVersion, fieldPath)
  if ('error' in converted) return report(`${at}.fieldPath`, 'Invalid', fieldPath, `error converting fieldPath: ${converted.error}`)
  const sub = splitSubscript(converted.path)
  if (sub !== undefined) {
    // Only metadata.annotations and metadata.labels convert with a subscript; annotation keys are lowered first.
    const key = sub[0] === 'metadata.annotations' ? sub[1].toLowerCase() : sub[1]
    for (const msg of isQualifiedName(key)) report(at, 'Invalid', key, msg)
  } else if (!ENV_FIELD_PATHS.includes(converted.path)) {
    report(`${at}.fieldPath`, 'NotSupported', converted.path, `supported values: ${quoted(ENV_FIELD_PATHS)}`)
  }
}

const MEMORY_LIKE = new Set(['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'])
const MEMORY_LIKE_TEXT = "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the"

/** validateContainerResourceDivisor: the divisor's canonical text must be one the resource allows. */
function divisor(resource: string, text: string, at: string, report: Report): void {
  const q = text === '' ? undefined : parseQuantity(text)
  if (q === undefined) return // absent (zero), or text the API server refuses while decoding
  const d = quantityString(q)
  if (d === '0') return
  const bad = (detail: string): void => report(`${at}.divisor`, 'Invalid', resource, detail)
  if (resource === 'limits.cpu' || resource === 'requests.cpu') {
    if (d !== '1m' && d !== '1') bad("only divisor's values 1m and 1 are supported with the cpu resource")
  } else if (resource === 'limits.memory' || resource === 'requests.memory') {
    if (!MEMORY_LIKE.has(d)) bad(`${MEMORY_LIKE_TEXT} memory resource`)
  } else if (resource === 'limits.ephemeral-storage' || resource === 'requests.ephemeral-storage') {
    if (!MEMORY_LIKE.has(d)) bad(`${MEMORY_LIKE_TEXT} local ephemeral storage resource`)
  }
  if (HUGEPAGES_PREFIXES.some((p) => resource.startsWith(p)) && !MEMORY_LIKE.has(d)) bad(`${MEMORY_LIKE_TEXT} hugepages resource`)
}

function resourceFieldRef(ref: JsonObject, at: string, report: Report): void {
  const resource = stringAt(ref, 'resource')
  if (resource === undefined) return
  if (resource === '') report(`${at}.resource`, 'Required')
  else if (!RESOURCES.includes(resource) && !HUGEPAGES_PREFIXES.some((p) => resource.startsWith(p))) {
    report(`${at}.resource`, 'NotSupported', resource, `supported values: ${quoted(RESOURCES)}`)
  }
  const d = ref['divisor']
  if (typeof d === 'string') divisor(resource, d, at, report)
  else if (typeof d === 'number') divisor(resource, String(d), at, report)
}

/** validateConfigMapKeySelector and validateSecretKeySelector (both judge the name as a Secret name). */
function keySelector(ref: JsonObject, at: string, report: Report): void {
  const name = stringAt(ref, 'name')
  const key = stringAt(ref, 'key')
  if (name !== undefined) for (const msg of nameIsDNSSubdomain(name, false)) report(`${at}.name`, 'Invalid', name, msg)
  if (key === undefined) return
  if (key === '') report(`${at}.key`, 'Required')
  else for (const msg of isConfigMapKey(key)) report(`${at}.key`, 'Invalid', key, msg)
}

function fileKeyRef(ref: JsonObject, at: string, report: Report): void {
  const key = stringAt(ref, 'key')
  const volumeName = stringAt(ref, 'volumeName')
  const path = stringAt(ref, 'path')
  if (key === '') report(`${at}.key`, 'Required')
  else if (key !== undefined) for (const msg of isRelaxedEnvVarName(key)) report(`${at}.key`, 'Invalid', key, msg)
  if (volumeName === '') report(`${at}.volumeName`, 'Required')
  else if (volumeName !== undefined) for (const msg of isDNS1123Label(volumeName)) report(`${at}.volumeName`, 'Invalid', volumeName, msg)
  if (path === '') report(`${at}.path`, 'Required')
  else if (path !== undefined && hasBacksteps(path)) report(`${at}.path`, 'Invalid', path, "must not contain '..'")
}

const SOURCES: ReadonlyArray<readonly [string, (ref: JsonObject, at: string, report: Report) => void]> = [
  ['fieldRef', fieldRef], ['resourceFieldRef', resourceFieldRef], ['configMapKeyRef', keySelector], ['secretKeyRef', keySelector], ['fileKeyRef', fileKeyRef],
]

/** validateEnvVarValueFrom. */
function valueFrom(envVar: JsonObject, at: string, report: Report): void {
  const from = objectAt(envVar, 'valueFrom')
  if (from === undefined) return
  let sources = 0
  for (const [key, judge] of SOURCES) {
    const ref = objectAt(from, key)
    if (ref === undefined) continue
    sources++
    judge(ref, `${at}.${key}`, report)
  }
  const value = stringAt(envVar, 'value') ?? ''
  if (sources === 0) report(at, 'Invalid', '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`')
  else if (value !== '') report(at, 'Invalid', '', 'may not be specified when `value` is not empty')
  else if (sources > 1) report(at, 'Invalid', '', 'may not have more than one field specified at a time')
}

export const env: Check = reportingCheck('env', ({ pod, added }, reportFor) => {
  for (const { index, value } of added) {
    if (!isJsonObject(value) || !Array.isArray(value['env'])) continue
    const report = reportFor(index)
    value['env'].forEach((envVar, i) => {
      if (!isJsonObject(envVar)) return
      const at = `${pod.listField}[${index}].env[${i}]`
      const name = stringAt(envVar, 'name')
      if (name === '') report(`${at}.name`, 'Required')
      else if (name !== undefined) for (const msg of isRelaxedEnvVarName(name)) report(`${at}.name`, 'Invalid', name, msg)
      valueFrom(envVar, `${at}.valueFrom`, report)
    })
  }
})
