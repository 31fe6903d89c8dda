// npm run bench: every performance figure of issue 15 in one run, each with its ratio to a reference
// measured in the same run and its goal. Loopback only.
//  1. /validate under load against a bare Fastify HTTPS endpoint (parses the body, answers a fixed
//     allow): saturation (autocannon, closed loop) for throughput, CPU per request, p99 and peak RSS,
//     and steady rates (bench/steady.mjs, open loop) for latency at a realistic load. Both targets run
//     at once in their own processes and the phases alternate between them, in rounds, so a
//     neighbour's load on a shared machine hits both alike; each figure is the median over the rounds.
//  2. A 3 MiB review: decided in-process (parse, envelope, decision), and answered over HTTPS; bodies
//     over the 7 MiB limit: how much is read before the 413.
//  3. Compiling a policy of 200 rules (a fresh process): time and memory held.
//  4. Whole-process start-up: the CLI commands and `serve` to /readyz 200, against `node -e 0`.
// Knobs: BENCH_ROUNDS (5), BENCH_DURATION (5 s a saturation round), BENCH_CONNECTIONS (50),
// BENCH_RATES (500,1000), BENCH_STEADY_DURATION (4 s), BENCH_STARTUP_RUNS (7).
import { execFileSync, fork } from 'node:child_process'
import { availableParallelism, loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { generateCertificates } from '../dist/certs/generate.js'
import { decodeReview } from '../dist/admission/decode.js'
import { admit } from '../dist/admission/admit.js'
import { parseJson } from '../dist/admission/parse.js'
import { loadPolicyFile } from '../dist/policy/load.js'
import { CONNECTIONS, REVIEW_BODY, saturate } from './load.mjs'
import { largeReview, oversized, post } from './large.mjs'
import { startupTimes } from './startup.mjs'
import { steadyRate } from './steady.mjs'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const SATURATION_S = Number(process.env.BENCH_DURATION ?? 5)
const WARMUP_S = 2
// Latency is measured at steady offered rates too: at saturation, p99 measures queueing (Little's law:
// 50 connections / 6,000 req/s is already 8 ms per request), not the webhook's own cost.
const RATES = (process.env.BENCH_RATES ?? '500,1000').split(',').map(Number)
const STEADY_S = Number(process.env.BENCH_STEADY_DURATION ?? 4)
const STARTUP_RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 7)
const TARGETS = ['baseline', 'ephemeral-guard']
/** `node -e 0` on a quiet 2-core machine (issue 15): the start-up goals in ms are for such a machine. */
const QUIET_NODE_MS = 86

const certs = await generateCertificates({ caName: 'bench CA', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })
const loads = [loadavg()[0]]
const errorsSeen = []

