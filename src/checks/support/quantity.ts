// resource.Quantity as far as the divisor rules need it: parse, and print as Quantity.String() does
// (the canonical form, whose exponent keeps the format of the suffix it was written with). The API
// server sends webhooks canonical quantities already; this keeps `review` of a raw request right.

interface Parsed { readonly mantissa: bigint; readonly scale: number; readonly format: 'DecimalSI' | 'DecimalExponent' | 'BinarySI' }

const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 }
const BINARY: Readonly<Record<string, number>> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 }
const DECIMAL_SUFFIX: Readonly<Record<number, string>> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' }
const BINARY_SUFFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei']

/** ParseQuantity; undefined when Go would refuse the text. Precision beyond nano is rounded up, as Go does. */
export function parseQuantity(text: string): Parsed | undefined {
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(text)
  if (m === null) return undefined
  const [, sign, whole = '', frac = '', suffix = ''] = m
  if (whole === '' && frac === '') return undefined
  let mantissa = BigInt(`${whole}${frac}` || '0')
  let scale = -frac.length
  let format: Parsed['format'] = 'DecimalSI'
  if (Object.hasOwn(DECIMAL, suffix)) {
    scale += DECIMAL[suffix]!
  } else if (Object.hasOwn(BINARY, suffix)) {
    mantissa *= 1024n ** BigInt(BINARY[suffix]!)
    format = 'BinarySI'
  } else {
    const e = /^[eE]([+-]?[0-9]+)$/.exec(suffix)
    if (e === null) return undefined
    scale += Number(e[1])
    format = 'DecimalExponent'
  }
  if (scale < -9) {
    const cut = 10n ** BigInt(-9 - scale)
    mantissa = (mantissa + cut - 1n) / cut
    scale = -9
  }
  return { mantissa: sign === '-' ? -mantissa : mantissa, scale, format }
}

function decimalString(mantissa: bigint, scale: number, format: Parsed['format']): string {
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

/** Quantity.String(): "0" for zero, else the canonical mantissa and suffix. */
export function canonicalQuantity(q: Parsed): string {
  if (q.mantissa === 0n) return '0'
  if (q.format === 'BinarySI') {
    const integral = q.scale >= 0 || q.mantissa % 10n ** BigInt(-q.scale) === 0n
    const value = q.scale >= 0 ? q.mantissa * 10n ** BigInt(q.scale) : q.mantissa / 10n ** BigInt(-q.scale)
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
