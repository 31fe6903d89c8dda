// One benchmark target in its own process, so the load generator never shares its event loop.
// argv[2]: "baseline" (bare Fastify HTTPS that parses the body and echoes an allowed response) or
// "ephemeral-guard" (the real app as serve builds it: its logger, with the decision line written to
// /dev/null, and its metrics, counted in a registry of its own with the process metrics).
// The parent asks over IPC: 'cpu' (CPU time used so far), 'stop' (peak RSS, then exit).
import Fastify from 'fastify'
import pino from 'pino'
import { buildApp } from '../dist/server/app.js'
import { createLogger } from '../dist/log.js'
import { loadPolicyFile } from '../dist/policy/load.js'
import { Metrics } from '../dist/server/metrics.js'
import { TLS12_CIPHERS, TLS_MIN_VERSION } from '../dist/server/tls-reload.js'

const [, , target, certB64, keyB64] = process.argv
const https = { cert: Buffer.from(certB64, 'base64'), key: Buffer.from(keyB64, 'base64'), minVersion: TLS_MIN_VERSION, ciphers: TLS12_CIPHERS }

let app
if (target === 'baseline') {
  app = Fastify({ https, bodyLimit: 7 * 1024 * 1024 }) // the same limit, so the 3 MiB review is parsed by both
  app.post('/validate', async (req) => ({
    apiVersion: req.body.apiVersion, kind: 'AdmissionReview', response: { uid: req.body.request.uid, allowed: true },
  }))
} else {
  const logger = createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: false }) })
  const { policy } = loadPolicyFile(new URL('../policies/default.yaml', import.meta.url).pathname)
  app = buildApp({ logger, policy: () => policy, https, metrics: new Metrics({ version: 'bench' }), ready: () => true })
}
await app.listen({ host: '127.0.0.1', port: 0 })
let peakRss = process.memoryUsage().rss
setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }, 100).unref()
process.on('message', (m) => {
  // CPU time (user + system, µs) this process has used: per request, the target's own cost, which
  // other load on the machine stretches far less than it stretches latency.
  if (m === 'cpu') process.send({ cpuUs: (({ user, system }) => user + system)(process.cpuUsage()), rss: process.memoryUsage().rss })
  if (m === 'stop') {
    process.send({ peakRss }, () => process.exit(0))
  }
})
process.send({ port: app.server.address().port })