async function start(target) {
  const child = fork(new URL('./server.mjs', import.meta.url), [target, Buffer.from(certs.cert).toString('base64'), Buffer.from(certs.key).toString('base64')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const { port } = await new Promise((resolve) => child.once('message', resolve))
  const ask = (m) => {
    child.send(m)
    return new Promise((resolve) => child.once('message', resolve))
  }
  // Check the target answers correctly before timing it, then warm it up (JIT, connections).
  const probe = await saturate(port, 1)
  if (probe.non2xx > 0 || probe.errors > 0) throw new Error(`${target}: ${probe.non2xx} non-2xx, ${probe.errors} errors`)
  await saturate(port, WARMUP_S)
  return { target, port, usage: () => ask('cpu'), stop: async () => (await ask('stop')).peakRss }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const fixed = (x, d = 2) => x.toFixed(d)
const goals = []
/** One figure against its goal; `better` is 'lower' or 'higher'. */
const goal = (what, value, limit, better, unit = '') => {
  const met = better === 'lower' ? value <= limit : value >= limit
  goals.push({ what, text: `${fixed(value)}${unit} (goal ${better === 'lower' ? '<=' : '>='} ${limit}${unit})`, met })
}

// 1. Under load.
const servers = []
for (const target of TARGETS) servers.push(await start(target))
const results = Object.fromEntries(TARGETS.map((t) => [t, { saturation: [], steady: Object.fromEntries(RATES.map((r) => [r, []])) }]))
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? servers : [...servers].reverse()
  for (const s of order) {
    const before = (await s.usage()).cpuUs
    const r = await saturate(s.port, SATURATION_S)
    r.cpuUsPerRequest = ((await s.usage()).cpuUs - before) / r.requests.total
    if (r.errors + r.non2xx + r.timeouts > 0) errorsSeen.push(`${s.target} saturation: ${r.errors} errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts`)
    results[s.target].saturation.push(r)
  }
  for (const rate of RATES) {
    for (const s of order) {
      const before = (await s.usage()).cpuUs
      const r = await steadyRate({ port: s.port, ca: certs.caCert, path: '/validate?timeout=5s', body: REVIEW_BODY, rate, durationS: STEADY_S })
      // Warm-up requests included: they are served by the same process in the same phase.
      r.cpuUsPerRequest = ((await s.usage()).cpuUs - before) / (r.requests + r.warmupRequests)
      if (r.failures > 0) errorsSeen.push(`${s.target} at ${rate} req/s: ${r.failures} failed requests, the first: ${r.firstFailure}`)
      results[s.target].steady[rate].push(r)
    }
  }
}
loads.push(loadavg()[0])

// 2. Large reviews, on the same servers (after the load phases, so they do not disturb them).
const large = largeReview()
const policy = loadPolicyFile(new URL('../policies/default.yaml', import.meta.url).pathname).policy
const decideLarge = () => {
  const start = performance.now()
  const { summary } = admit(decodeReview(parseJson(large.body)), 'validate', policy)
  const ms = performance.now() - start
  if (summary.outcome === 'errored') throw new Error(`the 3 MiB review errored: ${summary.note}`)
  return ms
}
for (let i = 0; i < 5; i++) decideLarge()
const decidedMs = median(Array.from({ length: 21 }, decideLarge))
const largeHttps = {}
for (const s of servers) {
  const times = []
  for (let i = 0; i < 11; i++) {
    const r = await post({ port: s.port, ca: certs.caCert, body: large.body })
    if (r.status !== 200) errorsSeen.push(`${s.target}: the 3 MiB review answered ${r.status}`)
    times.push(r.ms)
  }
  largeHttps[s.target] = median(times.slice(1))
}
const guard = servers.find((s) => s.target === 'ephemeral-guard')
const rssBefore = (await guard.usage()).rss
const declared = await oversized({ port: guard.port, ca: certs.caCert, chunked: false })
const chunked = await oversized({ port: guard.port, ca: certs.caCert, chunked: true })
const rssAfter = (await guard.usage()).rss
const peakRss = {}
for (const s of servers) peakRss[s.target] = await s.stop()

// 3. A policy of 200 rules, compiled in a fresh process.
const compiled = JSON.parse(execFileSync(process.execPath, ['--expose-gc', new URL('./policy-compile.mjs', import.meta.url).pathname, '200'], { encoding: 'utf8' }))

// 4. Start-up.
const startup = await startupTimes({ certs, runs: STARTUP_RUNS })
loads.push(loadavg()[0])

// Report.
const sat = (t, f) => median(results[t].saturation.map(f))
const steady = (t, rate, f) => median(results[t].steady[rate].map(f))
/** Median of the per-round ratios guard/baseline: the two ran back to back, under the same neighbours' load. */
const pairedSat = (f) => median(results['ephemeral-guard'].saturation.map((g, i) => f(g) / f(results.baseline.saturation[i])))
const pairedSteady = (rate, f) => median(results['ephemeral-guard'].steady[rate].map((g, i) => f(g) / f(results.baseline.steady[rate][i])))
const mib = (b) => (b / 1048576).toFixed(1)

console.log(`ephemeral-guard bench, Node ${process.version}, ${availableParallelism()} CPUs; load average (1 min) ${loads.map((l) => fixed(l)).join(' -> ')} (start, after the load phases, end)`)
console.log(`\n1. POST /validate?timeout=5s, ${REVIEW_BODY.length}-byte review; ${ROUNDS} rounds alternating the targets; medians (paired ratios: median of the rounds' ratios)`)
console.log(`saturation: autocannon, ${CONNECTIONS} connections, ${SATURATION_S} s a round; CPU = the target's user+system CPU time per request`)
for (const t of TARGETS) {
  const rps = results[t].saturation.map((r) => fixed(r.requests.average, 0)).join(', ')
  console.log(`  ${t.padEnd(16)} ${fixed(sat(t, (r) => r.requests.average), 0).padStart(6)} req/s (rounds ${rps})  CPU ${fixed(sat(t, (r) => r.cpuUsPerRequest), 0)} µs/req  p50 ${sat(t, (r) => r.latency.p50)} ms  p99 ${sat(t, (r) => r.latency.p99)} ms  peak RSS ${mib(peakRss[t])} MiB`)
}
const throughput = pairedSat((r) => r.requests.average)
const cpu = pairedSat((r) => r.cpuUsPerRequest)
const p99 = pairedSat((r) => r.latency.p99)
console.log(`  guard/baseline: throughput ${fixed(throughput)}  CPU/req ${fixed(cpu)}  p99 ${fixed(p99)}  peak RSS ${fixed(peakRss['ephemeral-guard'] / peakRss.baseline)}`)
goal('throughput at saturation, x bare', throughput, 0.8, 'higher')
goal('CPU per request at saturation, x bare', cpu, 1.25, 'lower')
goal('p99 at saturation, x bare', p99, 1.2, 'lower')
goal('peak RSS under load, x bare', peakRss['ephemeral-guard'] / peakRss.baseline, 1.1, 'lower')
console.log(`steady rate: open loop, ${STEADY_S} s a round after 1 s warm-up, latency from each request's scheduled send time;`)
console.log('  "lag" is how late the generator itself sent (p99): when it is high, the machine was busy, not the target')
for (const rate of RATES) {
  for (const t of TARGETS) {
    const p99s = results[t].steady[rate].map((r) => fixed(r.p99, 1)).join(', ')
    console.log(`  ${String(rate).padStart(5)} req/s ${t.padEnd(16)} p50 ${fixed(steady(t, rate, (r) => r.p50))} ms  p99 ${fixed(steady(t, rate, (r) => r.p99))} ms (rounds ${p99s})  max ${fixed(steady(t, rate, (r) => r.max))} ms  lag ${fixed(steady(t, rate, (r) => r.lagP99))} ms  CPU ${fixed(steady(t, rate, (r) => r.cpuUsPerRequest), 0)} µs/req`)
  }
  const ratio = pairedSteady(rate, (r) => r.p99)
  console.log(`  ${String(rate).padStart(5)} req/s guard/baseline: p50 ${fixed(pairedSteady(rate, (r) => r.p50))}  p99 ${fixed(ratio)}  CPU/req ${fixed(pairedSteady(rate, (r) => r.cpuUsPerRequest))}`)
  if (rate === 1000) goal('p99 at a steady 1,000 req/s, x bare', ratio, 1.1, 'lower')
}

console.log(`\n2. a ${mib(large.body.length)} MiB review (${large.containers} containers with 200 env variables each, in object and oldObject; one new debug container)`)
console.log(`  decided in-process (parse, envelope, decision, built-in policy): ${fixed(decidedMs)} ms (median of 21)`)
console.log(`  answered over HTTPS, a new connection each (upload included): ephemeral-guard ${fixed(largeHttps['ephemeral-guard'])} ms, baseline ${fixed(largeHttps.baseline)} ms (medians of 10)`)
goal('3 MiB review decided, ms', decidedMs, 15, 'lower', ' ms')
const refused = (r) => (r.status !== undefined ? `HTTP ${r.status}` : `connection closed (${r.closed})`) + ` after ${mib(r.sentBytes)} of ${mib(r.total)} MiB sent`
console.log(`  8 MiB body, content-length declared: ${refused(declared)}; chunked: ${refused(chunked)}; ephemeral-guard RSS ${mib(rssBefore)} -> ${mib(rssAfter)} MiB`)
for (const r of [declared, chunked]) {
  // Refused: a 413, or the connection closed by the server before the whole body went out.
  if (!(r.status === 413 || (r.status === undefined && r.sentBytes < r.total))) errorsSeen.push(`over the limit: ${refused(r)}, not refused`)
}

console.log(`\n3. a policy of ${compiled.rules} rules (${compiled.bytes} bytes of YAML, a custom schema in every tenth rule), compiled in a fresh process`)
console.log(`  first compile ${fixed(compiled.coldMs)} ms (Ajv loaded then); later compiles ${fixed(compiled.warmMs)} ms (median of 5); held after GC ${mib(compiled.heldBytes)} MiB`)
goal('200-rule policy, first compile, ms', compiled.coldMs, 200, 'lower', ' ms')
goal('200-rule policy, memory held, MiB', compiled.heldBytes / 1048576, 20, 'lower', ' MiB')

const node = startup['node -e 0'].median
console.log(`\n4. whole-process start-up, spawn to exit (serve: to its first /readyz 200), ${STARTUP_RUNS} runs each, interleaved; median (min-max)`)
console.log(`  the goals are for a quiet machine where node -e 0 takes ${QUIET_NODE_MS} ms: held here as ratios to node -e 0 (goal / ${QUIET_NODE_MS} ms)`)
for (const [name, r] of Object.entries(startup)) {
  const x = r.median / node
  console.log(`  ${name.padEnd(22)} ${fixed(r.median, 0).padStart(5)} ms (${fixed(r.min, 0)}-${fixed(r.max, 0)})  ${fixed(x)}x node -e 0${r.goal ? `  (goal ${r.goal} ms quiet = ${fixed(r.goal / QUIET_NODE_MS)}x)` : ''}`)
  if (r.goal) goal(`${name}, x node -e 0`, x, Number(fixed(r.goal / QUIET_NODE_MS)), 'lower')
}

console.log('\ngoals:')
for (const g of goals) console.log(`  ${g.met ? 'met    ' : 'NOT MET'}  ${g.what}: ${g.text}`)
console.log(`errors ${errorsSeen.length}${errorsSeen.length > 0 ? `: ${errorsSeen.join('; ')}` : ''}`)
if (errorsSeen.length > 0) process.exitCode = 1
