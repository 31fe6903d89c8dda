// One benchmark target in its own process, so the load generator never shares its event loop.
// argv[2]: "baseline" (bare Fastify HTTPS that parses the body and echoes an allowed response) or
// "ephemeral-guard" (the real app as serve builds it: decision line logged to /dev/null, metrics
// counted in a registry of its own).
import Fastify from 'fastify'
import pino from 'pino'
import { buildApp } from '../dist/server/app.js'
import { defaultPolicy } from '../dist/policy/default.js'
import { Metrics } from '../dist/server/metrics.js'
import { TLS12_CIPHERS, TLS_MIN_VERSION } from '../dist/server/tls-reload.js'

const [, , target, certB64, keyB64] = process.argv
const https = { cert: Buffer.from(certB64, 'base64'), key: Buffer.from(keyB64, 'base64'), minVersion: TLS_MIN_VERSION, ciphers: TLS12_CIPHERS }

let app
if (target === 'baseline') {
  app = Fastify({ https })
  app.post('/validate', async (req) => ({
    apiVersion: req.body.apiVersion, kind: 'AdmissionReview', response: { uid: req.body.request.uid, allowed: true },
  }))
} else {
  const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }))
  app = buildApp({ logger, policy: () => defaultPolicy, https, metrics: new Metrics({ version: 'bench' }), ready: () => true })
}
await app.listen({ host: '127.0.0.1', port: 0 })
let peakRss = process.memoryUsage().rss
setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }, 100).unref()
process.on('message', (m) => {
  // CPU time (user + system, µs) this process has used: per request, the target's own cost, which
  // other load on the machine stretches far less than it stretches latency.
  if (m === 'cpu') process.send({ cpuUs: (({ user, system }) => user + system)(process.cpuUsage()) })
  if (m === 'stop') {
    process.send({ peakRss }, () => process.exit(0))
  }
})
process.send({ port: app.server.address().port })
