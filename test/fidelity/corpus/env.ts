import type { JsonObject } from '../../../src/kube/types.js'
import type { FidelityCase } from './types.js'

/** Category 'env' of the fidelity corpus: ValidateEnv, ValidateEnvFrom and the fileKeyRef volumes of ValidatePodSpec. */
const dbg = (fields: JsonObject, name = 'debugger'): JsonObject => ({ name, image: 'busybox:1.36', ...fields })
const env = (...vars: JsonObject[]): JsonObject => dbg({ env: vars })
const from = (valueFrom: JsonObject, name = 'V'): JsonObject => ({ name, valueFrom })
const envFrom = (...sources: JsonObject[]): JsonObject => dbg({ envFrom: sources })

const c = (slug: string, about: string, added: JsonObject[], more: Partial<FidelityCase> = {}): FidelityCase =>
  ({ id: `env/${slug}`, category: 'env', about, added, ...more })

export const cases: readonly FidelityCase[] = [
  // Names (relaxed validation: RelaxedEnvironmentVariableValidation is GA).
  c('plain-value', 'a plain name=value is admitted', [env({ name: 'DEBUG', value: '1' })]),
  c('empty-name', 'an empty name is Required', [env({ name: '', value: '1' })]),
  c('name-with-equals', "a name with '=' is invalid", [env({ name: 'A=B', value: '1' })]),
  c('name-non-ascii', 'a non-ASCII name is invalid', [env({ name: 'CAFÉ', value: '1' })]),
  c('name-with-tab', 'a control character in a name is invalid, shown escaped', [env({ name: 'A\tB', value: '1' })]),
  c('name-with-space', 'a space is printable ASCII: admitted', [env({ name: 'MY VAR', value: '1' })]),
  c('name-leading-digit', 'a leading digit is admitted under relaxed validation', [env({ name: '1VAR', value: '1' })]),
  c('name-dot', "'.' is admitted under relaxed validation", [env({ name: '.', value: '1' })]),
  c('name-punctuation', 'printable punctuation is admitted', [env({ name: 'a-b.c:d/e$f', value: '1' })]),
  c('name-del', 'DEL (0x7f) is not printable', [env({ name: 'A\u007f', value: '1' })]),
  c('duplicate-names', 'the same name twice is admitted', [env({ name: 'X', value: '1' }, { name: 'X', value: '2' })]),
  c('value-only-empty', 'an empty value without valueFrom is admitted', [env({ name: 'X', value: '' })]),
  // Exactly one source.
  c('valuefrom-empty', 'valueFrom without a source', [env(from({}))]),
  c('valuefrom-and-value', 'valueFrom with a non-empty value', [env({ name: 'V', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } })]),
  c('valuefrom-two-sources', 'two sources at once', [env(from({ fieldRef: { fieldPath: 'metadata.name' }, configMapKeyRef: { name: 'cfg', key: 'k' } }))]),
  c('valuefrom-three-sources-and-value', 'a value and three sources: one error, about the value', [env({ name: 'V', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' }, configMapKeyRef: { name: 'cfg', key: 'k' }, secretKeyRef: { name: 's', key: 'k' } } })]),
  c('name-and-source-errors', 'a bad name and an empty valueFrom on one variable, in that order', [env({ name: '', valueFrom: {} })]),
  // fieldRef.
  c('fieldref-metadata-name', 'fieldRef metadata.name (apiVersion defaulted to v1)', [env(from({ fieldRef: { fieldPath: 'metadata.name' } }))]),
  c('fieldref-every-supported', 'every supported fieldRef path', [env(...['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs']
    .map((p, i) => from({ fieldRef: { apiVersion: 'v1', fieldPath: p } }, `F${i}`)))]),
  c('fieldref-api-version-v2', 'an unsupported apiVersion', [env(from({ fieldRef: { apiVersion: 'v2', fieldPath: 'metadata.name' } }))]),
  c('fieldref-empty-path', 'an empty fieldPath is Required', [env(from({ fieldRef: { apiVersion: 'v1', fieldPath: '' } }))]),
  c('fieldref-restart-policy', 'a path the conversion knows but env does not support', [env(from({ fieldRef: { fieldPath: 'spec.restartPolicy' } }))]),
  c('fieldref-status-phase', 'status.phase is not supported in env', [env(from({ fieldRef: { fieldPath: 'status.phase' } }))]),
  c('fieldref-unknown-path', 'an unknown path fails the conversion', [env(from({ fieldRef: { fieldPath: 'spec.containers' } }))]),
  c('fieldref-html-path', 'an unknown path with HTML characters, quoted with %q', [env(from({ fieldRef: { fieldPath: 'status.<ip>' } }))]),
  c('fieldref-scheduler-name', 'spec.schedulerName converts but is not supported in env', [env(from({ fieldRef: { fieldPath: 'spec.schedulerName' } }))]),
  c('fieldref-spec-host', 'spec.host converts to spec.nodeName: admitted', [env(from({ fieldRef: { fieldPath: 'spec.host' } }))]),
  c('fieldref-label-subscript', 'a label subscript is admitted', [env(from({ fieldRef: { fieldPath: "metadata.labels['app']" } }))]),
  c('fieldref-annotation-subscript', 'an annotation subscript is admitted', [env(from({ fieldRef: { fieldPath: "metadata.annotations['example.com/Owner']" } }))]),
  c('fieldref-bad-label-subscript', 'a label subscript that is no qualified name', [env(from({ fieldRef: { fieldPath: "metadata.labels['bad key!']" } }))]),
  c('fieldref-bad-annotation-subscript', 'an annotation subscript is lowered before it is judged', [env(from({ fieldRef: { fieldPath: "metadata.annotations['Bad Key']" } }))]),
  c('fieldref-prefixed-label-subscript', 'a label subscript with a bad prefix', [env(from({ fieldRef: { fieldPath: "metadata.labels['Example.com/app']" } }))]),
  c('fieldref-empty-subscript', 'an empty label subscript', [env(from({ fieldRef: { fieldPath: "metadata.labels['']" } }))]),
  c('fieldref-three-part-subscript', 'a label subscript with two slashes', [env(from({ fieldRef: { fieldPath: "metadata.labels['a/b/c']" } }))]),
  c('fieldref-long-label-subscript', 'a label subscript of 64 characters', [env(from({ fieldRef: { fieldPath: `metadata.labels['${'a'.repeat(64)}']` } }))]),
  c('fieldref-name-subscript', 'a subscript on a field that has none', [env(from({ fieldRef: { fieldPath: "metadata.name['x']" } }))]),
  c('fieldref-labels-whole', 'metadata.labels without a subscript converts but is not supported in env', [env(from({ fieldRef: { fieldPath: 'metadata.labels' } }))]),
  // resourceFieldRef.
  c('resourcefieldref-limits-cpu', 'resourceFieldRef limits.cpu', [env(from({ resourceFieldRef: { resource: 'limits.cpu' } }))]),
  c('resourcefieldref-empty-resource', 'an empty resource is Required', [env(from({ resourceFieldRef: { containerName: 'cart', resource: '' } }))]),
  c('resourcefieldref-unknown-resource', 'an unknown resource is not supported', [env(from({ resourceFieldRef: { resource: 'limits.nvidia.com/gpu' } }))]),
  c('resourcefieldref-hugepages', 'a hugepages resource is admitted by its prefix', [env(from({ resourceFieldRef: { resource: 'requests.hugepages-2Mi' } }))]),
  c('resourcefieldref-unknown-container', 'containerName is not judged for env', [env(from({ resourceFieldRef: { containerName: 'nope', resource: 'requests.memory' } }))]),
  c('divisor-cpu-valid', 'cpu divisors 1m and 1 (written 1000m)', [env(from({ resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } }, 'A'), from({ resourceFieldRef: { resource: 'requests.cpu', divisor: '1000m' } }, 'B'))]),
  c('divisor-cpu-invalid', 'a cpu divisor of 2m', [env(from({ resourceFieldRef: { resource: 'limits.cpu', divisor: '2m' } }))]),
  c('divisor-memory-valid', 'memory divisors 1Mi and 1k', [env(from({ resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } }, 'A'), from({ resourceFieldRef: { resource: 'requests.memory', divisor: '1k' } }, 'B'))]),
  c('divisor-memory-invalid', 'a memory divisor of 3Mi', [env(from({ resourceFieldRef: { resource: 'requests.memory', divisor: '3Mi' } }))]),
  c('divisor-ephemeral-storage-invalid', 'an ephemeral-storage divisor of 1m', [env(from({ resourceFieldRef: { resource: 'limits.ephemeral-storage', divisor: '1m' } }))]),
  c('divisor-hugepages-invalid', 'a hugepages divisor of 2', [env(from({ resourceFieldRef: { resource: 'limits.hugepages-1Gi', divisor: '2' } }))]),
  c('divisor-zero', 'a zero divisor counts as unset', [env(from({ resourceFieldRef: { resource: 'limits.cpu', divisor: '0' } }))]),
  c('divisor-exponent', 'a divisor written 1e3 is 1k', [env(from({ resourceFieldRef: { resource: 'limits.memory', divisor: '1e3' } }))]),
  c('divisor-fraction-binary', 'a divisor of 0.5Ki is 512', [env(from({ resourceFieldRef: { resource: 'limits.memory', divisor: '0.5Ki' } }))]),
  c('divisor-1024ki', 'a divisor of 1024Ki is 1Mi', [env(from({ resourceFieldRef: { resource: 'limits.memory', divisor: '1024Ki' } }))]),
  c('divisor-milli-thousand', 'a cpu divisor of 0.001 is 1m', [env(from({ resourceFieldRef: { resource: 'limits.cpu', divisor: '0.001' } }))]),
  c('divisor-plus-one', 'a cpu divisor of +1 keeps its text, which is not "1"', [env(from({ resourceFieldRef: { resource: 'limits.cpu', divisor: '+1' } }))]),
  c('divisor-1e0', 'a cpu divisor of 1e0 keeps its text', [env(from({ resourceFieldRef: { resource: 'requests.cpu', divisor: '1e0' } }))]),
  c('divisor-empty-resource', 'an empty resource with a divisor: Required, the divisor not judged', [env(from({ resourceFieldRef: { resource: '', divisor: '7' } }))]),
  c('divisor-unknown-resource', 'an unknown resource with a divisor: only NotSupported', [env(from({ resourceFieldRef: { resource: 'limits.gpu', divisor: '7' } }))]),
  // configMapKeyRef and secretKeyRef.
  c('configmapkeyref-valid', 'configMapKeyRef with a name and a key', [env(from({ configMapKeyRef: { name: 'cart-config', key: 'log.level' } }))]),
  c('configmapkeyref-empty', 'configMapKeyRef with an empty name and key', [env(from({ configMapKeyRef: { name: '', key: '' } }))]),
  c('configmapkeyref-bad-name-and-key', 'an invalid name and an invalid key', [env(from({ configMapKeyRef: { name: 'Cart_Config', key: 'log level' } }))]),
  c('configmapkeyref-dotdot-key', "a key of '..'", [env(from({ configMapKeyRef: { name: 'cfg', key: '..' } }))]),
  c('configmapkeyref-dot-key', "a key of '.'", [env(from({ configMapKeyRef: { name: 'cfg', key: '.' } }))]),
  c('configmapkeyref-dotdot-prefix-key', "a key starting with '..'", [env(from({ configMapKeyRef: { name: 'cfg', key: '..data' } }))]),
  c('secretkeyref-valid', 'secretKeyRef with a name and a key', [env(from({ secretKeyRef: { name: 'cart-db', key: 'password', optional: true } }))]),
  c('secretkeyref-long-key', 'a key of 254 characters', [env(from({ secretKeyRef: { name: 'cart-db', key: 'k'.repeat(254) } }))]),
  c('secretkeyref-long-name', 'a name of 254 characters', [env(from({ secretKeyRef: { name: 'a'.repeat(254), key: 'k' } }))]),
  c('secretkeyref-trailing-dash', 'a trailing dash in a key-ref name is invalid', [env(from({ secretKeyRef: { name: 'cart-', key: 'k' } }))]),
  c('secretkeyref-missing-name', 'secretKeyRef without a name', [env(from({ secretKeyRef: { key: 'password' } }))]),
  // fileKeyRef (EnvFiles, beta, on by default) and its volume.
  c('filekeyref-valid', 'fileKeyRef on the emptyDir volume', [env(from({ fileKeyRef: { volumeName: 'data', path: 'env/app.env', key: 'TOKEN' } }))]),
  c('filekeyref-optional', 'an optional fileKeyRef', [env(from({ fileKeyRef: { volumeName: 'data', path: 'app.env', key: 'TOKEN', optional: true } }))]),
  c('filekeyref-empty', 'fileKeyRef with nothing set: three Required and the volume not found', [env(from({ fileKeyRef: {} }))]),
  c('filekeyref-projected-volume', 'a volume that is no emptyDir', [env(from({ fileKeyRef: { volumeName: 'kube-api-access-x7k2p', path: 'app.env', key: 'TOKEN' } }))]),
  c('filekeyref-unknown-volume', 'a volume the pod lacks', [env(from({ fileKeyRef: { volumeName: 'secrets', path: 'app.env', key: 'TOKEN' } }))]),
  c('filekeyref-bad-volume-name', 'a volume name that is no DNS label', [env(from({ fileKeyRef: { volumeName: 'Data.Vol', path: 'app.env', key: 'TOKEN' } }))]),
  c('filekeyref-backstep-path', "a path with '..'", [env(from({ fileKeyRef: { volumeName: 'data', path: '../app.env', key: 'TOKEN' } }))]),
  c('filekeyref-absolute-path', 'an absolute path is admitted (only backsteps are judged)', [env(from({ fileKeyRef: { volumeName: 'data', path: '/app.env', key: 'TOKEN' } }))]),
  c('filekeyref-bad-key', "a key with '='", [env(from({ fileKeyRef: { volumeName: 'data', path: 'app.env', key: 'A=B' } }))]),
  c('filekeyref-after-other-errors', 'fileKeyRef volume errors come after every container error', [
    env(from({ fileKeyRef: { volumeName: 'secrets', path: 'app.env', key: 'TOKEN' } }, 'A')),
    dbg({ env: [{ name: '', value: '1' }] }, 'debugger-2'),
  ]),
  // envFrom.
  c('envfrom-configmap', 'envFrom a ConfigMap with a prefix', [envFrom({ prefix: 'CFG_', configMapRef: { name: 'cart-config' } })]),
  c('envfrom-secret', 'envFrom an optional Secret', [envFrom({ secretRef: { name: 'cart-db', optional: true } })]),
  c('envfrom-no-source', 'envFrom without a source: reported on envFrom itself', [envFrom({ prefix: 'P_' })]),
  c('envfrom-two-sources', 'envFrom with both sources', [envFrom({ configMapRef: { name: 'a' }, secretRef: { name: 'b' } })]),
  c('envfrom-bad-prefix', "a prefix with '='", [envFrom({ prefix: 'A=', configMapRef: { name: 'cfg' } })]),
  c('envfrom-digit-prefix', 'a leading-digit prefix is admitted', [envFrom({ prefix: '1_', configMapRef: { name: 'cfg' } })]),
  c('envfrom-empty-names', 'empty configMapRef and secretRef names are Required', [envFrom({ configMapRef: { name: '' } }, { secretRef: {} })]),
  c('envfrom-bad-names', 'names that are no DNS subdomains', [envFrom({ configMapRef: { name: 'Cart_Config' } }, { secretRef: { name: '-db' } })]),
  c('envfrom-trailing-dash', 'a trailing dash is admitted in envFrom names (judged as a prefix)', [envFrom({ configMapRef: { name: 'cart-' } }, { secretRef: { name: 'db-' } })]),
  c('envfrom-dot-dash-mask', 'a name ending ".-" is masked to a valid one', [envFrom({ configMapRef: { name: 'cfg.-' } })]),
  c('envfrom-single-dash', 'a name of one dash is not masked', [envFrom({ secretRef: { name: '-' } })]),
  c('envfrom-two-without-source', 'two entries without a source: the same error twice', [envFrom({ prefix: 'A_' }, { prefix: 'B_' })]),
  c('env-then-envfrom', 'env errors before envFrom errors', [dbg({ envFrom: [{ prefix: '=' }], env: [{ name: '=', value: '1' }] })]),
  c('two-containers', 'errors of two added containers, in list order', [env({ name: '', value: '1' }), dbg({ envFrom: [{}] }, 'debugger-2')]),
]
