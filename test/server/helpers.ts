// Helpers for the server-operations tests: a Prometheus text-format reader, plain HTTP calls to the
// operations port, certificate files on disk, and TLS facts of a live connection.
import { request as httpRequest } from 'node:http'
import { request as httpsRequest, type Agent } from 'node:https'
import { X509Certificate } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import { webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import '../../src/certs/generate.js' // sets @peculiar/x509's crypto provider and Reflect metadata

export interface Sample { readonly name: string; readonly labels: Readonly<Record<string, string>>; readonly value: number }

/**
 * Reads the Prometheus text exposition format (version 0.0.4): every sample line, with its labels
 * unescaped. Comment lines (# HELP, # TYPE) are skipped. Throws on a line it cannot read, so a
 * malformed exposition fails the test.
 */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    let i = 0
    while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++
    const name = line.slice(0, i)
    const labels: Record<string, string> = {}
    if (line[i] === '{') {
      i++
      while (line[i] !== '}') {
        const eq = line.indexOf('=', i)
        const key = line.slice(i, eq)
        if (line[eq + 1] !== '"') throw new Error(`bad label in ${line}`)
        let value = ''
        let j = eq + 2
        for (; line[j] !== '"'; j++) {
          if (j >= line.length) throw new Error(`unterminated label value in ${line}`)
          if (line[j] === '\\') {
            j++
            value += line[j] === 'n' ? '\n' : line[j]
          } else value += line[j]
        }
        labels[key] = value
        i = j + 1
        if (line[i] === ',') i++
      }
      i++
    }
    if (line[i] !== ' ') throw new Error(`no value in ${line}`)
    const text = line.slice(i + 1).split(' ')[0]!
    const value = Number(text) // also +Inf and -Inf; NaN is spelt in any case (Go's ParseFloat)
    if (Number.isNaN(value) && text.toLowerCase() !== 'nan') throw new Error(`bad value in ${line}`)
    out.push({ name, labels, value })
  }
  return out
}

/** The value of the one sample named `name` whose labels include `labels`; undefined if none. */
export function valueOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  if (found.length > 1) throw new Error(`${found.length} samples match ${name} ${JSON.stringify(labels)}`)
  return found[0]?.value
}

export interface PlainResult { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** One plain-HTTP request (the operations port). */
export function httpCall(url: string, method = 'GET'): Promise<PlainResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent: false }, (res) => { // a new connection each time, as a probe makes
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** GET /metrics, parsed. */
export async function scrape(opsUrl: string): Promise<Sample[]> {
  const res = await httpCall(`${opsUrl}/metrics`)
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`)
  return parsePrometheus(res.body)
}

export { secretVolume } from '../support/volume.js'

export const serialOf = (pem: string): string => new X509Certificate(pem).serialNumber.toUpperCase()

export interface HttpsResult { status: number; headers: Record<string, string | string[] | undefined>; body: string; serial: string; reused: boolean }

/**
 * One HTTPS request with the given trust (and optional client certificate and agent); resolves with
 * the status, body, the serial number of the certificate the server presented, and whether the
 * connection was reused (keep-alive).
 */
export function httpsCall(url: string, o: { ca: string | string[]; method?: string; body?: string; agent?: Agent | false; cert?: string; key?: string; servername?: string }): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, {
      method: o.method ?? 'GET',
      ca: o.ca,
      ...(o.agent !== undefined ? { agent: o.agent } : {}),
      ...(o.cert ? { cert: o.cert, key: o.key } : {}),
      ...(o.servername ? { servername: o.servername } : {}),
      headers: o.body === undefined ? {} : { 'content-type': 'application/json' },
    }, (res) => {
      const socket = res.socket as TLSSocket
      // Empty once the server closed the connection (Connection: close) before this callback ran.
      const serial = (socket.getPeerCertificate().serialNumber ?? '').toUpperCase()
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), serial, reused: req.reusedSocket }))
    })
    req.on('error', reject)
    req.end(o.body)
  })
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/**
 * A self-signed certificate and its key that parse and match, but with a 512-bit RSA key, which
 * OpenSSL refuses to serve ("ee key too small").
 */
export async function weakRsaPair(): Promise<{ cert: string; key: string }> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 512 }
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair
  const notBefore = new Date()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({ name: 'CN=localhost', keys, signingAlgorithm: alg, notBefore, notAfter: new Date(notBefore.getTime() + 86_400_000) })
  return { cert: cert.toString('pem'), key: x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY') }
}
