import type { JsonObject } from '../../../src/kube/types.js'
import { category, ec } from './helpers.js'
import type { FidelityCase } from './types.js'

const { cases: built, add } = category('validated-then-forbidden')

// ports: validateContainerPorts, then the allow-list's Forbidden.
const PORTS: ReadonlyArray<readonly [string, JsonObject[]]> = [
  ['valid', [{ containerPort: 80 }]],
  ['valid-named', [{ name: 'http', containerPort: 80, protocol: 'TCP' }]],
  ['zero', [{ containerPort: 0 }]],
  ['negative', [{ containerPort: -1 }]],
  ['too-large', [{ containerPort: 65536 }]],
  ['max', [{ containerPort: 65535 }]],
  ['host-port-bad', [{ containerPort: 80, hostPort: 70000 }]],
  ['host-port-negative', [{ containerPort: 80, hostPort: -5 }]],
  ['host-port-ok', [{ containerPort: 80, hostPort: 8080 }]],
  ['protocol-udp', [{ containerPort: 53, protocol: 'UDP' }]],
  ['protocol-sctp', [{ containerPort: 53, protocol: 'SCTP' }]],
  ['protocol-lower', [{ containerPort: 53, protocol: 'tcp' }]],
  ['protocol-odd', [{ containerPort: 53, protocol: 'HTTP<2>' }]],
  ['name-upper', [{ name: 'HTTP', containerPort: 80 }]],
  ['name-long', [{ name: 'a-very-long-port-name', containerPort: 80 }]],
  ['name-digits', [{ name: '8080', containerPort: 80 }]],
  ['name-double-dash', [{ name: 'a--b', containerPort: 80 }]],
  ['name-leading-dash', [{ name: '-http', containerPort: 80 }]],
  ['name-dup', [{ name: 'http', containerPort: 80 }, { name: 'http', containerPort: 81 }]],
  ['name-underscore', [{ name: 'ht_tp', containerPort: 80 }]],
  ['all-bad', [{ name: 'Bad_', containerPort: 0, hostPort: 99999, protocol: 'ICMP' }]],
  ['two-bad', [{ containerPort: 0 }, { containerPort: 70000, protocol: 'X' }]],
  ['host-ip', [{ containerPort: 80, hostIP: 'not-an-ip' }]],
  ['name-16', [{ name: 'abcdefghijklmnop', containerPort: 80 }]],
  ['name-15', [{ name: 'abcdefghijklmno', containerPort: 80 }]],
  ['name-trailing-dash', [{ name: 'http-', containerPort: 80 }]],
  ['name-unicode', [{ name: 'h\u00e9', containerPort: 80 }]],
  ['dup-name-bad-second', [{ name: 'http', containerPort: 80 }, { name: 'http', containerPort: 0 }]],
  ['dup-invalid-names', [{ name: 'A', containerPort: 80 }, { name: 'A', containerPort: 81 }]],
  ['host-port-same', [{ containerPort: 80, hostPort: 80 }, { containerPort: 81, hostPort: 80 }]],
  ['three-mixed', [{ containerPort: 1 }, { containerPort: 2, protocol: 'udp' }, { containerPort: 3, name: '-x' }]],
]
for (const [slug, ports] of PORTS) add(`ports-${slug}`, `ports: ${slug}`, { added: [ec('dbg', { ports })] })

