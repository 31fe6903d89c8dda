// Large reviews: a 3 MiB review (a pod of many containers with long env lists, twice: object and
// oldObject, plus the new debug container) and bodies over the 7 MiB limit.
import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import { performance } from 'node:perf_hooks'

const fixture = JSON.parse(readFileSync(new URL('../test/fixtures/admission-review/debug-general.json', import.meta.url), 'utf8'))

/** The fixture's pod grown to about `bytes`: containers with `envPerContainer` variables each. */
export function largeReview(bytes = 3 * 1024 * 1024, envPerContainer = 200) {
  const review = structuredClone(fixture)
  const template = review.request.oldObject.spec.containers[0]
  const container = (i) => ({
    ...structuredClone(template),
    name: `app-${i}`,
    env: Array.from({ length: envPerContainer }, (_, j) => ({ name: `SETTING_${i}_${j}`, value: `value-${j}-${'x'.repeat(40)}` })),
  })
  const perContainer = JSON.stringify(container(0)).length * 2 // in object and oldObject
  const count = Math.max(1, Math.floor((bytes - JSON.stringify(review).length) / perContainer))
  const containers = Array.from({ length: count }, (_, i) => container(i))
  review.request.object.spec.containers = containers
  review.request.oldObject.spec.containers = structuredClone(containers)
  return { body: JSON.stringify(review), containers: count }
}

/** POSTs `body` once on a new connection; resolves with { status, ms } (ms from the first byte sent to the end of the answer). */
export function post({ port, ca, path = '/validate?timeout=10s', body }) {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', ca, agent: false, servername: 'localhost', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - start }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/**
 * Sends an 8 MiB body in 64 KiB chunks, declared (content-length) or chunked, stopping when the answer
 * comes; resolves with { status, sentBytes, closed }: the answer's status (undefined when the server
 * closed the connection before the client could read one: `closed` then names the error), and how
 * much had been sent by then.
 */
export function oversized({ port, ca, chunked }) {
  const total = 8 * 1024 * 1024
  const chunk = Buffer.alloc(64 * 1024, 0x20)
  return new Promise((resolve) => {
    let sent = 0
    let settled = false
    const settle = (result) => {
      if (settled) return
      settled = true
      resolve({ sentBytes: sent, total, ...result })
    }
    const headers = { 'content-type': 'application/json', ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': total }) }
    const req = request({ host: '127.0.0.1', port, path: '/validate?timeout=10s', method: 'POST', ca, agent: false, servername: 'localhost', headers }, (res) => {
      res.resume()
      res.on('end', () => settle({ status: res.statusCode }))
      res.on('error', () => settle({ status: res.statusCode }))
    })
    // The server answers 413 and closes: writing on may fail (EPIPE, ECONNRESET) before the answer is read.
    req.on('error', (e) => settle({ closed: e.code ?? e.message }))
    const pump = () => {
      while (!settled && sent < total) {
        sent += chunk.length
        if (!req.write(chunk)) return void req.once('drain', () => setImmediate(pump))
      }
      if (!settled) req.end()
    }
    req.flushHeaders()
    setImmediate(pump)
  })
}
