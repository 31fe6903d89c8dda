// node bench/ab.mjs [NAME=DIR ...] (inside scripts/loopback.sh): CPU per request of the bare endpoint,
// this checkout's app, and the app of each other checkout DIR (its own built dist/ and bench/, e.g. a
// copy of an earlier commit's), all started at once and saturated in turn, in alternating rounds, so a
// neighbour's load hits them alike. Prints the median CPU µs per request of each and the median of the
// rounds' ratios to bare. For before/after comparisons of one change; `npm run bench` has the goals.
//   BENCH_AB_ROUNDS (default 6) rounds of BENCH_AB_S (default 4) s of saturation per target.
import { fork } from 'node:child_process'
import { loadavg } from 'node:os'
import { resolve } from 'node:path'
import { generateCertificates } from '../dist/certs/generate.js'
import { saturate } from './load.mjs'

const ROUNDS = Number(process.env.BENCH_AB_ROUNDS ?? 6)
const SECONDS = Number(process.env.BENCH_AB_S ?? 4)
const here = new URL('./server.mjs', import.meta.url).pathname
const targets = [
  ['bare', here, 'baseline'],
  ...process.argv.slice(2).map((arg) => {
    const [name, dir] = arg.includes('=') ? arg.split('=') : [arg, arg]
    return [name, resolve(dir, 'bench/server.mjs'), 'ephemeral-guard']
  }),
  ['this', here, 'ephemeral-guard'],
]
const certs = await generateCertificates({ caName: 'bench CA', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })
const servers = []
for (const [name, file, target] of targets) {
  const child = fork(file, [target, Buffer.from(certs.cert).toString('base64'), Buffer.from(certs.key).toString('base64')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const { port } = await new Promise((resolve, reject) => {
    child.once('message', resolve)
    child.once('exit', (code) => reject(new Error(`${name} (${file}) exited with ${code} before it listened`)))
  })
  const cpu = async () => { child.send('cpu'); return (await new Promise((r) => child.once('message', r))).cpuUs }
  const probe = await saturate(port, 1)
  if (probe.non2xx > 0 || probe.errors > 0) throw new Error(`${name}: ${probe.non2xx} non-2xx, ${probe.errors} errors`)
  await saturate(port, 2)
  servers.push({ name, port, cpu, child })
}
const loads = [loadavg()[0]]
const cpuPerRequest = Object.fromEntries(servers.map((s) => [s.name, []]))
for (let round = 0; round < ROUNDS; round++) {
  for (const s of round % 2 ? [...servers].reverse() : servers) {
    const before = await s.cpu()
    const r = await saturate(s.port, SECONDS)
    cpuPerRequest[s.name].push((await s.cpu() - before) / r.requests.total)
  }
}
loads.push(loadavg()[0])
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log(`CPU µs per request at saturation, ${ROUNDS} rounds of ${SECONDS} s; load average ${loads.map((l) => l.toFixed(2)).join(' -> ')}`)
for (const s of servers) {
  const rounds = cpuPerRequest[s.name]
  const ratio = median(rounds.map((x, i) => x / cpuPerRequest.bare[i]))
  console.log(`  ${s.name.padEnd(8)} ${median(rounds).toFixed(0).padStart(4)} µs  x bare ${ratio.toFixed(2)}  (rounds ${rounds.map((x) => x.toFixed(0)).join(', ')})`)
  s.child.kill()
}
