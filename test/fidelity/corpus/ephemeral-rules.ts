import type { JsonObject } from '../../../src/kube/types.js'
import { category, ec, staticPod } from './helpers.js'
import type { FidelityCase } from './types.js'

const { cases: built, add } = category('ephemeral-rules')

add('plain', 'a plain debug container is accepted', { added: [ec('dbg')] })
add('kubectl-debug', 'what kubectl debug sends', { added: [ec('debugger-k7q2m', { stdin: true, tty: true, targetContainerName: 'cart', terminationMessagePolicy: 'File' })] })
add('target-ok', 'targetContainerName naming a container', { added: [ec('dbg', { targetContainerName: 'cart' })] })
add('target-init', 'targetContainerName naming the init container', { added: [ec('dbg', { targetContainerName: 'migrate' })] })
add('target-missing', 'targetContainerName naming no container', { added: [ec('dbg', { targetContainerName: 'nope' })] })
add('target-self', 'targetContainerName naming itself', { added: [ec('dbg', { targetContainerName: 'dbg' })] })
add('target-empty', 'targetContainerName empty', { added: [ec('dbg', { targetContainerName: '' })] })
add('name-missing', 'no name', { added: [{ image: 'busybox' }] })
add('name-empty', 'an empty name', { added: [ec('')] })
add('image-missing', 'no image', { added: [{ name: 'dbg' }] })
add('image-empty', 'an empty image', { added: [ec('dbg', { image: '' })] })
add('duplicate-with-container', 'the name of a container', { added: [ec('cart')] })
add('duplicate-with-init', 'the name of the init container', { added: [ec('migrate')] })
add('duplicate-with-ephemeral', 'the name of an existing ephemeral container, changed', { existing: [ec('old')], added: [ec('old', { tty: true })] })
add('termination-policy-fallback', 'terminationMessagePolicy FallbackToLogsOnError', { added: [ec('dbg', { terminationMessagePolicy: 'FallbackToLogsOnError' })] })
add('termination-policy-bad', 'terminationMessagePolicy unknown', { added: [ec('dbg', { terminationMessagePolicy: 'Sometimes' })] })
add('pull-policy-never', 'imagePullPolicy Never', { added: [ec('dbg', { imagePullPolicy: 'Never' })] })
add('pull-policy-bad', 'imagePullPolicy unknown', { added: [ec('dbg', { imagePullPolicy: 'Daily' })] })
const FORBIDDEN: ReadonlyArray<readonly [string, JsonObject]> = [
  ['ports', { ports: [{ containerPort: 80 }] }],
  ['resources-limits', { resources: { limits: { cpu: '1' } } }],
  ['resources-requests', { resources: { requests: { memory: '1Mi' } } }],
  ['resources-claims', { resources: { claims: [{ name: 'x' }] } }],
  ['resize-policy', { resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }] }],
  ['liveness-probe', { livenessProbe: { exec: { command: ['true'] } } }],
  ['readiness-probe', { readinessProbe: { tcpSocket: { port: 80 } } }],
  ['startup-probe', { startupProbe: { httpGet: { port: 80, path: '/' } } }],
  ['lifecycle', { lifecycle: { postStart: { exec: { command: ['true'] } } } }],
  ['lifecycle-empty', { lifecycle: {} }],
  ['restart-policy', { restartPolicy: 'Always' }],
  ['probe-empty', { livenessProbe: {} }],
]
for (const [slug, fields] of FORBIDDEN) add(`forbidden-${slug}`, `forbidden: ${slug}`, { added: [ec('dbg', fields)] })
const EMPTY_LIST = 'an empty list is set for the allow-list but omitted from the object webhooks are sent'
add('forbidden-ports-empty-list', 'forbidden: ports-empty-list', { added: [ec('dbg', { ports: [] })], invisible: EMPTY_LIST })
add('forbidden-resize-policy-empty-list', 'forbidden: resize-policy-empty-list', { added: [ec('dbg', { resizePolicy: [] })], invisible: EMPTY_LIST })
add('subpath-forbidden', 'subPath', { added: [ec('dbg', { volumeMounts: [{ name: 'data', mountPath: '/d', subPath: 'x' }] })] })
add('subpathexpr-forbidden', 'subPathExpr', { added: [ec('dbg', { volumeMounts: [{ name: 'data', mountPath: '/d', subPathExpr: 'x' }] })] })
const ALLOWED: ReadonlyArray<readonly [string, JsonObject]> = [
  ['command-args', { command: ['sh', '-c'], args: ['sleep 1'] }],
  ['working-dir', { workingDir: '/tmp' }],
  ['env', { env: [{ name: 'A', value: 'b' }] }],
  ['env-from', { envFrom: [{ configMapRef: { name: 'cm' } }] }],
  ['volume-mount', { volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }] }],
  ['security-context', { securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN'] } } }],
  ['stdin-tty', { stdin: true, stdinOnce: true, tty: true }],
  ['termination-path', { terminationMessagePath: '/tmp/term' }],
  ['resources-empty', { resources: {} }],
]
for (const [slug, fields] of ALLOWED) add(`allowed-${slug}`, `allowed: ${slug}`, { added: [ec('dbg', fields)] })
add('static-pod', 'a static pod', { ...staticPod, added: [ec('dbg')] })
add('removed', 'an existing container removed', { existing: [ec('old')], added: [], list: [ec('dbg')] })
add('changed', 'an existing container changed', { existing: [ec('old')], added: [], list: [ec('old', { image: 'alpine' })] })
add('kept', 'an existing container kept unchanged', { existing: [ec('old')], added: [ec('dbg')] })

/** Category 'ephemeral-rules' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = built
