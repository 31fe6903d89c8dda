import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { createLogger } from '../../src/log.js'
import { defaultPolicy } from '../../src/policy.js'
import { startServer } from '../../src/server/listen.js'
import { call, logSink, testCertificates } from '../support/server.js'

t.test('startServer: HTTPS from certificate files, TLS 1.2 clients served, closes cleanly', async (t) => {
  const certs = await testCertificates()
  const dir = mkdtempSync(join(tmpdir(), 'eg-listen-'))
  writeFileSync(join(dir, 'tls.crt'), certs.cert)
  writeFileSync(join(dir, 'tls.key'), certs.key)
  const sink = logSink()
  const app = await startServer({ host: '127.0.0.1', port: 0, certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), policy: () => defaultPolicy, logger: createLogger({ destination: sink.stream }) })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  const server = { url: `https://127.0.0.1:${address.port}`, ca: certs.caCert }
  t.equal((await call(server, 'GET', '/readyz')).status, 200)
  const protocol = await new Promise<string | null>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: address.port, ca: certs.caCert, servername: 'localhost', maxVersion: 'TLSv1.2' }, () => { resolve(s.getProtocol()); s.end() })
    s.on('error', reject)
  })
  t.equal(protocol, 'TLSv1.2', 'TLS 1.2 clients are served')
  await app.close()
  t.equal(app.server.listening, false)
})
