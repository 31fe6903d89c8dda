// PEM certificate bundles (a caBundle, a client CA file) read with a plain scan, no regular expression.
import { X509Certificate } from 'node:crypto'

/** The PEM certificates in a text, in order; blocks that do not parse are skipped and counted. */
export function pemCertificates(text: string): { certs: X509Certificate[]; bad: number } {
  const BEGIN = '-----BEGIN CERTIFICATE-----'
  const END = '-----END CERTIFICATE-----'
  const certs: X509Certificate[] = []
  let bad = 0
  let at = text.indexOf(BEGIN)
  while (at !== -1) {
    const end = text.indexOf(END, at)
    if (end === -1) { bad++; break }
    try {
      certs.push(new X509Certificate(text.slice(at, end + END.length)))
    } catch {
      bad++
    }
    at = text.indexOf(BEGIN, end)
  }
  return { certs, bad }
}
