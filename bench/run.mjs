// npm run bench: /validate under load against a bare Fastify HTTPS baseline, same run, same machine.
// Prints req/s, p50/p99 latency and peak RSS for both, and the ratios. Loopback only; stops by itself.
import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { generateCertificates } from '../dist/certs/generate.js'

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10)
const WARMUP_S = 2
const body = JSON.stringify(JSON.parse(readFileSync(new URL('../test/fixtures/admission-review/debug-general.json', import.meta.url), 'utf8')))

const certs = await generateCertificates({ caName: 'bench CA', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })

// Latency is also measured at a fixed offered rate: at saturation, p99 measures queueing (Little's law:
// 50 connections / 6,000 req/s is already 8 ms per request), not the webhook's own cost.
const FIXED_RATE = Number(process.env.BENCH_RATE ?? 1000)

function load(port, duration, overallRate) {
  return autocannon({
    // Spread over the connections, so no single second starts with a burst of the whole rate.
    ...(overallRate ? { connectionRate: Math.max(1, Math.round(overallRate / CONNECTIONS)) } : {}),
    // As the API server calls it: with its deadline, so the per-request timer is measured too.
    url: `https://127.0.0.1:${port}/validate?timeout=5s`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration,
  })
}

async function measure(target) {
  const child = fork(new URL('./server.mjs', import.meta.url), [target, Buffer.from(certs.cert).toString('base64'), Buffer.from(certs.key).toString('base64')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const { port } = await new Promise((resolve) => child.once('message', resolve))
  // Check the target answers correctly before timing it.
  const probe = await load(port, 1)
  if (probe.non2xx > 0 || probe.errors > 0) throw new Error(`${target}: ${probe.non2xx} non-2xx, ${probe.errors} errors`)
  await load(port, WARMUP_S)
  const r = await load(port, DURATION_S)
  const fixed = await load(port, DURATION_S, FIXED_RATE)
  child.send('stop')
  const { peakRss } = await new Promise((resolve) => child.once('message', resolve))
  return {
    target, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99,
    fixedP50: fixed.latency.p50, fixedP99: fixed.latency.p99,
    errors: r.errors + r.non2xx + r.timeouts + fixed.errors + fixed.non2xx + fixed.timeouts, rssMiB: peakRss / 1048576,
  }
}

const baseline = await measure('baseline')
const guard = await measure('ephemeral-guard')
const row = (m) => `${m.target.padEnd(16)} ${m.rps.toFixed(0).padStart(8)} req/s  p50 ${String(m.p50).padStart(3)} ms  p99 ${String(m.p99).padStart(3)} ms | at ${FIXED_RATE} req/s: p50 ${m.fixedP50} ms  p99 ${m.fixedP99} ms | peak RSS ${m.rssMiB.toFixed(0)} MiB  errors ${m.errors}`
console.log(`POST /validate, ${body.length}-byte review, ${CONNECTIONS} connections, ${DURATION_S} s each (after ${WARMUP_S} s warm-up), Node ${process.version}`)
console.log(row(baseline))
console.log(row(guard))
const ratio = guard.rps / baseline.rps
console.log(`throughput ratio ${ratio.toFixed(2)} (goal >= 0.70); p99 at ${FIXED_RATE} req/s over ${CONNECTIONS} connections ${guard.fixedP99} ms (goal < 5 ms)`)
if (guard.errors > 0 || baseline.errors > 0) process.exitCode = 1
