import { category, ec } from './helpers.js'
import type { FidelityCase } from './types.js'

const { cases: built, add } = category('order')

add('name-then-image', 'a bad name and no image', { added: [{ name: 'Bad', image: '' }] })
add('no-name-no-image', 'neither name nor image', { added: [{}] })
add('name-then-image-whitespace', 'a bad name and an image with whitespace', { added: [ec('Bad', { image: ' busybox' })] })
add('image-whitespace-then-duplicate', 'image whitespace, then the duplicate name', { added: [ec('cart', { image: 'busybox ' })] })
add('duplicate-then-target', 'a duplicate name, then an unknown target', { added: [ec('cart', { targetContainerName: 'nope' })] })
add('target-then-forbidden', 'an unknown target, then a forbidden field', { added: [ec('dbg', { targetContainerName: 'nope', lifecycle: { preStop: { exec: { command: ['x'] } } } })] })
add('forbidden-struct-order', 'every forbidden field, sent in reverse order', {
  added: [ec('dbg', {
    restartPolicy: 'Always', lifecycle: { postStart: { exec: { command: ['x'] } } }, startupProbe: { exec: { command: ['x'] } },
    readinessProbe: { exec: { command: ['x'] } }, livenessProbe: { exec: { command: ['x'] } }, resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }],
    resources: { limits: { cpu: '1' } }, ports: [{ containerPort: 80 }],
  })],
})
add('forbidden-probes', 'the three probes, in struct order', { added: [ec('dbg', { startupProbe: { exec: { command: ['x'] } }, livenessProbe: { exec: { command: ['x'] } }, readinessProbe: { exec: { command: ['x'] } } })] })
add('forbidden-then-subpath', 'a forbidden field, then the subPath rule', { added: [ec('dbg', { ports: [{ containerPort: 80 }], volumeMounts: [{ name: 'data', mountPath: '/d', subPath: 'x' }] })] })
add('unknown-volume-then-subpath', 'an unknown volume before its subPath error', { added: [ec('dbg', { volumeMounts: [{ name: 'nope', mountPath: '/d', subPath: 'x' }] })] })
add('unknown-volume-then-bad-subpath', 'an unknown volume, a subPath with ..', { added: [ec('dbg', { volumeMounts: [{ name: 'nope', mountPath: '/d', subPath: '../x' }] })] })
add('two-mounts-subpath-then-unknown', 'mount 0 with a bad subPath, mount 1 with an unknown volume', {
  added: [ec('dbg', { volumeMounts: [{ name: 'data', mountPath: '/d', subPath: '/abs' }, { name: 'nope', mountPath: '/e' }] })],
})
add('ports-then-subpath', 'a port error before a volume mount error', { added: [ec('dbg', { ports: [{ containerPort: 0 }], volumeMounts: [{ name: 'nope', mountPath: '/d' }] })] })
add('ports-resources-resize', 'ports, resources and resizePolicy errors in validateContainerCommon order', {
  added: [ec('dbg', { resizePolicy: [{ resourceName: 'gpu', restartPolicy: 'NotRequired' }], resources: { limits: { cpu: '-1' } }, ports: [{ containerPort: 70000 }] })],
})
add('pull-policy-then-resources', 'imagePullPolicy before resources', { added: [ec('dbg', { imagePullPolicy: 'Sometimes', resources: { requests: { cpu: '-1' } } })] })
add('termination-then-ports', 'terminationMessagePolicy before ports', { added: [ec('dbg', { terminationMessagePolicy: 'Nope', ports: [{ containerPort: -1 }] })] })
add('two-containers', 'errors of two new containers, each in container order', { added: [ec('A', { targetContainerName: 'x' }), ec('b', { image: '', ports: [{ containerPort: 1 }] })] })
add('three-containers-middle-ok', 'first and last invalid', { added: [ec('x', { imagePullPolicy: 'No' }), ec('ok'), ec('cart')] })
add('new-then-removed', "new containers' errors before a removed one", { existing: [ec('old')], added: [], list: [ec('Bad')] })
add('new-then-changed', "new containers' errors before a changed one", { existing: [ec('old')], added: [], list: [ec('old', { image: 'alpine:3' }), ec('dbg', { targetContainerName: 'nope' })] })
add('changed-new-first', 'a new invalid container listed before the changed existing one', { existing: [ec('old')], added: [], list: [ec('dbg', { ports: [{ containerPort: 80 }] }), ec('old', { tty: true })] })
add('removed-and-invalid-new', 'a removed container and an invalid new one', { existing: [ec('old'), ec('old2')], added: [], list: [ec('old'), ec('new', { image: ' x' })] })
add('duplicate-two-new', 'two new containers with one name', { added: [ec('dbg'), ec('dbg', { targetContainerName: 'nope' })] })
add('target-ephemeral', 'a target naming an ephemeral container', { existing: [ec('old')], added: [ec('dbg', { targetContainerName: 'old' })] })
add('mounts-then-devices', 'volumeMounts errors before volumeDevices errors', { added: [ec('dbg', { volumeDevices: [{ name: 'data', devicePath: '/dev/x' }], volumeMounts: [{ name: 'nope', mountPath: '/d' }] })] })
add('subpath-forbidden-both', 'subPath and subPathExpr on one mount, both forbidden after the contents', {
  added: [ec('dbg', { volumeMounts: [{ name: 'data', mountPath: '/d', subPath: 'a', subPathExpr: 'b' }] })],
})
add('subpath-forbidden-two-mounts', 'subPath on two mounts', { added: [ec('dbg', { volumeMounts: [{ name: 'data', mountPath: '/d', subPath: 'a' }, { name: 'data', mountPath: '/e', subPathExpr: 'b' }] })] })

/** Category 'order' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = built
