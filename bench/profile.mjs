// npm run bench:profile: where the time of one request goes. Runs each target (bare Fastify and
// ephemeral-guard, bench/server.mjs) under node --cpu-prof while autocannon saturates it, then prints
// the self time by package/file and by function, as a share of the profile. Loopback only.
//   BENCH_PROFILE_S (default 8) seconds of load; BENCH_PROFILE_TOP (default 25) rows; BENCH_PROFILE_DIR
//   keeps the .cpuprofile files (open them in Chrome DevTools) instead of a temporary folder.
import { fork } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateCertificates } from '../dist/certs/generate.js'
import { REVIEW_BODY, saturate } from './load.mjs'

const SECONDS = Number(process.env.BENCH_PROFILE_S ?? 8)
const TOP = Number(process.env.BENCH_PROFILE_TOP ?? 25)
const dir = process.env.BENCH_PROFILE_DIR ?? mkdtempSync(join(tmpdir(), 'eg-profile-'))
const certs = await generateCertificates({ caName: 'bench CA', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })

/** Self time per key of a .cpuprofile: { total µs, rows: [[key, µs]] sorted, largest first }. */
export function selfTimes(profile, keyOf) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const times = new Map()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    const key = keyOf(byId.get(id).callFrame)
    times.set(key, (times.get(key) ?? 0) + dt)
    total += dt
  })
  return { total, rows: [...times].sort((a, b) => b[1] - a[1]) }
}

/**
 * Inclusive time of the functions named in `names` (a sample counts once per name on its stack, and
 * a recursive call once): what a call costs with everything it calls.
 */
export function inclusiveTimes(profile, names) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const times = new Map(names.map((n) => [n, 0]))
  const memo = new Map()
  const namesOn = (id) => {
    let hit = memo.get(id)
    if (hit) return hit
    hit = new Set()
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url } = byId.get(at).callFrame
      if (times.has(functionName) && url.includes('/dist/')) hit.add(functionName) // not node's own `evaluate` (module loading)
    }
    memo.set(id, hit)
    return hit
  }
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    for (const name of namesOn(id)) times.set(name, times.get(name) + dt)
  })
  return times
}

// The decision and its parts, inclusive (functions of dist/decision and dist/admission).
const INCLUSIVE = ['admit', 'decide', 'evaluate', 'toPodView', 'diffEphemeralContainers', 'orderViolations', 'mutationVerdict', 'parseJson', 'decodeReview']

const shortUrl = (url) => url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, '').replace(/.*\/(dist|bench)\//, '$1/')
const packageOf = ({ url, functionName }) => {
  if (url === '') return `(${functionName || 'native'})`
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/')
  const nm = url.split('/node_modules/')
  if (nm.length > 1) { const parts = nm.at(-1).split('/'); return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0] }
  return shortUrl(url)
}
const functionOf = ({ url, functionName, lineNumber }) => `${functionName || '(anonymous)'} ${url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`}`

async function profileTarget(target) {
  const out = join(dir, target)
  const child = fork(new URL('./server.mjs', import.meta.url), [target, Buffer.from(certs.cert).toString('base64'), Buffer.from(certs.key).toString('base64')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--cpu-prof', `--cpu-prof-dir=${out}`],
  })
  const { port } = await new Promise((resolve) => child.once('message', resolve))
  await saturate(port, 2) // warm-up, in the profile too (a small share)
  const r = await saturate(port, SECONDS)
  child.send('stop')
  await new Promise((resolve) => child.once('exit', resolve))
  const profile = JSON.parse(readFileSync(join(out, readdirSync(out).find((f) => f.endsWith('.cpuprofile'))), 'utf8'))
  return { target, requests: r.requests.total, profile, file: join(out, readdirSync(out)[0]) }
}

console.log(`CPU profile under autocannon (${SECONDS} s, ${REVIEW_BODY.length}-byte review); load average ${loadavg()[0].toFixed(2)}`)
for (const target of ['baseline', 'ephemeral-guard']) {
  const { requests, profile, file } = await profileTarget(target)
  const busy = (rows) => rows.filter(([k]) => !k.includes('(idle)')).reduce((a, [, t]) => a + t, 0)
  const byPackage = selfTimes(profile, packageOf)
  console.log(`\n${target}: ${requests} requests, ${(busy(byPackage.rows) / 1000).toFixed(0)} ms busy of ${(byPackage.total / 1000).toFixed(0)} ms sampled, ${(busy(byPackage.rows) / requests).toFixed(1)} µs busy per request (profiler on); ${file}`)
  const show = ({ total, rows }) => {
    for (const [key, t] of rows.slice(0, TOP)) console.log(`  ${(100 * t / total).toFixed(1).padStart(5)} %  ${(t / requests).toFixed(2).padStart(6)} µs/req  ${key}`)
  }
  console.log(' self time by package or file:')
  show(byPackage)
  console.log(' self time by function:')
  show(selfTimes(profile, functionOf))
  if (target !== 'baseline') printInclusive(profile, requests, byPackage.total)
}

function printInclusive(profile, requests, total) {
  console.log(' inclusive time (with what it calls):')
  for (const [name, t] of inclusiveTimes(profile, INCLUSIVE)) if (t > 0) console.log(`  ${(100 * t / total).toFixed(1).padStart(5)} %  ${(t / requests).toFixed(2).padStart(6)} µs/req  ${name}`)
}
