import type { JsonObject } from '../../../src/kube/types.js'
import type { FidelityCase } from './types.js'

/** Category 'volume-mounts' of the fidelity corpus: ValidateVolumeMounts for an added container. */
const dbg = (fields: JsonObject, name = 'debugger'): JsonObject => ({ name, image: 'busybox:1.36', ...fields })
const mounts = (...m: JsonObject[]): JsonObject => dbg({ volumeMounts: m })

const c = (slug: string, about: string, added: JsonObject[], more: Partial<FidelityCase> = {}): FidelityCase =>
  ({ id: `volume-mounts/${slug}`, category: 'volume-mounts', about, added, ...more })

export const cases: readonly FidelityCase[] = [
  c('valid', 'the emptyDir mounted', [mounts({ name: 'data', mountPath: '/data' })]),
  c('token-volume', 'the projected token volume, read-only', [mounts({ name: 'kube-api-access-x7k2p', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true })]),
  c('same-volume-twice', 'one volume at two paths', [mounts({ name: 'data', mountPath: '/a' }, { name: 'data', mountPath: '/b' })]),
  c('relative-path', 'a relative mountPath is admitted', [mounts({ name: 'data', mountPath: 'data' })]),
  c('backstep-path', "a mountPath with '..' is admitted", [mounts({ name: 'data', mountPath: '/a/../b' })]),
  c('blank-path', 'a mountPath of one space is admitted', [mounts({ name: 'data', mountPath: ' ' })]),
  c('empty-name', 'an empty name: Required and Not found', [mounts({ name: '', mountPath: '/data' })]),
  c('missing-name', 'an absent name decodes to ""', [mounts({ mountPath: '/data' })]),
  c('unknown-volume', 'a volume the pod lacks', [mounts({ name: 'cache', mountPath: '/cache' })]),
  c('unknown-volume-case', 'names are case-sensitive', [mounts({ name: 'Data', mountPath: '/data' })]),
  c('empty-path', 'an empty mountPath is Required', [mounts({ name: 'data', mountPath: '' })]),
  c('missing-path', 'an absent mountPath decodes to ""', [mounts({ name: 'data' })]),
  c('empty-everything', 'neither name nor mountPath', [mounts({})]),
  c('duplicate-path', 'two mounts at one path', [mounts({ name: 'data', mountPath: '/x' }, { name: 'kube-api-access-x7k2p', mountPath: '/x' })]),
  c('duplicate-empty-path', 'two empty mountPaths: Required twice, then must be unique', [mounts({ name: 'data', mountPath: '' }, { name: 'data', mountPath: '' })]),
  c('triple-path', 'three mounts at one path', [mounts({ name: 'data', mountPath: '/x' }, { name: 'data', mountPath: '/x' }, { name: 'data', mountPath: '/x' })]),
  c('errors-per-mount', 'errors of several mounts, in mount order', [mounts({ name: 'nope', mountPath: '' }, { name: 'data', mountPath: '/d' }, { name: '', mountPath: '/d' })]),
  // recursiveReadOnly.
  c('rro-enabled', 'recursiveReadOnly Enabled on a read-only mount', [mounts({ name: 'data', mountPath: '/data', readOnly: true, recursiveReadOnly: 'Enabled' })]),
  c('rro-ifpossible', 'recursiveReadOnly IfPossible on a read-only mount', [mounts({ name: 'data', mountPath: '/data', readOnly: true, recursiveReadOnly: 'IfPossible' })]),
  c('rro-disabled-writable', 'recursiveReadOnly Disabled needs no readOnly', [mounts({ name: 'data', mountPath: '/data', recursiveReadOnly: 'Disabled' })]),
  c('rro-enabled-writable', 'recursiveReadOnly Enabled without readOnly', [mounts({ name: 'data', mountPath: '/data', recursiveReadOnly: 'Enabled' })]),
  c('rro-ifpossible-readonly-false', 'recursiveReadOnly IfPossible with readOnly false', [mounts({ name: 'data', mountPath: '/data', readOnly: false, recursiveReadOnly: 'IfPossible' })]),
  c('rro-with-propagation', 'recursiveReadOnly Enabled with HostToContainer propagation', [mounts({ name: 'data', mountPath: '/data', readOnly: true, recursiveReadOnly: 'Enabled', mountPropagation: 'HostToContainer' })]),
  c('rro-with-propagation-none', 'recursiveReadOnly Enabled with propagation None', [mounts({ name: 'data', mountPath: '/data', readOnly: true, recursiveReadOnly: 'Enabled', mountPropagation: 'None' })]),
  c('rro-both-forbidden', 'recursiveReadOnly Enabled, writable, with HostToContainer', [mounts({ name: 'data', mountPath: '/data', recursiveReadOnly: 'IfPossible', mountPropagation: 'HostToContainer' })]),
  c('rro-unsupported', 'an unknown recursiveReadOnly value', [mounts({ name: 'data', mountPath: '/data', readOnly: true, recursiveReadOnly: 'Always' })]),
  c('rro-empty', 'an empty recursiveReadOnly value', [mounts({ name: 'data', mountPath: '/data', recursiveReadOnly: '' })]),
  c('rro-lowercase', 'values are case-sensitive', [mounts({ name: 'data', mountPath: '/data', readOnly: true, recursiveReadOnly: 'enabled' })]),
  // mountPropagation.
  c('propagation-none', 'mountPropagation None', [mounts({ name: 'data', mountPath: '/data', mountPropagation: 'None' })]),
  c('propagation-host-to-container', 'mountPropagation HostToContainer', [mounts({ name: 'data', mountPath: '/data', mountPropagation: 'HostToContainer' })]),
  c('propagation-bidirectional-unprivileged', 'Bidirectional in a container that is not privileged', [mounts({ name: 'data', mountPath: '/data', mountPropagation: 'Bidirectional' })]),
  c('propagation-bidirectional-privileged-false', 'Bidirectional with privileged: false', [dbg({ securityContext: { privileged: false }, volumeMounts: [{ name: 'data', mountPath: '/data', mountPropagation: 'Bidirectional' }] })]),
  c('propagation-bidirectional-privileged', 'Bidirectional in a privileged container', [dbg({ securityContext: { privileged: true }, volumeMounts: [{ name: 'data', mountPath: '/data', mountPropagation: 'Bidirectional' }] })]),
  c('propagation-unsupported', 'an unknown propagation', [mounts({ name: 'data', mountPath: '/data', mountPropagation: 'Shared' })]),
  c('propagation-empty', 'an empty propagation', [mounts({ name: 'data', mountPath: '/data', mountPropagation: '' })]),
  c('propagation-html', 'an unknown propagation with characters JSON escapes', [mounts({ name: 'data', mountPath: '/data', mountPropagation: '<b>&' })]),
  c('propagation-two-mounts', 'propagation errors of two mounts', [mounts({ name: 'data', mountPath: '/a', mountPropagation: 'Bidirectional' }, { name: 'data', mountPath: '/b', mountPropagation: 'rshared' })]),
  c('everything-on-one-mount', 'every mount error on one mount, in Kubernetes order', [mounts({ name: 'cache', mountPath: '', recursiveReadOnly: 'Enabled', mountPropagation: 'Bidirectional' })]),
  c('propagation-then-next-mount', "a mount's propagation error before the next mount's errors", [mounts({ name: 'data', mountPath: '/a', mountPropagation: 'Bidirectional' }, { name: 'nope', mountPath: '/a' })]),
  c('rro-then-next-mount', "a mount's recursiveReadOnly error before the next mount's errors", [mounts({ name: 'data', mountPath: '/a', recursiveReadOnly: 'Enabled' }, { name: '', mountPath: '' })]),
  c('subpath-before-propagation', 'subPath contents before propagation, both before the subPath ban', [mounts({ name: 'data', mountPath: '/a', subPath: '/abs/..', mountPropagation: 'Bidirectional', recursiveReadOnly: 'Always' })]),
  c('subpath-expr-then-next-mount', 'subPathExpr errors of one mount before the next mount', [mounts({ name: 'data', mountPath: '/a', subPath: 'x', subPathExpr: '../y', mountPropagation: 'None' }, { name: 'data', mountPath: '/a', mountPropagation: 'Private' })]),
  c('same-propagation-error-twice', 'two mounts with the same propagation error: listed once', [mounts({ name: 'data', mountPath: '/a', mountPropagation: 'Bidirectional' }, { name: 'data', mountPath: '/b', mountPropagation: 'Bidirectional' })]),
  c('readonly-false', 'readOnly false', [mounts({ name: 'data', mountPath: '/data', readOnly: false })]),
  c('two-containers', 'mount errors of two added containers', [mounts({ name: 'cache', mountPath: '/c' }), dbg({ volumeMounts: [{ name: 'data', mountPath: '' }] }, 'debugger-2')]),
]
