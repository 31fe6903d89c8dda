import t from 'tap'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureDevCertificates, generateCertificates } from '../../src/certs/generate.js'

t.test('a CA and a serving certificate: ECDSA P-256, SANs, chain, key usage', async (t) => {
  const b = await generateCertificates({ caName: 'test CA', dnsNames: ['svc.ns.svc', 'svc.ns.svc.cluster.local'], ipAddresses: ['127.0.0.1'], days: 30 })
  const ca = new X509Certificate(b.caCert)
  const leaf = new X509Certificate(b.cert)
  t.ok(ca.ca, 'the CA is a CA')
  t.notOk(leaf.ca, 'the leaf is not')
  t.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), 'the leaf is signed by the CA')
  t.equal(leaf.subject, 'CN=svc.ns.svc')
  t.equal(leaf.subjectAltName, 'DNS:svc.ns.svc, DNS:svc.ns.svc.cluster.local, IP Address:127.0.0.1')
  t.equal(leaf.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1')
  t.same(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'serverAuth only')
  const days = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000
  t.ok(days > 29 && days < 31, `valid for the days asked (${days})`)
  t.match(b.key, /^-----BEGIN PRIVATE KEY-----/)
})

t.test('client certificates and IP-only certificates', async (t) => {
  const b = await generateCertificates({ caName: 'test CA', dnsNames: [], ipAddresses: ['127.0.0.1'], clientAuth: true })
  const leaf = new X509Certificate(b.cert)
  t.equal(leaf.subject, 'CN=127.0.0.1')
  t.same(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'])
  const nameless = new X509Certificate((await generateCertificates({ caName: 'test CA', dnsNames: [] })).cert)
  t.equal(nameless.subject, 'CN=ephemeral-guard')
})

t.test('development certificates are created once, keys private', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'eg-certs-')), 'certs')
  const first = await ensureDevCertificates(dir)
  t.equal(first.created, true)
  t.equal(statSync(first.keyFile).mode & 0o777, 0o600)
  t.equal(statSync(join(dir, 'ca.key')).mode & 0o777, 0o600)
  const cert = readFileSync(first.certFile, 'utf8')
  const second = await ensureDevCertificates(dir)
  t.equal(second.created, false)
  t.equal(readFileSync(second.certFile, 'utf8'), cert, 'reused, not replaced')
  t.match(new X509Certificate(cert).subjectAltName, /DNS:localhost, IP Address:127\.0\.0\.1/)
})
