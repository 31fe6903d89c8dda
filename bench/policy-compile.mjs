// A child process of `npm run bench` (node --expose-gc): compiles a policy of RULES rules, of every
// kind of rule field and a custom schema in every tenth, in a fresh process, and prints as JSON the
// time of the first compile (cold: modules loaded before the clock starts), the median of later ones,
// and the memory the compiled policy holds (heap and external, after a full GC, with it kept alive).
import { performance } from 'node:perf_hooks'
import { parsePolicy } from '../dist/policy/load.js'

const RULES = Number(process.argv[2] ?? 200)

function rule(i) {
  const match = `      match:\n        namespaces: ["team-${i}-*", "shared-${i % 7}"]\n`
  switch (i % 10) {
    case 0: return `    - name: rule-${i}\n${match}      securityContext:\n        allowPrivileged: false\n        allowPrivilegeEscalation: false\n        allowedCapabilities: ["SYS_PTRACE", "NET_ADMIN"]\n`
    case 1: return `    - name: rule-${i}\n${match}      images:\n        allow: ["registry.example.com/debug-${i}/**", "docker.io/library/busybox"]\n        forbidTags: ["latest"]\n`
    case 2: return `    - name: rule-${i}\n${match}      env:\n        forbidSecretRefs: true\n`
    case 3: return `    - name: rule-${i}\n${match}      targets:\n        requireTarget: true\n        denyContainers: ["vault-agent-${i}", "istio-proxy"]\n`
    case 4: return `    - name: rule-${i}\n${match}      subjects:\n        groups: ["sre-${i}", "platform-oncall"]\n`
    case 5: return `    - name: rule-${i}\n${match}      volumeMounts:\n        allow: ["scratch-${i}"]\n`
    case 6: return `    - name: rule-${i}\n      maxEphemeralContainers: ${5 + i}\n`
    case 7: return `    - name: rule-${i}\n${match}      images:\n        requireDigest: true\n`
    case 8: return `    - name: rule-${i}\n      match:\n        podSelector:\n          matchExpressions:\n            - {key: tier-${i}, operator: In, values: ["a", "b"]}\n      securityContext:\n        allowPrivileged: false\n`
    default: return `    - name: rule-${i}\n${match}      schema:\n        type: object\n        properties:\n          container:\n            type: object\n            properties:\n              image: {type: string, pattern: "^registry\\\\.example\\\\.com/team-${i}/"}\n`
  }
}

const text = `apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata:\n  name: bench-${RULES}\nspec:\n  mode: enforce\n  rules:\n${Array.from({ length: RULES }, (_, i) => rule(i)).join('')}`
const memory = () => {
  globalThis.gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.external
}
if (process.env.BENCH_PRINT_POLICY) { process.stdout.write(text); process.exit(0) }
const before = memory()
let start = performance.now()
let kept = parsePolicy(text, 'bench.yaml')
const coldMs = performance.now() - start
const held = memory() - before
const warm = []
for (let i = 0; i < 5; i++) {
  start = performance.now()
  kept = parsePolicy(text, 'bench.yaml')
  warm.push(performance.now() - start)
}
warm.sort((a, b) => a - b)
process.stdout.write(JSON.stringify({ rules: kept.rules.length, bytes: text.length, coldMs, warmMs: warm[2], heldBytes: held }))