// resources: ValidateContainerResourceRequirements (one erring key per map: Go ranges over maps in random order).
const RESOURCES: ReadonlyArray<readonly [string, JsonObject]> = [
  ['limits-cpu', { limits: { cpu: '500m' } }],
  ['requests-memory', { requests: { memory: '64Mi' } }],
  ['limits-negative-cpu', { limits: { cpu: '-1' } }],
  ['requests-negative-memory', { requests: { memory: '-64Mi' } }],
  ['request-over-limit', { limits: { cpu: '1' }, requests: { cpu: '2' } }],
  ['request-over-limit-memory', { limits: { memory: '1Gi' }, requests: { memory: '2Gi' } }],
  ['request-equal-limit', { limits: { cpu: '1' }, requests: { cpu: '1000m' } }],
  ['name-nonstandard', { limits: { gpu: '1' } }],
  ['name-invalid', { limits: { 'bad name!': '1' } }],
  ['name-extended', { limits: { 'example.com/widget': '1' } }],
  ['name-extended-request-only', { requests: { 'example.com/widget': '1' } }],
  ['name-extended-unequal', { limits: { 'example.com/widget': '2' }, requests: { 'example.com/widget': '1' } }],
  ['name-extended-fraction', { limits: { 'example.com/widget': '500m' }, requests: { 'example.com/widget': '500m' } }],
  ['name-kubernetes-io', { limits: { 'kubernetes.io/widget': '1' } }],
  ['hugepages-alone', { limits: { 'hugepages-2Mi': '2Mi' }, requests: { 'hugepages-2Mi': '2Mi' } }],
  ['hugepages-with-cpu', { limits: { 'hugepages-2Mi': '2Mi', cpu: '1' }, requests: { 'hugepages-2Mi': '2Mi' } }],
  ['hugepages-indivisible', { limits: { 'hugepages-2Mi': '3Mi', cpu: '1' }, requests: { 'hugepages-2Mi': '3Mi' } }],
  ['ephemeral-storage', { limits: { 'ephemeral-storage': '1Gi' } }],
  ['empty', {}],
  ['claims-missing', { claims: [{ name: 'gpu' }] }],
  ['claims-empty-name', { claims: [{ name: '' }] }],
  ['claims-dup', { claims: [{ name: 'gpu' }, { name: 'gpu' }] }],
  ['claims-request-bad', { claims: [{ name: 'gpu', request: 'Bad_Req' }] }],
  ['limits-cpu-fraction-tiny', { limits: { cpu: '0.0001' } }],
  ['limits-memory-decimal', { limits: { memory: '1.5Gi' }, requests: { memory: '2Gi' } }],
  ['request-over-limit-milli', { limits: { cpu: '250m' }, requests: { cpu: '0.3' } }],
  ['request-over-limit-exponent', { limits: { memory: '1e6' }, requests: { memory: '2e6' } }],
  ['negative-ephemeral-storage', { requests: { 'ephemeral-storage': '-1Gi' } }],
  ['name-requests-prefix', { limits: { 'requests.cpu': '1' } }],
  ['name-pods', { limits: { pods: '1' } }],
  ['name-kubernetes-io-gpu', { limits: { 'kubernetes.io/gpu': '1' }, requests: { 'kubernetes.io/gpu': '2' } }],
  ['hugepages-1Gi-with-memory', { limits: { 'hugepages-1Gi': '2Gi', memory: '1Gi' }, requests: { 'hugepages-1Gi': '2Gi' } }],
  ['hugepages-request-only', { requests: { 'hugepages-2Mi': '2Mi', cpu: '1' } }],
  ['extended-request-equal', { limits: { 'example.com/widget': '3' }, requests: { 'example.com/widget': '3' } }],
]
for (const [slug, resources] of RESOURCES) add(`resources-${slug}`, `resources: ${slug}`, { added: [ec('dbg', { resources })] })
add('resources-empty-maps', 'resources: empty limits and requests', {
  added: [ec('dbg', { resources: { limits: {}, requests: {} } })],
  invisible: 'empty maps are set for the allow-list but omitted from the object webhooks are sent',
})
const CLAIMS = { resourceClaims: [{ name: 'gpu', resourceClaimName: 'gpu-claim' }] }
add('resources-claims-known', 'resources.claims naming a pod claim', { podSpec: CLAIMS, added: [ec('dbg', { resources: { claims: [{ name: 'gpu' }] } })] })
add('resources-claims-unknown-with-pod-claims', 'resources.claims naming no pod claim, the pod having one', { podSpec: CLAIMS, added: [ec('dbg', { resources: { claims: [{ name: 'tpu' }] } })] })
add('resources-claims-request-twice', 'the same claim and request twice', { podSpec: CLAIMS, added: [ec('dbg', { resources: { claims: [{ name: 'gpu', request: 'a' }, { name: 'gpu', request: 'a' }] } })] })
add('resources-claims-whole-after-request', 'a whole claim after one of its requests', { podSpec: CLAIMS, added: [ec('dbg', { resources: { claims: [{ name: 'gpu', request: 'a' }, { name: 'gpu' }] } })] })

// resizePolicy: validateResizePolicy.
const RESIZE: ReadonlyArray<readonly [string, JsonObject[]]> = [
  ['valid', [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }]],
  ['memory-restart', [{ resourceName: 'memory', restartPolicy: 'RestartContainer' }]],
  ['resource-unknown', [{ resourceName: 'gpu', restartPolicy: 'NotRequired' }]],
  ['resource-empty', [{ resourceName: '', restartPolicy: 'NotRequired' }]],
  ['policy-unknown', [{ resourceName: 'cpu', restartPolicy: 'Sometimes' }]],
  ['policy-empty', [{ resourceName: 'cpu', restartPolicy: '' }]],
  ['duplicate', [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }, { resourceName: 'cpu', restartPolicy: 'NotRequired' }]],
  ['both-bad', [{ resourceName: 'disk', restartPolicy: 'Never' }]],
  ['empty-entry', [{}]],
  ['duplicate-memory', [{ resourceName: 'memory', restartPolicy: 'NotRequired' }, { resourceName: 'memory', restartPolicy: 'RestartContainer' }]],
  ['policy-odd-chars', [{ resourceName: 'cpu', restartPolicy: 'Not<Required>' }]],
  ['resource-upper', [{ resourceName: 'CPU', restartPolicy: 'NotRequired' }]],
]
for (const [slug, resizePolicy] of RESIZE) add(`resize-${slug}`, `resizePolicy: ${slug}`, { added: [ec('dbg', { resizePolicy })] })
add('resize-restart-never', "RestartContainer in a pod with restartPolicy Never", { podSpec: { restartPolicy: 'Never' }, added: [ec('dbg', { resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'RestartContainer' }] })] })
add('resize-not-required-never', "NotRequired in a pod with restartPolicy Never", { podSpec: { restartPolicy: 'Never' }, added: [ec('dbg', { resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }] })] })

// Fields only forbidden: their contents are not validated for ephemeral containers.
add('probe-invalid-contents', 'a livenessProbe with no handler', { added: [ec('dbg', { livenessProbe: { periodSeconds: -1 } })] })
add('lifecycle-invalid-contents', 'a lifecycle hook with no handler', { added: [ec('dbg', { lifecycle: { preStop: {} } })] })
add('restart-policy-bad-value', 'restartPolicy Never', { added: [ec('dbg', { restartPolicy: 'Never' })] })
add('everything-together', 'ports, resources and resizePolicy all invalid', {
  added: [ec('dbg', { ports: [{ containerPort: 0, protocol: 'X' }], resources: { limits: { cpu: '1' }, requests: { cpu: '2' } }, resizePolicy: [{ resourceName: 'gpu', restartPolicy: 'NotRequired' }] })],
})

/** Category 'validated-then-forbidden' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = built
