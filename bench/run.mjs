// npm run bench: /validate under load against a bare Fastify HTTPS baseline, same run, same machine.
// Two kinds of phase per target: saturation (autocannon, closed loop: throughput) and steady rates
// (our open-loop generator, bench/steady.mjs: latency at a realistic load). Both targets run at once
// in their own processes and the phases alternate between them, in rounds, so a neighbour's load on
// a shared machine hits both alike; each figure is the median over the rounds. Loopback only.
import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import autocannon from 'autocannon'
import { generateCertificates } from '../dist/certs/generate.js'
import { steadyRate } from './steady.mjs'

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const SATURATION_S = Number(process.env.BENCH_DURATION ?? 4)
const WARMUP_S = 2
// Latency is measured at steady offered rates: at saturation, p99 measures queueing (Little's law:
// 50 connections / 6,000 req/s is already 8 ms per request), not the webhook's own cost.
const RATES = (process.env.BENCH_RATES ?? '500,1000').split(',').map(Number)
const STEADY_S = Number(process.env.BENCH_STEADY_DURATION ?? 4)
const TARGETS = ['baseline', 'ephemeral-guard']
const body = JSON.stringify(JSON.parse(readFileSync(new URL('../test/fixtures/admission-review/debug-general.json', import.meta.url), 'utf8')))

const certs = await generateCertificates({ caName: 'bench CA', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })

// As the API server calls it: with its deadline, so the per-request timer is measured too.
const saturate = (port, duration) => autocannon({
  url: `https://127.0.0.1:${port}/validate?timeout=5s`,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body,
  connections: CONNECTIONS,
  duration,
})

async function start(target) {
  const child = fork(new URL('./server.mjs', import.meta.url), [target, Buffer.from(certs.cert).toString('base64'), Buffer.from(certs.key).toString('base64')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const { port } = await new Promise((resolve) => child.once('message', resolve))
  // Check the target answers correctly before timing it, then warm it up (JIT, connections).
  const probe = await saturate(port, 1)
  if (probe.non2xx > 0 || probe.errors > 0) throw new Error(`${target}: ${probe.non2xx} non-2xx, ${probe.errors} errors`)
  await saturate(port, WARMUP_S)
  const cpuUs = async () => {
    child.send('cpu')
    return (await new Promise((resolve) => child.once('message', resolve))).cpuUs
  }
  const stop = async () => {
    child.send('stop')
    const { peakRss } = await new Promise((resolve) => child.once('message', resolve))
    return peakRss
  }
  return { target, port, cpuUs, stop }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const loadBefore = loadavg()[0]
const servers = []
for (const target of TARGETS) servers.push(await start(target))
// results[target] = { saturation: [autocannon result per round], steady: { [rate]: [steadyRate result per round] } }
const results = Object.fromEntries(TARGETS.map((t) => [t, { saturation: [], steady: Object.fromEntries(RATES.map((r) => [r, []])) }]))
let errors = 0
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? servers : [...servers].reverse()
  for (const s of order) {
    const r = await saturate(s.port, SATURATION_S)
    errors += r.errors + r.non2xx + r.timeouts
    results[s.target].saturation.push(r)
  }
  for (const rate of RATES) {
    for (const s of order) {
      const cpuBefore = await s.cpuUs()
      const r = await steadyRate({ port: s.port, ca: certs.caCert, path: '/validate?timeout=5s', body, rate, durationS: STEADY_S })
      // Warm-up requests included: they are served by the same process in the same phase.
      r.cpuUsPerRequest = (await s.cpuUs() - cpuBefore) / (r.requests + r.warmupRequests)
      if (r.failures > 0) console.error(`${s.target} at ${rate} req/s: ${r.failures} failed requests, the first: ${r.firstFailure}`)
      errors += r.failures
      results[s.target].steady[rate].push(r)
    }
  }
}
const peakRss = {}
for (const s of servers) peakRss[s.target] = await s.stop()

const ms = (x) => x.toFixed(2).padStart(7)
const sat = (t, f) => median(results[t].saturation.map(f))
const steady = (t, rate, f) => median(results[t].steady[rate].map(f))
console.log(`POST /validate, ${body.length}-byte review, Node ${process.version}; ${ROUNDS} rounds alternating the targets, medians shown;`)
console.log(`load average (1 min) ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after, on ${availableParallelism()} CPUs`)
console.log(`saturation: autocannon, ${CONNECTIONS} connections, ${SATURATION_S} s a round`)
for (const t of TARGETS) {
  const rps = results[t].saturation.map((r) => r.requests.average)
  console.log(`  ${t.padEnd(16)} ${sat(t, (r) => r.requests.average).toFixed(0).padStart(6)} req/s (rounds ${rps.map((x) => x.toFixed(0)).join(', ')})  p50 ${sat(t, (r) => r.latency.p50)} ms  p99 ${sat(t, (r) => r.latency.p99)} ms  peak RSS ${(peakRss[t] / 1048576).toFixed(0)} MiB`)
}
// Paired by round: the two targets of a round ran back to back, under the same neighbours' load.
const ratios = results['ephemeral-guard'].saturation.map((g, i) => g.requests.average / results['baseline'].saturation[i].requests.average)
console.log(`  throughput ratio ${median(ratios).toFixed(2)} (rounds ${ratios.map((x) => x.toFixed(2)).join(', ')}; goal >= 0.70)`)
console.log(`steady rate: open loop, ${STEADY_S} s a round after 1 s warm-up, latency from each request's scheduled send time;`)
console.log('  "lag" is how late the generator itself sent (p99): when it is high, the machine was busy, not the target;')
console.log('  "CPU" is the target process\'s CPU time per request (user + system), which contention distorts least')
for (const rate of RATES) {
  for (const t of TARGETS) {
    const p99s = results[t].steady[rate].map((r) => r.p99.toFixed(1)).join(', ')
    console.log(`  ${String(rate).padStart(5)} req/s ${t.padEnd(16)} p50 ${ms(steady(t, rate, (r) => r.p50))} ms  p99 ${ms(steady(t, rate, (r) => r.p99))} ms (rounds ${p99s})  max ${ms(steady(t, rate, (r) => r.max))} ms  lag ${steady(t, rate, (r) => r.lagP99).toFixed(2)} ms  CPU ${steady(t, rate, (r) => r.cpuUsPerRequest).toFixed(0)} µs/req`)
  }
  const ratio = (f) => (steady('ephemeral-guard', rate, f) / steady('baseline', rate, f)).toFixed(2)
  const guardP99 = steady('ephemeral-guard', rate, (r) => r.p99)
  console.log(`  ${String(rate).padStart(5)} req/s guard/baseline p50 ${ratio((r) => r.p50)}  p99 ${ratio((r) => r.p99)}  CPU ${ratio((r) => r.cpuUsPerRequest)}; guard p99 ${guardP99.toFixed(2)} ms (goal < 5 ms)`)
}
console.log(`errors ${errors}`)
if (errors > 0) process.exitCode = 1
