// The value rules of k8s.io/apimachinery that the container checks apply (names, keys, ports, paths),
// with their exact messages.
// Two generations of helpers coexist there: pkg/util/validation (lengths in "characters") and
// pkg/api/validate/content (lengths in "bytes", used for qualified names); both count bytes.
import { goLen } from '../../kube/go-text.js'

/** RegexError: `<msg> (e.g. 'a',  or 'b', regex used for validation is '<re>')` (the double space is Kubernetes'). */
export function regexError(msg: string, re: string, ...examples: string[]): string {
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${re}')`
}

const maxLenCharacters = (n: number): string => `must be no more than ${n} characters`
const maxLenBytes = (n: number): string => `must be no more than ${n} bytes`

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`
const DNS1123_LABEL = new RegExp(`^${DNS1123_LABEL_FMT}$`)
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`)
const DNS1123_LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
const DNS1123_SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"

/** validation.IsDNS1123Label. */
export function isDNS1123Label(value: string): string[] {
  const errs: string[] = []
  if (goLen(value) > 63) errs.push(maxLenCharacters(63))
  if (!DNS1123_LABEL.test(value)) {
    errs.push(DNS1123_SUBDOMAIN.test(value) ? 'must not contain dots' : regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'))
  }
  return errs
}

function dns1123Subdomain(value: string, maxLen: (n: number) => string): string[] {
  const errs: string[] = []
  if (goLen(value) > 253) errs.push(maxLen(253))
  if (!DNS1123_SUBDOMAIN.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'))
  return errs
}

/** validation.IsDNS1123Subdomain. */
export const isDNS1123Subdomain = (value: string): string[] => dns1123Subdomain(value, maxLenCharacters)

/** apimachinery's maskTrailingDash, for names that get a generated suffix: the last two bytes become "a". */
function maskTrailingDash(name: string): string {
  const bytes = Buffer.from(name, 'utf8')
  return bytes.length > 1 && name.endsWith('-') ? `${bytes.subarray(0, bytes.length - 2).toString('latin1')}a` : name
}

/** NameIsDNSSubdomain (ValidateSecretName, ValidateConfigMapName). */
export const nameIsDNSSubdomain = (name: string, prefix: boolean): string[] => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name)

const LABEL_KEY_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'
const LABEL_KEY = new RegExp(`^${LABEL_KEY_FMT}$`)
const LABEL_KEY_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"

/**
 * content.IsLabelKey, which validation.IsQualifiedName is (label and annotation keys, resource names):
 * an optional DNS subdomain prefix and '/', then a name.
 */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = []
  const parts = value.split('/')
  let name: string
  if (parts.length === 1) {
    name = parts[0]!
  } else if (parts.length === 2) {
    const prefix = parts[0]!
    name = parts[1]!
    if (prefix === '') errs.push('prefix part must be non-empty')
    else errs.push(...dns1123Subdomain(prefix, maxLenBytes).map((m) => `prefix part ${m}`))
  } else {
    return [`a valid label key ${regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`]
  }
  if (name === '') errs.push('name part must be non-empty')
  else if (goLen(name) > 63) errs.push(`name part ${maxLenBytes(63)}`)
  if (!LABEL_KEY.test(name)) errs.push(`name part ${regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc')}`)
  return errs
}

/** validation.IsValidPortNum. */
export const isValidPortNum = (port: number): string[] => (port >= 1 && port <= 65535 ? [] : ['must be between 1 and 65535, inclusive'])

/** validation.IsValidPortName: an IANA_SVC_NAME. */
export function isValidPortName(port: string): string[] {
  const errs: string[] = []
  if (goLen(port) > 15) errs.push(maxLenCharacters(15))
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)')
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)')
  if (port.includes('--')) errs.push('must not contain consecutive hyphens')
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen')
  return errs
}

/** hasChDirPrefix: '.', '..' and a leading '..' are refused. */
function hasChDirPrefix(value: string): string[] {
  if (value === '.') return ["must not be '.'"]
  if (value === '..') return ["must not be '..'"]
  return value.startsWith('..') ? ["must not start with '..'"] : []
}

const CONFIG_MAP_KEY_FMT = '[-._a-zA-Z0-9]+'
const CONFIG_MAP_KEY = new RegExp(`^${CONFIG_MAP_KEY_FMT}$`)

/** validation.IsConfigMapKey. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = []
  if (goLen(value) > 253) errs.push(maxLenCharacters(253))
  if (!CONFIG_MAP_KEY.test(value)) errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", CONFIG_MAP_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'))
  return [...errs, ...hasChDirPrefix(value)]
}

/** validation.IsRelaxedEnvVarName for a non-empty name (callers report "" as Required): printable ASCII other than '='. */
export function isRelaxedEnvVarName(value: string): string[] {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x20 || c > 0x7e || c === 0x3d) return ["a valid environment variable name must consist only of printable ASCII characters other than '='"]
  }
  return []
}

/** validatePathNoBacksteps finds a '..' element (the API server runs on Linux: '/' separates). */
export const hasBacksteps = (path: string): boolean => path.split('/').includes('..')

/** path.IsAbs. */
export const isAbsolute = (path: string): boolean => path.startsWith('/')
