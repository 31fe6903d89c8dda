// Certificate material for development, tests and self-managed installs: an ECDSA P-256 CA and a
// serving certificate signed by it, as PEM. Uses Node's WebCrypto through @peculiar/x509, so no
// openssl binary is needed.
// @peculiar/x509 resolves its ASN.1 helpers through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata'
import { webcrypto } from 'node:crypto'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

type KeyPair = webcrypto.CryptoKeyPair

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const
const DAY_MS = 86_400_000

export interface CertificateRequest {
  /** Common name of the CA. */
  readonly caName: string
  /** DNS subject alternative names of the serving certificate; the first is also its common name. */
  readonly dnsNames: readonly string[]
  readonly ipAddresses?: readonly string[]
  /** Validity of the serving certificate; the CA lives ten times longer. */
  readonly days?: number
  /** Start of the serving certificate's validity; five minutes ago (clock skew) by default. */
  readonly notBefore?: Date
  /** Adds clientAuth to the serving certificate's extended key usage (for client certificates). */
  readonly clientAuth?: boolean
}

export interface CertificateBundle {
  readonly caCert: string
  readonly caKey: string
  readonly cert: string
  readonly key: string
}

const pemKey = async (key: webcrypto.CryptoKey): Promise<string> =>
  x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY')

const generateKeys = async (): Promise<KeyPair> =>
  (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as KeyPair

export interface CertificateAuthority {
  /** PEM certificate. */
  readonly cert: string
  /** PEM PKCS#8 private key. */
  readonly key: string
}

/** A self-signed ECDSA P-256 CA, valid from five minutes ago (clock skew) for `days`. */
export async function createCertificateAuthority(name: string, days: number): Promise<CertificateAuthority> {
  const notBefore = new Date(Date.now() - 5 * 60_000)
  const keys = await generateKeys()
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys,
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * DAY_MS),
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  })
  return { cert: ca.toString('pem'), key: await pemKey(keys.privateKey) }
}

/**
 * A serving certificate (and its new private key) signed by `authority`. Throws when the
 * authority's key is not an ECDSA P-256 PKCS#8 key.
 */
export async function issueCertificate(authority: CertificateAuthority, req: Omit<CertificateRequest, 'caName'>): Promise<{ cert: string; key: string }> {
  const days = req.days ?? 365
  const notBefore = req.notBefore ?? new Date(Date.now() - 5 * 60_000)
  const ca = new x509.X509Certificate(authority.cert)
  const caKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(authority.key), ALGORITHM, false, ['sign'])
  const keys = await generateKeys()
  const names = [
    ...req.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...(req.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ]
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${req.dnsNames[0] ?? req.ipAddresses?.[0] ?? 'ephemeral-guard'}`,
    issuer: ca.subject,
    publicKey: keys.publicKey,
    signingKey: caKey,
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * DAY_MS),
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(req.clientAuth ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth] : [x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
    ],
  })
  return { cert: cert.toString('pem'), key: await pemKey(keys.privateKey) }
}

/** A new CA, living ten times longer than the serving certificate, and a serving certificate. */
export async function generateCertificates(req: CertificateRequest): Promise<CertificateBundle> {
  const ca = await createCertificateAuthority(req.caName, 10 * (req.days ?? 365))
  const leaf = await issueCertificate(ca, req)
  return { caCert: ca.cert, caKey: ca.key, cert: leaf.cert, key: leaf.key }
}

export interface DevCertificateFiles {
  readonly certFile: string
  readonly keyFile: string
  readonly caFile: string
  readonly created: boolean
}

/**
 * For `npm start`: a local CA and a serving certificate for localhost and 127.0.0.1 in dir, created
 * only when dir holds no serving certificate yet. Private keys are written 0600.
 */
export async function ensureDevCertificates(dir: string): Promise<DevCertificateFiles> {
  const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), caFile: join(dir, 'ca.crt') }
  if (existsSync(files.certFile) && existsSync(files.keyFile)) return { ...files, created: false }
  mkdirSync(dir, { recursive: true })
  const b = await generateCertificates({ caName: 'ephemeral-guard development CA', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })
  writeFileSync(files.caFile, b.caCert)
  writeFileSync(join(dir, 'ca.key'), b.caKey, { mode: 0o600 })
  writeFileSync(files.keyFile, b.key, { mode: 0o600 })
  writeFileSync(files.certFile, b.cert)
  return { ...files, created: true }
}
