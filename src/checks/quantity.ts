// resource.Quantity as far as validation reads it (k8s.io/apimachinery/pkg/api/resource): parsing,
// sign, comparison, whole units, and the canonical String() Kubernetes prints. Exact: a value is a
// rational number of BigInts. A quantity the API server cannot parse never reaches a webhook
// (decode.ts refuses it as the API server does, before admission).

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent'

export interface Quantity {
  /** value = num / den, den > 0 */
  readonly num: bigint
  readonly den: bigint
  readonly format: QuantityFormat
}

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/
const DECIMAL_SUFFIX: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 }
const BINARY_SUFFIX: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 }

const pow = (b: bigint, e: number): bigint => b ** BigInt(e)

/** ParseQuantity, or undefined where the API server would refuse the text. */
export function parseQuantity(text: string): Quantity | undefined {
  const m = QUANTITY.exec(text.trim() === text ? text : '')
  if (m === null) return undefined
  const [, numberPart, suffix] = m as unknown as [string, string, string]
  const n = /^([+-]?)([0-9]*)(?:\.([0-9]*))?$/.exec(numberPart)
  if (n === null || (n[2] === '' && (n[3] ?? '') === '')) return undefined
  const sign = n[1] === '-' ? -1n : 1n
  const frac = n[3] ?? ''
  let num = sign * BigInt(`${n[2] || '0'}${frac}` || '0')
  let den = pow(10n, frac.length)
  let format: QuantityFormat
  if (Object.hasOwn(DECIMAL_SUFFIX, suffix)) {
    format = 'DecimalSI'
    const e = DECIMAL_SUFFIX[suffix]!
    if (e >= 0) num *= pow(10n, e)
    else den *= pow(10n, -e)
  } else if (Object.hasOwn(BINARY_SUFFIX, suffix)) {
    format = 'BinarySI'
    num *= pow(2n, BINARY_SUFFIX[suffix]!)
  } else {
    const e = /^[eE]([-+]?[0-9]+)$/.exec(suffix)
    if (e === null) return undefined
    format = 'DecimalExponent'
    const x = Number(e[1])
    if (x >= 0) num *= pow(10n, x)
    else den *= pow(10n, -x)
  }
  return { num, den, format }
}

/** A JSON quantity: a string, or a number (which the API server reads as its decimal text). */
export function quantityOf(v: unknown): Quantity | undefined {
  if (typeof v === 'string') return parseQuantity(v)
  if (typeof v === 'number' && Number.isFinite(v)) return parseQuantity(String(v))
  return undefined
}

export const sign = (q: Quantity): number => (q.num > 0n ? 1 : q.num < 0n ? -1 : 0)
export const compare = (a: Quantity, b: Quantity): number => {
  const l = a.num * b.den
  const r = b.num * a.den
  return l < r ? -1 : l > r ? 1 : 0
}
/** MilliValue() % 1000 == 0: a whole number (milli-units rounded up, as Kubernetes rounds). */
export const isWhole = (q: Quantity): boolean => ceilDiv(q.num * 1000n, q.den) % 1000n === 0n
/** Value(): the quantity rounded up to an integer. */
export const value = (q: Quantity): bigint => ceilDiv(q.num, q.den)

function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a > 0n ? q + 1n : q
}

const DECIMAL_NAMES: Readonly<Record<number, string>> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' }
const BINARY_NAMES: Readonly<Record<number, string>> = { 0: '', 10: 'Ki', 20: 'Mi', 30: 'Gi', 40: 'Ti', 50: 'Pi', 60: 'Ei' }

/** Quantity.String(): canonical form, rounded up to nano-units. */
export function quantityString(q: Quantity): string {
  let format = q.format
  if (format === 'BinarySI') {
    const small = q.num * 1n > -1024n * q.den && q.num < 1024n * q.den
    if (small || q.num % q.den !== 0n) format = 'DecimalSI'
  }
  if (format === 'BinarySI') {
    let n = q.num / q.den
    let e = 0
    while (e < 60 && n !== 0n && n % 1024n === 0n) { n /= 1024n; e += 10 }
    return `${n}${BINARY_NAMES[e]}`
  }
  // mantissa * 10^exp, exp a multiple of 3, mantissa an integer as small as exact allows.
  let nano = ceilDiv(q.num * 1_000_000_000n, q.den)
  let exp = -9
  if (nano === 0n) return format === 'DecimalExponent' ? '0' : '0'
  while (nano % 1000n === 0n) { nano /= 1000n; exp += 3 }
  if (format === 'DecimalExponent') return exp === 0 ? `${nano}` : `${nano}e${exp}`
  if (exp > 18) return `${nano}e${exp}`
  return `${nano}${DECIMAL_NAMES[exp]}`
}
