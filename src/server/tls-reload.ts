// The serving certificate (and the optional client CA), read from files and reloaded when their content
// changes, without a restart and without touching established connections.
//
// Kubernetes updates a mounted Secret by swapping the ..data symlink, so inotify on the file path and
// mtimes are unreliable; like controller-runtime's certwatcher, the files are re-read on a timer and
// their content compared. As for the policy file (src/policy/watch.ts; keep both rules identical), a
// change is taken only when two consecutive polls, one interval apart, read the same content, so a
// file caught half-written is never judged. A stable change is checked in full (parses, key matches
// certificate, the certificate is valid now, Node accepts the whole secure context) before it is
// swapped in; a bad one keeps the current pair serving.
import { readFileSync } from 'node:fs'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { createSecureContext, type SecureContextOptions, type TlsOptions } from 'node:tls'
import type { Logger } from 'pino'
import type { ReloadResult } from './metrics.js'
import { pemCertificates } from '../certs/pem.js'
import { NotYetValidError, TlsMaterialError } from '../errors.js'

/**
 * TLS 1.2 as the floor (the API server's Go client speaks 1.3 too) with forward-secret AEAD suites
 * only; TLS 1.3 suites are all AEAD and left at Node's defaults.
 */
export const TLS_MIN_VERSION = 'TLSv1.2'
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':')

/** How often the files are re-read by default; controller-runtime's certwatcher uses the same 10 s. */
export const DEFAULT_TLS_RELOAD_INTERVAL_MS = 10_000

export interface TlsFiles {
  readonly certFile: string
  readonly keyFile: string
  /** PEM bundle of CAs whose client certificates may call the webhook; absent = no client certificates asked. */
  readonly clientCaFile?: string
}

/** One consistent, checked set of TLS files. */
export interface TlsMaterial {
  readonly cert: Buffer
  readonly key: Buffer
  readonly clientCa?: Buffer
  /** The leaf (first) certificate of cert. */
  readonly certificate: { readonly serialNumber: string; readonly subject: string; readonly notBefore: Date; readonly notAfter: Date }
  /** The earliest notAfter among the client CA certificates. */
  readonly clientCaNotAfter?: Date
}

/**
 * Everything setSecureContext needs. Node's Server#setSecureContext resets every option it is not
 * given (minVersion, ciphers, ca, ...) to Node's defaults, so every load and reload passes this whole
 * set, built in this one place.
 */
export function secureContextOptions(m: TlsMaterial): SecureContextOptions {
  return {
    cert: m.cert,
    key: m.key,
    minVersion: TLS_MIN_VERSION,
    ciphers: TLS12_CIPHERS,
    honorCipherOrder: true,
    ...(m.clientCa ? { ca: m.clientCa } : {}),
  }
}

/** The options the HTTPS server is created with: the secure context plus client-certificate policy. */
export function serverTlsOptions(m: TlsMaterial): TlsOptions {
  return {
    ...secureContextOptions(m),
    // With a client CA, a client without a certificate signed by it fails the handshake.
    ...(m.clientCa ? { requestCert: true, rejectUnauthorized: true } : {}),
  }
}


function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file)
  } catch (e) {
    throw new TlsMaterialError(`cannot read the ${what} ${file}: ${(e as Error).message}`)
  }
}

/** Reads the files once, without checking them. */
function readFiles(files: TlsFiles): { cert: Buffer; key: Buffer; clientCa?: Buffer } {
  return {
    cert: read(files.certFile, 'certificate'),
    key: read(files.keyFile, 'private key'),
    ...(files.clientCaFile !== undefined ? { clientCa: read(files.clientCaFile, 'client CA') } : {}),
  }
}

/**
 * Checks raw file contents: throws TlsMaterialError saying what is wrong, never a half-usable pair.
 * With `now`, a serving certificate whose validity window does not include it is refused too: every
 * client would refuse it, so it must not replace one that works.
 */
export function checkTlsMaterial(raw: { cert: Buffer; key: Buffer; clientCa?: Buffer }, files: TlsFiles, now?: Date): TlsMaterial {
  let leaf: X509Certificate
  try {
    leaf = new X509Certificate(raw.cert)
  } catch {
    throw new TlsMaterialError(`${files.certFile} holds no PEM certificate`)
  }
  let key
  try {
    key = createPrivateKey(raw.key)
  } catch {
    throw new TlsMaterialError(`${files.keyFile} holds no PEM private key`)
  }
  if (!leaf.checkPrivateKey(key)) throw new TlsMaterialError(`the private key in ${files.keyFile} does not match the certificate in ${files.certFile}`)
  const notBefore = new Date(leaf.validFrom)
  const notAfter = new Date(leaf.validTo)
  if (now !== undefined && now < notBefore) throw new NotYetValidError(`the certificate in ${files.certFile} is not valid yet: notBefore ${notBefore.toISOString()}`)
  if (now !== undefined && now > notAfter) throw new TlsMaterialError(`the certificate in ${files.certFile} has expired: notAfter ${notAfter.toISOString()}`)
  let clientCaNotAfter: Date | undefined
  if (raw.clientCa !== undefined) {
    const { certs, bad } = pemCertificates(raw.clientCa.toString('utf8'))
    if (bad > 0) throw new TlsMaterialError(`${files.clientCaFile} holds a certificate that does not parse`)
    for (const ca of certs) {
      const notAfter = new Date(ca.validTo)
      if (clientCaNotAfter === undefined || notAfter < clientCaNotAfter) clientCaNotAfter = notAfter
    }
    if (clientCaNotAfter === undefined) throw new TlsMaterialError(`${files.clientCaFile} holds no PEM certificate`)
  }
  const material: TlsMaterial = {
    ...raw,
    certificate: { serialNumber: leaf.serialNumber, subject: leaf.subject, notBefore, notAfter },
    ...(clientCaNotAfter ? { clientCaNotAfter } : {}),
  }
  try {
    createSecureContext(secureContextOptions(material)) // what setSecureContext will do; it must not throw there
  } catch (e) {
    throw new TlsMaterialError(`the certificate files cannot be used: ${(e as Error).message}`)
  }
  return material
}

