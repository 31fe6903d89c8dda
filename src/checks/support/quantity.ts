// resource.Quantity (k8s.io/apimachinery/pkg/api/resource) as far as validation reads it: ParseQuantity;
// sign, comparison, whole units and Value(); and Quantity.String() — the text as written when
// ParseQuantity deems it canonical already (then "+5", "1e0" or "05" print as such), the canonical form
// otherwise (whose exponent keeps the format of the suffix it was written with: "1000m" is "1", "1e3"
// stays "1e3", "1024Ki" is "1Mi"). The API server sends webhooks that text. A value is exact:
// mantissa × 10^scale, in BigInts. A quantity the API server cannot parse never reaches a webhook
// (decodable.ts refuses it as the API server does, before admission).

type Format = 'DecimalSI' | 'DecimalExponent' | 'BinarySI'
export interface Quantity { readonly text: string; readonly mantissa: bigint; readonly scale: number; readonly format: Format; readonly keepsText: boolean }

const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 }
const BINARY: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 }
const DECIMAL_SUFFIX: Readonly<Record<number, string>> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' }
const BINARY_SUFFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei']

/** The suffix's format and exponent (of 10, or of 2 for binary suffixes): quantitySuffixer.interpret. */
function interpret(suffix: string): { format: Format; exponent: number } | undefined {
  if (Object.hasOwn(DECIMAL, suffix)) return { format: 'DecimalSI', exponent: DECIMAL[suffix]! }
  if (Object.hasOwn(BINARY, suffix)) return { format: 'BinarySI', exponent: BINARY[suffix]! }
  const e = /^[eE]([+-]?[0-9]+)$/.exec(suffix)
  return e === null ? undefined : { format: 'DecimalExponent', exponent: Number(e[1]) }
}

/** ParseQuantity; undefined when Go refuses the text. Precision beyond nano is rounded up, as Go does. */
export function parseQuantity(text: string): Quantity | undefined {
  if (text === '') return undefined
  if (text === '0') return { text, mantissa: 0n, scale: 0, format: 'DecimalSI', keepsText: true }
  // parseQuantityString: sign, leading zeros stripped, digits, optional '.' and digits, then the suffix.
  const m = /^([+-]?)0*([0-9]*)(?:\.([0-9]*))?((?:[eEinumkKMGTP]*)(?:[+-]?[0-9]*))$/.exec(text)
  if (m === null) return undefined
  const [, sign, digits = '', denom = '', suffix = ''] = m
  const num = digits === '' ? '0' : digits
  const unit = interpret(suffix)
  if (unit === undefined) return undefined
  const negative = sign === '-'
  let mantissa = BigInt(`${num}${denom}`)
  let scale = -denom.length
  let keepsText = false
  if (unit.format === 'BinarySI') {
    mantissa *= 2n ** BigInt(unit.exponent)
    const precision = 15 - num.length - Math.trunc(Math.fround(unit.exponent * 3 / 10)) - 1
    keepsText = denom === '' && precision >= 0 && BigInt(num) * 2n ** BigInt(unit.exponent) < 2n ** 63n && (BigInt(num) & 7n) !== 0n
  } else {
    scale += unit.exponent
    const shifted = `${num}${denom}`
    keepsText = 18 - shifted.length >= 0 && scale >= -9 && scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0'
  }
  if (scale < -9) {
    const cut = 10n ** BigInt(-9 - scale)
    mantissa = (mantissa + cut - 1n) / cut
    scale = -9
  }
  return { text, mantissa: negative ? -mantissa : mantissa, scale, format: unit.format, keepsText }
}

/** A JSON quantity: a string, or a number (which the API server reads as its decimal text). */
export function quantityOf(v: unknown): Quantity | undefined {
  if (typeof v === 'string') return parseQuantity(v)
  if (typeof v === 'number' && Number.isFinite(v)) return parseQuantity(String(v))
  return undefined
}

/** Sign(). */
export const sign = (q: Quantity): number => (q.mantissa > 0n ? 1 : q.mantissa < 0n ? -1 : 0)

/** Cmp(). */
export function compare(a: Quantity, b: Quantity): number {
  const scale = Math.min(a.scale, b.scale)
  const l = a.mantissa * 10n ** BigInt(a.scale - scale)
  const r = b.mantissa * 10n ** BigInt(b.scale - scale)
  return l < r ? -1 : l > r ? 1 : 0
}

/** The quantity × 10^-to, rounded up (toward +∞), as ScaledValue rounds. */
function scaledUp(q: Quantity, to: number): bigint {
  if (q.scale >= to) return q.mantissa * 10n ** BigInt(q.scale - to)
  const unit = 10n ** BigInt(to - q.scale)
  const t = q.mantissa / unit
  return q.mantissa % unit !== 0n && q.mantissa > 0n ? t + 1n : t
}

/** MilliValue() % 1000 == 0: a whole number (milli-units rounded up, as Kubernetes rounds). */
export const isWhole = (q: Quantity): boolean => scaledUp(q, -3) % 1000n === 0n

/** Value(): the quantity rounded up to an integer. */
export const value = (q: Quantity): bigint => scaledUp(q, 0)

function decimalString(mantissa: bigint, scale: number, format: Format): string {
  let amount = mantissa
  let exponent = scale
  while (amount % 10n === 0n) {
    amount /= 10n
    exponent++
  }
  const rest = ((exponent % 3) + 3) % 3
  amount *= 10n ** BigInt(rest)
  exponent -= rest
  const suffix = format === 'DecimalSI' && Object.hasOwn(DECIMAL_SUFFIX, exponent) ? DECIMAL_SUFFIX[exponent]! : exponent === 0 ? '' : `e${exponent}`
  return `${amount}${suffix}`
}

/** Quantity.String(). */
export function quantityString(q: Quantity): string {
  if (q.keepsText) return q.text
  if (q.mantissa === 0n) return '0'
  if (q.format === 'BinarySI') {
    const unit = 10n ** BigInt(Math.max(0, -q.scale))
    const integral = q.mantissa % unit === 0n
    const value = q.mantissa / unit
    if (integral && (value >= 1024n || value <= -1024n)) {
      let amount = value
      let times = 0
      while (amount % 1024n === 0n && times < BINARY_SUFFIX.length - 1) {
        amount /= 1024n
        times++
      }
      return `${amount}${BINARY_SUFFIX[times]}`
    }
    return decimalString(q.mantissa, q.scale, 'DecimalSI')
  }
  return decimalString(q.mantissa, q.scale, q.format)
}
