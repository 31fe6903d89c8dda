// An open-loop load generator at a steady rate: request i is due at start + i / rate, whatever happened
// to the requests before it, and its latency runs from that scheduled time to the end of its response.
// A slow answer therefore cannot hold back the next requests and hide its cost (coordinated omission).
// autocannon's connectionRate/overallRate refill a per-connection budget each second, so requests leave
// in bursts and p99 measures the bursts rather than the server.
import { Agent, request } from 'node:https'
import { performance } from 'node:perf_hooks'

/**
 * Sends POST `path` with `body` at `rate` requests per second for `warmupS` + `durationS` seconds over
 * keep-alive connections (at most `maxSockets`; when all are busy a request waits, and the wait
 * counts). The warm-up requests open the connections (TLS handshakes) and are not measured.
 * Resolves with latency percentiles (ms, from the scheduled time), the send lag of the generator
 * itself (how late after its scheduled time a request was handed to node:https), and failures.
 */
export async function steadyRate({ port, ca, path, body, rate, durationS, warmupS = 1, maxSockets = 64 }) {
  const agent = new Agent({ keepAlive: true, maxSockets, scheduling: 'fifo' })
  const payload = Buffer.from(body)
  const skipped = Math.round(rate * warmupS)
  const total = skipped + Math.round(rate * durationS)
  const latencies = new Float64Array(total)
  const lags = new Float64Array(total)
  let done = 0
  let failures = 0
  let firstFailure
  const start = performance.now() + 50 // a short lead, so request 0 is not late by construction
  const dueAt = (i) => start + (i * 1000) / rate

  const finished = new Promise((resolve) => {
    const settle = (i, ok, why) => {
      latencies[i] = performance.now() - dueAt(i)
      if (!ok) {
        failures++
        firstFailure ??= why
      }
      if (++done === total) resolve()
    }
    let next = 0
    const tick = () => {
      // Send everything due by now; a late timer sends a catch-up batch, each request keeping its due time.
      const now = performance.now()
      while (next < total && dueAt(next) <= now) {
        const i = next++
        lags[i] = performance.now() - dueAt(i)
        let settled = false
        const once = (ok, why) => {
          if (!settled) settle(i, ok, why)
          settled = true
        }
        const req = request({
          host: '127.0.0.1', port, path, method: 'POST', agent, ca,
          headers: { 'content-type': 'application/json', 'content-length': payload.length },
        }, (res) => {
          res.resume()
          res.on('end', () => once(res.statusCode === 200, `HTTP ${res.statusCode}`))
          res.on('error', (e) => once(false, e.message))
        })
        req.on('error', (e) => once(false, e.message))
        req.end(payload)
      }
      if (next < total) setTimeout(tick, Math.max(0, dueAt(next) - performance.now()))
    }
    setTimeout(tick, Math.max(0, start - performance.now()))
  })
  await finished
  agent.destroy()
  const measured = latencies.subarray(skipped).sort()
  const measuredLags = lags.subarray(skipped).sort()
  const at = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
  return {
    rate, durationS, requests: measured.length, warmupRequests: skipped, failures, ...(firstFailure ? { firstFailure } : {}),
    p50: at(measured, 0.5), p99: at(measured, 0.99), max: measured[measured.length - 1],
    lagP99: at(measuredLags, 0.99), lagMax: measuredLags[measuredLags.length - 1],
  }
}
