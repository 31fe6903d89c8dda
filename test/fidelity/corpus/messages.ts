import type { JsonObject } from '../../../src/kube/types.js'
import { category, ec, staticPod } from './helpers.js'
import type { FidelityCase } from './types.js'

const { cases: built, add } = category('messages')

// Name messages: DNS-1123 label, as IsDNS1123Label words them.
const NAMES: ReadonlyArray<readonly [string, string]> = [
  ['dots', 'debug.tools'], ['dot-start', '.dbg'], ['dot-end', 'dbg.'], ['double-dot', 'a..b'], ['uppercase', 'Debugger'],
  ['underscore', 'dbg_1'], ['leading-dash', '-dbg'], ['trailing-dash', 'dbg-'], ['long-64', 'a'.repeat(64)],
  ['long-64-dots', `${'a'.repeat(60)}.bcd`], ['long-100-upper', 'A'.repeat(100)], ['digits', '0123'], ['space', 'a b'],
  ['slash', 'a/b'], ['colon', 'a:b'], ['max-63', 'a'.repeat(63)],
]
for (const [slug, name] of NAMES) add(`name-${slug}`, `container name ${slug}`, { added: [ec(name)] })

// A static pod's mirror: one error at field path [], whatever else is wrong.
add('static-valid', 'a static pod, a valid container', { ...staticPod, added: [ec('dbg')] })
add('static-invalid', 'a static pod, an invalid container', { ...staticPod, added: [ec('Bad_Name', { image: '', ports: [{ containerPort: 80 }] })] })
add('static-two', 'a static pod, two containers', { ...staticPod, added: [ec('a'), ec('b')] })
add('static-target-missing', 'a static pod, an unknown target', { ...staticPod, added: [ec('dbg', { targetContainerName: 'nope' })] })

// Existing containers removed or changed: "may not be removed" / "may not be changed" with the diff.
const OLD = ec('old', { command: ['sh'], stdin: true, tty: true })
add('removed-one', 'an existing container removed', { existing: [OLD], added: [], list: [ec('dbg')] })
add('removed-all', 'the list emptied', { existing: [OLD], added: [], list: [] })
add('removed-two', 'two existing containers removed', { existing: [OLD, ec('old2')], added: [], list: [] })
const CHANGES: ReadonlyArray<readonly [string, JsonObject]> = [
  ['image', { image: 'busybox:1.37' }],
  ['image-latest', { image: 'busybox' }],
  ['command', { command: ['bash'] }],
  ['command-removed', { command: null }],
  ['args-added', { args: ['-c', 'true'] }],
  ['stdin-off', { stdin: false }],
  ['tty-off', { tty: false }],
  ['stdin-once', { stdinOnce: true }],
  ['working-dir', { workingDir: '/tmp' }],
  ['env-added', { env: [{ name: 'A', value: 'b' }] }],
  ['env-from-added', { envFrom: [{ configMapRef: { name: 'cm' } }] }],
  ['volume-mount-added', { volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
  ['security-context-added', { securityContext: { privileged: true } }],
  ['capabilities-added', { securityContext: { capabilities: { add: ['SYS_PTRACE'] } } }],
  ['run-as-user', { securityContext: { runAsUser: 1000 } }],
  ['target-added', { targetContainerName: 'cart' }],
  ['termination-path', { terminationMessagePath: '/tmp/log' }],
  ['termination-policy', { terminationMessagePolicy: 'FallbackToLogsOnError' }],
  ['pull-policy', { imagePullPolicy: 'Always' }],
  ['ports-added', { ports: [{ containerPort: 80 }] }],
  ['resources-added', { resources: { limits: { cpu: '1' } } }],
  ['probe-added', { livenessProbe: { exec: { command: ['true'] } } }],
]
for (const [slug, change] of CHANGES) {
  add(`changed-${slug}`, `an existing container changed: ${slug}`, { existing: [OLD], added: [], list: [{ ...OLD, ...change }] })
}
add('changed-and-removed', 'one existing container changed, another removed', { existing: [OLD, ec('old2')], added: [], list: [{ ...OLD, image: 'alpine:3' }] })
add('changed-two', 'two existing containers changed', { existing: [OLD, ec('old2')], added: [], list: [{ ...OLD, image: 'alpine:3' }, ec('old2', { image: 'alpine:3' })] })
add('reordered', 'existing containers reordered, unchanged', { existing: [OLD, ec('old2')], added: [], list: [ec('old2'), OLD] })
add('unchanged-plus-new', 'existing kept, one new', { existing: [OLD], added: [ec('dbg')] })

/** Category 'messages' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = built
