// container-resources: resources are validated before the allow-list forbids them (validation.go,
// ValidateContainerResourceRequirements → validateResourceRequirements: names (qualified, standard for
// containers, extended), quantities (not negative, whole for integer resources, huge pages in page
// multiples), request ≤ limit (= for resources that cannot be overcommitted), huge pages need cpu or
// memory, then validateResourceClaimNames). Kubernetes ranges over the maps in Go's random order; here
// they are judged in the request's key order, the same whenever at most one key of a map is wrong.
import { isJsonObject, type JsonObject } from '../kube/types.js'
import { containerCheck, type ContainerFinding } from './container-check.js'
import { fieldsOf, listAt, object, objectAt, textAt } from './support/fields.js'
import { isDNS1123Label, isQualifiedName } from './support/validation.js'
import { compare, isWhole, quantityOf, quantityString, sign, value, type Quantity } from './support/quantity.js'

const STANDARD = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'requests.storage', 'limits.cpu', 'limits.memory', 'ephemeral-storage',
  'requests.ephemeral-storage', 'limits.ephemeral-storage', 'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps',
  'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers'])
const STANDARD_INTEGER = new Set(['pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'services.nodeports', 'services.loadbalancers'])
const isHugePages = (name: string): boolean => name.startsWith('hugepages-')
const isNative = (name: string): boolean => !name.includes('/') || name.includes('kubernetes.io/')
const isExtended = (name: string): boolean => !isNative(name) && !name.startsWith('requests.') && isQualifiedName(`requests.${name}`).length === 0
const isStandardContainer = (name: string): boolean => name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || isHugePages(name)
const isOvercommitAllowed = (name: string): boolean => isNative(name) && !isHugePages(name)

/** validateContainerResourceName (after validateResourceName). */
function nameErrors(name: string, field: string): ContainerFinding[] {
  const out: ContainerFinding[] = isQualifiedName(name).map((detail) => ({ field, type: 'Invalid' as const, value: name, detail }))
  if (out.length === 0 && !name.includes('/') && !STANDARD.has(name) && !isHugePages(name)) {
    out.push({ field, type: 'Invalid', value: name, detail: 'must be a standard resource type or fully qualified' })
  }
  if (!name.includes('/')) {
    if (!isStandardContainer(name)) out.push({ field, type: 'Invalid', value: name, detail: 'must be a standard resource for containers' })
  } else if (!isNative(name) && !isExtended(name)) {
    out.push({ field, type: 'Invalid', value: name, detail: "doesn't follow extended resource name standard" })
  }
  return out
}

/** ValidateResourceQuantityValue and, for huge pages, validateResourceQuantityHugePageValue. */
function quantityErrors(name: string, q: Quantity, field: string): ContainerFinding[] {
  const out: ContainerFinding[] = []
  if (sign(q) < 0) out.push({ field, type: 'Invalid', value: quantityString(q), detail: 'must be greater than or equal to 0' })
  if ((STANDARD_INTEGER.has(name) || isExtended(name)) && !isWhole(q)) out.push({ field, type: 'Invalid', value: quantityString(q), detail: 'must be an integer' })
  return out
}

function hugePageErrors(name: string, q: Quantity, field: string): ContainerFinding[] {
  const page = quantityOf(name.slice('hugepages-'.length))
  const size = page === undefined ? 0n : value(page)
  if (size > 0n && value(q) % size === 0n) return []
  return [{ field, type: 'Invalid', value: quantityString(q), detail: `${quantityString(q)} is not positive integer multiple of ${name}` }]
}

const entries = (m: JsonObject | undefined): Array<[string, Quantity]> => {
  const out: Array<[string, Quantity]> = []
  for (const [k, v] of Object.entries(m ?? {})) {
    const q = quantityOf(v)
    if (q !== undefined) out.push([k, q])
  }
  return out
}

function claimErrors(claims: ReturnType<typeof listAt>, podClaims: ReadonlySet<string>): ContainerFinding[] {
  const out: ContainerFinding[] = []
  const names = new Set<string>()
  claims.forEach((claim, i) => {
    const at = `resources.claims[${i}]`
    const name = textAt(claim, 'name')
    if (name === '') {
      out.push({ field: at, type: 'Required' })
      return
    }
    if (names.has(name)) out.push({ field: at, type: 'Duplicate', value: name })
    else {
      let key = name
      const request = textAt(claim, 'request')
      if (request !== '') {
        for (const detail of isDNS1123Label(request)) out.push({ field: `${at}.request`, type: 'Invalid', value: request, detail })
        key += `/${request}`
      }
      if (names.has(key)) out.push({ field: at, type: 'Duplicate', value: key })
      else if (request === '') {
        for (const k of names) if (k.includes('/') && k.slice(0, k.indexOf('/')) === name) out.push({ field: at, type: 'Duplicate', value: name })
      }
      names.add(key)
    }
    if (!podClaims.has(name)) {
      const known = [...podClaims].sort()
      out.push({ field: at, type: 'NotFound', value: name, detail: `must be one of the names in pod.spec.resourceClaims${known.length === 0 ? ' which is empty' : `: ${known.join(', ')}`}` })
    }
  })
  return out
}

export const containerResources = containerCheck('container-resources', (c, { pod }) => {
  const resources = object(fieldsOf(c)['resources'])
  if (resources === undefined) return []
  const limits = entries(objectAt(resources, 'limits'))
  const requests = entries(objectAt(resources, 'requests'))
  const claims = listAt(resources, 'claims')
  if (limits.length === 0 && requests.length === 0 && claims.length === 0) return [] // `resources: {}`, as kubectl debug sends it
  const out: ContainerFinding[] = []
  const limitOf = new Map(limits)
  let cpuOrMemory = false
  let hugePages = false
  for (const [name, q] of limits) {
    const field = `resources.limits[${name}]`
    out.push(...nameErrors(name, field), ...quantityErrors(name, q, field))
    if (isHugePages(name)) {
      hugePages = true
      out.push(...hugePageErrors(name, q, field))
    }
    if (name === 'cpu' || name === 'memory') cpuOrMemory = true
  }
  for (const [name, q] of requests) {
    const field = `resources.requests[${name}]`
    out.push(...nameErrors(name, field), ...quantityErrors(name, q, field))
    const limit = limitOf.get(name)
    if (limit !== undefined) {
      if (compare(q, limit) !== 0 && !isOvercommitAllowed(name)) {
        out.push({ field: 'resources.requests', type: 'Invalid', value: quantityString(q), detail: `must be equal to ${name} limit of ${quantityString(limit)}` })
      } else if (compare(q, limit) > 0) {
        out.push({ field: 'resources.requests', type: 'Invalid', value: quantityString(q), detail: `must be less than or equal to ${name} limit of ${quantityString(limit)}` })
      }
    } else if (!isOvercommitAllowed(name)) {
      out.push({ field: 'resources.limits', type: 'Required', detail: 'Limit must be set for non overcommitable resources' })
    }
    if (isHugePages(name)) {
      hugePages = true
      out.push(...hugePageErrors(name, q, field))
    }
    if (name === 'cpu' || name === 'memory') cpuOrMemory = true
  }
  if (!cpuOrMemory && hugePages) out.push({ field: 'resources', type: 'Forbidden', detail: 'HugePages require cpu or memory' })
  const podClaims = new Set<string>()
  for (const claim of listAt(pod.spec, 'resourceClaims')) {
    const name = textAt(claim, 'name')
    if (name !== '') podClaims.add(name)
  }
  out.push(...claimErrors(claims.filter((x) => isJsonObject(x) || x === null), podClaims))
  return out
})
