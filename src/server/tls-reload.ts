// The serving certificate (and the optional client CA), read from files and reloaded when their content
// changes, without a restart and without touching established connections.
//
// The files are re-read by the content poller (src/content-poller.ts), the one the policy file uses: a
// change is taken only when two consecutive polls, one interval apart, read the same content, so a
// file caught half-written is never judged. A stable change is checked in full (parses, key matches
// certificate, Node accepts the whole secure context, the certificate is valid now) before it is
// swapped in; a bad one keeps the current pair serving.
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { createSecureContext, type SecureContextOptions, type TlsOptions } from 'node:tls'
import type { Logger } from 'pino'
import type { ReloadResult } from './metrics.js'
import { pemCertificates } from '../certs/pem.js'
import { ContentPoller, readContents, type PollResult, type Refusal } from '../content-poller.js'
import { TlsMaterialError } from '../errors.js'

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


const WHAT = ['certificate', 'private key', 'client CA'] as const

/** The files in the order the poller reads them: certificate, key, then the client CA if any. */
const fileList = (files: TlsFiles): string[] => [files.certFile, files.keyFile, ...(files.clientCaFile !== undefined ? [files.clientCaFile] : [])]

const unreadable = (index: number, file: string, e: Error): TlsMaterialError => new TlsMaterialError(`cannot read the ${WHAT[index]} ${file}: ${e.message}`)

type RawFiles = { cert: Buffer; key: Buffer; clientCa?: Buffer }

const rawOf = ([cert, key, clientCa]: readonly Buffer[]): RawFiles => ({ cert: cert!, key: key!, ...(clientCa !== undefined ? { clientCa } : {}) })

const contentsOf = (m: RawFiles): Buffer[] => [m.cert, m.key, ...(m.clientCa !== undefined ? [m.clientCa] : [])]

/**
 * Why a serving certificate is refused at `now`: outside its validity window every client would refuse
 * it, so it must not replace one that works. One issued a little ahead of this clock is retried.
 */
function validity(m: TlsMaterial, files: TlsFiles, now: Date): Refusal | undefined {
  const { notBefore, notAfter } = m.certificate
  if (now < notBefore) return { reason: `the certificate in ${files.certFile} is not valid yet: notBefore ${notBefore.toISOString()}`, retry: true }
  if (now > notAfter) return { reason: `the certificate in ${files.certFile} has expired: notAfter ${notAfter.toISOString()}` }
  return undefined
}

/**
 * Checks raw file contents: throws TlsMaterialError saying what is wrong, never a half-usable pair.
 * The validity window is not judged here (a reload judges it, see validity()); the pair serve starts
 * with is taken as it is, and doctor and the expiry metric tell about it.
 */
export function checkTlsMaterial(raw: RawFiles, files: TlsFiles): TlsMaterial {
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
export const loadTlsMaterial = (files: TlsFiles): TlsMaterial => checkTlsMaterial(rawOf(readContents(fileList(files), unreadable)), files)

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

/**
 * Re-reads the files (src/content-poller.ts: two equal reads one poll apart, then checked in full and
 * inside its validity window) and swaps the server's secure context when their content changes.
 * Established connections keep the context they were made with; new handshakes get the new one.
 */
export class CertificateReloader {
  private readonly poller: ContentPoller<TlsMaterial>

  constructor(target: SecureContextTarget, files: TlsFiles, initial: TlsMaterial, logger: Logger, now: () => Date = () => new Date()) {
    this.poller = new ContentPoller<TlsMaterial>({
      files: fileList(files),
      unreadable,
      parse: (contents) => checkTlsMaterial(rawOf(contents), files),
      acceptable: (m, at) => validity(m, files, at),
      commit: (m) => target.setSecureContext(secureContextOptions(m)),
      initial: { contents: contentsOf(initial), value: initial },
      logger,
      log: {
        reloaded: ({ certificate: { serialNumber, notAfter } }) =>
          [{ certFile: files.certFile, serialNumber, notAfter: notAfter.toISOString() }, 'certificate reloaded; new connections use it'],
        failed: (e, { certificate: { serialNumber, notAfter } }) =>
          [{ error: e.message, certFile: files.certFile, keyFile: files.keyFile, serving: { serialNumber, notAfter: notAfter.toISOString() } },
            'certificate reload failed; the current certificate keeps serving'],
      },
      clock: now,
    })
  }

  /** The material in use. */
  get material(): TlsMaterial {
    return this.poller.value
  }

  status(): CertificateStatus {
    const { serialNumber, notAfter } = this.poller.value.certificate
    const failed = this.poller.lastFailure
    return {
      serialNumber, notAfter: notAfter.toISOString(),
      ...(failed ? { reloadError: { message: 'certificate files are unusable; the current certificate keeps serving', error: failed.error.message, at: failed.at.toISOString() } } : {}),
    }
  }

  /** Called after every reload attempt that is also logged: once per changed content or read failure. */
  onReload(listener: CertificateListener): void {
    this.poller.onReload((e) => listener(e.result === 'success' ? { result: e.result, material: e.value } : { result: e.result, material: e.value, error: e.error.message }))
  }

  /**
   * Reads the files once. Returns what happened: unchanged; pending (a change read for the first time,
   * or different from the one read last time: nothing judged yet); reloaded (the same changed content
   * read twice in a row, checked and now serving); invalid (unreadable, or a stable change refused:
   * the current pair keeps serving).
   */
  check(): PollResult {
    return this.poller.check()
  }

  start(intervalMs: number): void {
    this.poller.start(intervalMs)
  }

  stop(): void {
    this.poller.stop()
  }
}
