// node bench/decide.mjs: the decision alone, in this process, on the bench's review (bench/load.mjs)
// with the built-in policy: CPU µs per decide() and per check, as medians of rounds. No network, no
// server: what src/decision and src/checks cost, apart from parsing, Fastify, TLS and logging.
// A microbenchmark on a warm object: read the shares and the before/after of one run, not the µs.
//   BENCH_DECIDE_ROUNDS (default 15) rounds of BENCH_DECIDE_N (default 2000) decisions.
import { loadavg } from 'node:os'
import { decodeReview } from '../dist/admission/decode.js'
import { decide } from '../dist/decision/decide.js'
import { diffEphemeralContainers } from '../dist/decision/new-containers.js'
import { toPodView } from '../dist/decision/pod-view.js'
import { loadPolicyFile } from '../dist/policy/load.js'
import { REVIEW_BODY } from './load.mjs'

const ROUNDS = Number(process.env.BENCH_DECIDE_ROUNDS ?? 15)
const N = Number(process.env.BENCH_DECIDE_N ?? 2000)
const { policy } = loadPolicyFile(new URL('../policies/default.yaml', import.meta.url).pathname)
// A fresh parse per decision, as a server sees it (no object shape the decision has warmed up alone).
const reviews = Array.from({ length: 64 }, () => decodeReview(JSON.parse(REVIEW_BODY)))
const context = { deadline: Date.now() + 3_600_000 }

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
// CPU time of this process (user + system), not the wall clock: other load on the machine
// stretches it far less.
const cpuUs = () => { const { user, system } = process.cpuUsage(); return user + system }
function timed(fn) {
  const rounds = []
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = cpuUs()
    for (let i = 0; i < N; i++) fn(reviews[i % reviews.length].request)
    rounds.push((cpuUs() - t0) / N)
  }
  return median(rounds)
}

console.log(`decide() on the ${REVIEW_BODY.length}-byte review, built-in policy, ${ROUNDS} rounds of ${N}; load average ${loadavg()[0].toFixed(2)}`)
for (let i = 0; i < 5 * N; i++) { const q = reviews[i % reviews.length].request; decide(q, 'validate', policy, context); decide(q, 'mutate', policy, context) } // warm-up
const total = { validate: timed((q) => decide(q, 'validate', policy, context)), mutate: timed((q) => decide(q, 'mutate', policy, context)) }
console.log(`  decide, validate: ${total.validate.toFixed(2)} µs   mutate: ${total.mutate.toFixed(2)} µs`)
// Each check on its own, with the input decide() gives it (Kubernetes' checks: every ephemeral container).
const inputOf = (q) => {
  const pod = toPodView(q.object, 'object')
  const oldPod = toPodView(q.oldObject, 'oldObject')
  const { added, removed, changed } = diffEphemeralContainers(pod, oldPod)
  const requester = { namespace: q.namespace, username: q.userInfo.username, groups: q.userInfo.groups, dryRun: false }
  const input = { pod, oldPod, added, removed, changed, requester, now: new Date() }
  return { policy: input, kubernetes: { ...input, added: pod.ephemeralContainers.map((value, index) => ({ index, value })) } }
}
const inputs = new Map(reviews.map((r) => [r.request, inputOf(r.request)]))
const rows = policy.checks.map((c) => [c, timed((q) => c.run(inputs.get(q)[c.origin]))])
const sum = rows.reduce((a, [, t]) => a + t, 0)
console.log(`  checks, each alone: ${sum.toFixed(2)} µs in all`)
for (const [c, t] of rows.sort((a, b) => b[1] - a[1])) console.log(`  ${t.toFixed(3).padStart(7)} µs  ${(100 * t / sum).toFixed(1).padStart(5)} %  ${c.origin === 'kubernetes' ? 'kubernetes' : 'policy    '} ${c.id}`)