/** Reads and checks the files; throws TlsMaterialError (serve then refuses to start). */
export const loadTlsMaterial = (files: TlsFiles): TlsMaterial => checkTlsMaterial(readFiles(files), files)

const sameContent = (a: { cert: Buffer; key: Buffer; clientCa?: Buffer }, b: { cert: Buffer; key: Buffer; clientCa?: Buffer }): boolean =>
  a.cert.equals(b.cert) && a.key.equals(b.key) && (a.clientCa === undefined ? b.clientCa === undefined : b.clientCa !== undefined && a.clientCa.equals(b.clientCa))

/** A TLS server, as far as reloading is concerned (node:tls and node:https servers both are). */
export interface SecureContextTarget {
  setSecureContext(options: SecureContextOptions): void
}

export type CertificateListener = (event: { readonly result: ReloadResult; readonly material: TlsMaterial; readonly error?: string }) => void

/** For /readyz: the serving certificate in use, and the last reload that failed while its files still hold that content. */
export interface CertificateStatus {
  readonly serialNumber: string
  readonly notAfter: string
  readonly reloadError?: { readonly message: string; readonly error: string; readonly at: string }
}

type RawFiles = { cert: Buffer; key: Buffer; clientCa?: Buffer }

/**
 * Re-reads the files on a timer and swaps the server's secure context when their content changes.
 * Established connections keep the context they were made with; new handshakes get the new one.
 */
export class CertificateReloader {
  private current: TlsMaterial
  /** The last content acted on (taken or refused), so a bad version is reported once, not every poll. */
  private lastSeen: RawFiles
  /** A changed content read once, judged if the next poll reads it again. */
  private pending: RawFiles | undefined
  /** lastSeen was refused only because it is not valid yet: it is judged again at every poll. */
  private notYetValid = false
  private lastReadError: string | undefined
  private reloadError: CertificateStatus['reloadError']
  private timer: NodeJS.Timeout | undefined
  private readonly listeners: CertificateListener[] = []

  constructor(
    private readonly target: SecureContextTarget,
    private readonly files: TlsFiles,
    initial: TlsMaterial,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.current = initial
    this.lastSeen = initial
  }

  /** The material in use. */
  get material(): TlsMaterial {
    return this.current
  }

  status(): CertificateStatus {
    const { serialNumber, notAfter } = this.current.certificate
    return { serialNumber, notAfter: notAfter.toISOString(), ...(this.reloadError ? { reloadError: this.reloadError } : {}) }
  }

  /** Called after every reload attempt on changed content. */
  onReload(listener: CertificateListener): void {
    this.listeners.push(listener)
  }

  /**
   * Reads the files once. Returns what happened: unchanged; pending (a change read for the first time,
   * or different from the one read last time: nothing judged yet); reloaded (the same changed content
   * read twice in a row, checked and now serving); invalid (unreadable, or a stable change refused:
   * the current pair keeps serving).
   */
  check(): 'unchanged' | 'pending' | 'reloaded' | 'invalid' {
    let raw
    try {
      raw = readFiles(this.files)
    } catch (e) {
      // A swap in progress or a partial write can hide a file briefly: keep serving, report once.
      const message = (e as Error).message
      if (message !== this.lastReadError) this.fail(message)
      this.lastReadError = message
      this.pending = undefined
      return 'invalid'
    }
    const hadReadError = this.lastReadError !== undefined
    this.lastReadError = undefined
    if (sameContent(raw, this.lastSeen)) {
      this.pending = undefined
      if (hadReadError && sameContent(raw, this.current)) this.reloadError = undefined // the files are back as they were
      // A certificate issued a little ahead of this clock is taken once it is valid, silently until then.
      if (this.notYetValid) return this.apply(raw, false)
      return 'unchanged'
    }
    if (this.pending === undefined || !sameContent(raw, this.pending)) {
      this.pending = raw
      return 'pending'
    }
    this.pending = undefined
    this.lastSeen = raw
    return this.apply(raw, true)
  }

  private apply(raw: RawFiles, report: boolean): 'unchanged' | 'reloaded' | 'invalid' {
    let next: TlsMaterial
    try {
      next = checkTlsMaterial(raw, this.files, this.now())
      this.target.setSecureContext(secureContextOptions(next))
    } catch (e) {
      this.notYetValid = e instanceof NotYetValidError
      if (!report) return 'unchanged'
      this.fail((e as Error).message)
      return 'invalid'
    }
    this.notYetValid = false
    this.current = next
    this.reloadError = undefined
    const { serialNumber, notAfter } = next.certificate
    this.logger.info({ certFile: this.files.certFile, serialNumber, notAfter: notAfter.toISOString() }, 'certificate reloaded; new connections use it')
    for (const l of this.listeners) l({ result: 'success', material: next })
    return 'reloaded'
  }

  private fail(error: string): void {
    const { serialNumber, notAfter } = this.current.certificate
    this.reloadError = { message: 'certificate files are unusable; the current certificate keeps serving', error, at: this.now().toISOString() }
    this.logger.error({ error, certFile: this.files.certFile, keyFile: this.files.keyFile, serving: { serialNumber, notAfter: notAfter.toISOString() } },
      'certificate reload failed; the current certificate keeps serving')
    for (const l of this.listeners) l({ result: 'failure', material: this.current, error })
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.check(), intervalMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }
}
