// How Go prints and trims text, where Kubernetes' messages depend on it: strconv.Quote (fmt's %q, for
// strings in field errors and messages), encoding/json's string encoding (used by field.Error for
// values that are no plain string, number or bool: named string types such as MountPropagationMode,
// pointers, structs) and unicode.IsSpace.

/** Go's unicode.IsSpace: Latin-1 spaces (U+0085 and U+00A0 included) and Unicode White_Space; U+FEFF is none. */
export function isGoSpace(codePoint: number): boolean {
  if (codePoint <= 0xff) return codePoint === 0x20 || (codePoint >= 0x09 && codePoint <= 0x0d) || codePoint === 0x85 || codePoint === 0xa0
  return codePoint === 0x1680 || (codePoint >= 0x2000 && codePoint <= 0x200a) || codePoint === 0x2028 || codePoint === 0x2029 ||
    codePoint === 0x202f || codePoint === 0x205f || codePoint === 0x3000
}

/** Go's strings.TrimSpace. */
export function goTrimSpace(s: string): string {
  const chars = [...s]
  let start = 0
  let end = chars.length
  while (start < end && isGoSpace(chars[start]!.codePointAt(0)!)) start++
  while (end > start && isGoSpace(chars[end - 1]!.codePointAt(0)!)) end--
  return chars.slice(start, end).join('')
}

/** Go's len() of a string: its length in UTF-8 bytes. */
export const goLen = (s: string): number => Buffer.byteLength(s, 'utf8')

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' }
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0')
const hex4 = (n: number): string => `\\u${hex(n, 4)}`

/**
 * A string as encoding/json writes it: HTML characters, controls and U+2028/U+2029 escaped. A lone
 * surrogate is U+FFFD, which Go's decoder made of it before anything was encoded.
 */
function goJsonString(s: string): string {
  let out = '"'
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    const short = SHORT_ESCAPES[ch]
    if (short !== undefined) out += short
    else if (cp < 0x20 || ch === '<' || ch === '>' || ch === '&' || cp === 0x2028 || cp === 0x2029) out += hex4(cp)
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\ufffd'
    else out += ch
  }
  return `${out}"`
}

export type GoJson = string | number | boolean | null | readonly GoJson[] | { readonly [key: string]: GoJson }

/**
 * A value as encoding/json's Marshal writes it. Objects keep their key order: build them in the Go
 * struct's field order (Go names, nil pointers as null), as Kubernetes' internal types have no JSON tags.
 */
export function goJson(v: GoJson): string {
  if (typeof v === 'string') return goJsonString(v)
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (Array.isArray(v)) return `[${(v as readonly GoJson[]).map(goJson).join(',')}]`
  return `{${Object.entries(v).map(([k, x]) => `${goJsonString(k)}:${goJson(x)}`).join(',')}}`
}

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u
const QUOTE_ESCAPES: Readonly<Record<string, string>> = { '\u0007': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' }

/** Go's strconv.Quote (fmt's %q): printable runes as they are, the rest escaped; a lone surrogate as U+FFFD. */
export function goQuote(s: string): string {
  let out = '"'
  for (const ch of s) {
    let cp = ch.codePointAt(0)!
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd
    const c = String.fromCodePoint(cp)
    if (c === '"' || c === '\\') out += `\\${c}`
    else if (PRINTABLE.test(c)) out += c
    else if (QUOTE_ESCAPES[c] !== undefined) out += QUOTE_ESCAPES[c]
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`
    else out += `\\U${hex(cp, 8)}`
  }
  return `${out}"`
}
