// Value validators of k8s.io/apimachinery/pkg/util/validation (validation.go there), with Kubernetes'
// messages, and the small readers the container checks share. Facts only: names, limits and words.
import { isJsonObject, type JsonObject, type JsonValue } from '../kube/types.js'

/** Go's len(): the UTF-8 byte length. */
export const goLen = (s: string): number => Buffer.byteLength(s, 'utf8')

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/

/** validation.RegexError: the message, examples and the regex. */
const regexError = (msg: string, fmt: string, ...examples: string[]): string =>
  `${msg} (e.g. ${examples.map((e) => `'${e}'`).join(',  or ')}, regex used for validation is '${fmt}')`

const DNS1123_LABEL_ERROR = regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", '[a-z0-9]([-a-z0-9]*[a-z0-9])?', 'my-name', '123-abc')
const DNS1123_SUBDOMAIN_ERROR = regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*', 'example.com')
const QUALIFIED_NAME_MESSAGE = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
const QUALIFIED_NAME_ERROR = regexError(QUALIFIED_NAME_MESSAGE, '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]', 'MyName', 'my.name', '123-abc')

/** IsDNS1123Label: a name that is a valid subdomain gets "must not contain dots" instead of the regex. */
export function isDNS1123Label(value: string): string[] {
  const out: string[] = []
  if (goLen(value) > 63) out.push('must be no more than 63 characters')
  if (!DNS1123_LABEL.test(value)) out.push(DNS1123_SUBDOMAIN.test(value) ? 'must not contain dots' : DNS1123_LABEL_ERROR)
  return out
}

/** IsDNS1123Subdomain. */
export function isDNS1123Subdomain(value: string): string[] {
  const out: string[] = []
  if (goLen(value) > 253) out.push('must be no more than 253 characters')
  if (!DNS1123_SUBDOMAIN.test(value)) out.push(DNS1123_SUBDOMAIN_ERROR)
  return out
}

/** IsQualifiedName: [prefix/]name, the prefix a DNS subdomain. */
export function isQualifiedName(value: string): string[] {
  const out: string[] = []
  const parts = value.split('/')
  let name: string
  if (parts.length === 1) name = parts[0]!
  else if (parts.length === 2) {
    const prefix = parts[0]!
    name = parts[1]!
    if (prefix.length === 0) out.push('prefix part must be non-empty')
    else for (const m of isDNS1123Subdomain(prefix)) out.push(`prefix part ${m}`)
  } else {
    return [`a qualified name ${QUALIFIED_NAME_ERROR} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`]
  }
  if (name.length === 0) out.push('name part must be non-empty')
  else if (goLen(name) > 63) out.push('name part must be no more than 63 characters')
  if (!QUALIFIED_NAME.test(name)) out.push(`name part ${QUALIFIED_NAME_ERROR}`)
  return out
}

/** IsValidPortNum. */
export const isValidPortNum = (port: number): string[] => (port >= 1 && port <= 65535 ? [] : ['must be between 1 and 65535, inclusive'])

/** IsValidPortName: an IANA_SVC_NAME. */
export function isValidPortName(port: string): string[] {
  const out: string[] = []
  if (goLen(port) > 15) out.push('must be no more than 15 characters')
  if (!/^[-a-z0-9]+$/.test(port)) out.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)')
  if (!/[a-z]/.test(port)) out.push('must contain at least one letter (a-z)')
  if (port.includes('--')) out.push('must not contain consecutive hyphens')
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) out.push('must not begin or end with a hyphen')
  return out
}

// Readers: a field as the API server decodes it, Go's zero value when absent or null.
export const objectAt = (v: JsonValue | undefined, key: string): JsonObject | undefined => {
  const o = isJsonObject(v) ? v[key] : undefined
  return isJsonObject(o) ? o : undefined
}
export const listAt = (v: JsonValue | undefined, key: string): readonly JsonValue[] => {
  const l = isJsonObject(v) ? v[key] : undefined
  return Array.isArray(l) ? l : []
}
export const stringAt = (v: JsonValue | undefined, key: string): string => {
  const s = isJsonObject(v) ? v[key] : undefined
  return typeof s === 'string' ? s : ''
}
export const numberAt = (v: JsonValue | undefined, key: string): number => {
  const n = isJsonObject(v) ? v[key] : undefined
  return typeof n === 'number' ? n : 0
}
