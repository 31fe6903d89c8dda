// env and env-from: ValidateEnv and ValidateEnvFrom in Kubernetes' words (checked against
// kube-apiserver 1.37.2 by the fidelity corpus, test/fidelity/corpus/env.ts).
import t from 'tap'
import { env } from '../../src/checks/env.js'
import { envFrom } from '../../src/checks/env-from.js'
import { ec, runCheck } from './run-check.js'
import type { JsonObject } from '../../src/kube/types.js'

const E = 'spec.ephemeralContainers[0].env'
const RELAXED = "a valid environment variable name must consist only of printable ASCII characters other than '='"
const SUBDOMAIN = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
const LABEL_NAME = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
const envOf = (...vars: JsonObject[]): string[] => runCheck(env, [ec({ env: vars })])
const from = (valueFrom: JsonObject): JsonObject => ({ name: 'V', valueFrom })

t.test('names: relaxed rules, the name before its source', async (t) => {
  t.same(envOf({ name: 'MY VAR', value: '1' }, { name: '1X', value: '' }, { name: '.' }), [])
  t.same(envOf({ name: '' }), [`${E}[0].name: Required value`])
  t.same(envOf({ name: 'A=B' }, { name: 'CAFÉ' }), [`${E}[0].name: Invalid value: "A=B": ${RELAXED}`, `${E}[1].name: Invalid value: "CAFÉ": ${RELAXED}`])
  t.same(envOf({ name: '', valueFrom: {} }), [`${E}[0].name: Required value`, `${E}[0].valueFrom: Invalid value: "": must specify one of: \`fieldRef\`, \`resourceFieldRef\`, \`configMapKeyRef\`, \`secretKeyRef\` or \`fileKeyRef\``])
})

t.test('exactly one source', async (t) => {
  t.same(envOf({ name: 'V', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }), [`${E}[0].valueFrom: Invalid value: "": may not be specified when \`value\` is not empty`])
  t.same(envOf(from({ fieldRef: { fieldPath: 'metadata.name' }, secretKeyRef: { name: 's', key: 'k' } })), [`${E}[0].valueFrom: Invalid value: "": may not have more than one field specified at a time`])
  t.same(envOf({ name: 'V', valueFrom: null }), [], 'valueFrom: null is no valueFrom')
})

t.test('fieldRef', async (t) => {
  const f = (fieldPath: string, apiVersion?: string): string[] => envOf(from({ fieldRef: { fieldPath, ...(apiVersion === undefined ? {} : { apiVersion }) } }))
  const at = `${E}[0].valueFrom.fieldRef`
  for (const ok of ['metadata.name', 'spec.host', "metadata.labels['app']", "metadata.annotations['example.com/Owner']", 'status.podIPs']) t.same(f(ok), [], ok)
  t.same(f('metadata.name', ''), [], 'an empty apiVersion is defaulted to v1')
  t.same(f('metadata.name', 'v2'), [`${at}.fieldPath: Invalid value: "metadata.name": error converting fieldPath: unsupported pod version: v2`])
  t.same(f(''), [`${at}.fieldPath: Required value`])
  t.same(f('spec.containers'), [`${at}.fieldPath: Invalid value: "spec.containers": error converting fieldPath: field label not supported: spec.containers`])
  t.same(f("metadata.name['x']"), [`${at}.fieldPath: Invalid value: "metadata.name['x']": error converting fieldPath: field label does not support subscript: metadata.name['x']`])
  t.match(f('status.phase')[0], /^.*fieldPath: Unsupported value: "status.phase": supported values: "metadata.name", .*"status.podIPs"$/)
  t.same(f("metadata.annotations['Bad Key']"), [`${at}: Invalid value: "bad key": ${LABEL_NAME}`], 'annotation keys are lowered')
  t.same(f("metadata.labels['a/b/c']"), [`${at}: Invalid value: "a/b/c": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`])
  t.same(f("metadata.labels['/app']"), [`${at}: Invalid value: "/app": prefix part must be non-empty`])
  t.same(f("metadata.labels['x/']"), [`${at}: Invalid value: "x/": name part must be non-empty`, `${at}: Invalid value: "x/": ${LABEL_NAME}`])
  t.same(f(`metadata.labels['${'a'.repeat(64)}']`), [`${at}: Invalid value: "${'a'.repeat(64)}": name part must be no more than 63 bytes`])
  t.same(f(`metadata.labels['${'a'.repeat(254)}/x']`).length, 1, 'a long prefix: its length')
  t.same(f("metadata.labels['']"), [`${at}: Invalid value: "": name part must be non-empty`, `${at}: Invalid value: "": ${LABEL_NAME}`], 'an empty subscript is one')
  t.same(envOf(from({ fieldRef: { fieldPath: 7 } })), [], 'a fieldPath that is no string never reaches a webhook')
})

t.test('resourceFieldRef and divisors', async (t) => {
  const r = (resource: string, divisor?: string | number): string[] => envOf(from({ resourceFieldRef: { resource, ...(divisor === undefined ? {} : { divisor }) } }))
  const at = `${E}[0].valueFrom.resourceFieldRef`
  t.same(r('limits.cpu'), [])
  t.same(r('requests.hugepages-2Mi', '1Mi'), [])
  t.same(r(''), [`${at}.resource: Required value`])
  t.same(r('limits.gpu', '7'), [`${at}.resource: Unsupported value: "limits.gpu": supported values: "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"`])
  for (const ok of ['1m', '1', '1000m', '0', '0.001']) t.same(r('limits.cpu', ok), [], `cpu divisor ${ok}`)
  for (const bad of ['1e0', '+1', '01']) t.same(r('limits.cpu', bad).length, 1, `cpu divisor ${bad}: Quantity.String() keeps that text`)
  t.same(r('limits.cpu', 1), [], 'a number divisor')
  t.same(r('limits.cpu', '2m'), [`${at}.divisor: Invalid value: "limits.cpu": only divisor's values 1m and 1 are supported with the cpu resource`])
  const memory = "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the"
  for (const ok of ['1Mi', '1k', '1024Ki', '1000', '1E', '0.5Ki']) t.same(r('requests.memory', ok).length, ok === '0.5Ki' ? 1 : 0, `memory divisor ${ok}`)
  t.same(r('requests.memory', '1e3'), [`${at}.divisor: Invalid value: "requests.memory": ${memory} memory resource`], '1e3 keeps its exponent form')
  t.same(r('limits.ephemeral-storage', '1m'), [`${at}.divisor: Invalid value: "limits.ephemeral-storage": ${memory} local ephemeral storage resource`])
  t.same(r('limits.hugepages-1Gi', '2'), [`${at}.divisor: Invalid value: "limits.hugepages-1Gi": ${memory} hugepages resource`])
  t.same(r('limits.cpu', 'lots'), [], 'a divisor the API server cannot parse never reaches a webhook')
  t.same(r('limits.cpu', ''), [], 'an empty divisor is unset')
  t.same(envOf(from({ resourceFieldRef: { resource: 3 } })), [], 'a resource that is no string')
})

t.test('configMapKeyRef and secretKeyRef', async (t) => {
  const at = `${E}[0].valueFrom`
  t.same(envOf(from({ configMapKeyRef: { name: 'cfg', key: 'log.level' } })), [])
  t.same(envOf(from({ configMapKeyRef: { name: '', key: '' } })), [`${at}.configMapKeyRef.name: Invalid value: "": ${SUBDOMAIN}`, `${at}.configMapKeyRef.key: Required value`])
  t.same(envOf(from({ secretKeyRef: { name: 'cart-', key: '..' } })), [`${at}.secretKeyRef.name: Invalid value: "cart-": ${SUBDOMAIN}`, `${at}.secretKeyRef.key: Invalid value: "..": must not be '..'`])
  t.same(envOf(from({ secretKeyRef: { name: 's', key: '.' } })), [`${at}.secretKeyRef.key: Invalid value: ".": must not be '.'`])
  t.same(envOf(from({ secretKeyRef: { name: 's', key: '..x' } })), [`${at}.secretKeyRef.key: Invalid value: "..x": must not start with '..'`])
  const long = 'k'.repeat(254)
  t.same(envOf(from({ secretKeyRef: { name: 'a'.repeat(254), key: long } })), [
    `${at}.secretKeyRef.name: Invalid value: "${'a'.repeat(254)}": must be no more than 253 characters`,
    `${at}.secretKeyRef.key: Invalid value: "${long}": must be no more than 253 characters`,
  ])
  t.match(envOf(from({ secretKeyRef: { name: 's', key: 'a b' } }))[0], /a valid config key must consist of alphanumeric characters, '-', '_' or '.' \(e\.g\. 'key\.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '\[-\._a-zA-Z0-9\]\+'\)$/)
  t.same(envOf(from({ secretKeyRef: { name: 1, key: 2 } })), [], 'fields that are no strings')
})

t.test('fileKeyRef', async (t) => {
  const at = `${E}[0].valueFrom.fileKeyRef`
  t.same(envOf(from({ fileKeyRef: { volumeName: 'data', path: '/app.env', key: 'T' } })), [])
  t.same(envOf(from({ fileKeyRef: {} })), [`${at}.key: Required value`, `${at}.volumeName: Required value`, `${at}.path: Required value`])
  t.same(envOf(from({ fileKeyRef: { volumeName: 'Data.Vol', path: 'a/../b', key: 'A=B' } })), [
    `${at}.key: Invalid value: "A=B": ${RELAXED}`,
    `${at}.volumeName: Invalid value: "Data.Vol": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    `${at}.path: Invalid value: "a/../b": must not contain '..'`,
  ])
  t.same(envOf(from({ fileKeyRef: { volumeName: 'a.b', path: 'p', key: 'K' } })), [`${at}.volumeName: Invalid value: "a.b": must not contain dots`])
  t.same(envOf(from({ fileKeyRef: { volumeName: 'v'.repeat(64), path: 'p', key: 'K' } })), [`${at}.volumeName: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`])
  t.same(envOf(from({ fileKeyRef: { volumeName: 1, path: 2, key: 3 } })), [], 'fields that are no strings')
})

t.test('entries that are no objects, and containers without env', async (t) => {
  t.same(runCheck(env, [ec({ env: ['X=1', null] }), ec({ env: 'X' }), 'not a container']), [])
  t.same(runCheck(env, [ec({ env: [{ name: 7 }] })]), [], 'a name that is no string')
  t.same(runCheck(env, [ec({ env: [{ name: '' }] })], { shape: 'EphemeralContainers' }), ['ephemeralContainers[0].env[0].name: Required value'], 'the legacy object')
})

t.test('envFrom', async (t) => {
  const F = 'spec.ephemeralContainers[0].envFrom'
  const of = (...sources: JsonObject[]): string[] => runCheck(envFrom, [ec({ envFrom: sources })])
  t.same(of({ prefix: '1_', configMapRef: { name: 'cart-' } }, { secretRef: { name: 'db-', optional: true } }, { configMapRef: { name: '--' } }), [], 'a trailing dash is masked')
  const neither = `${F}: Invalid value: "": must specify one of: \`configMapRef\` or \`secretRef\``
  t.same(of({ prefix: 'P_' }, {}), [neither, neither], 'the same error twice: the check reports both, the decision lists it once (test/decision/modes.test.ts)')
  t.same(of({ configMapRef: { name: 'a' }, secretRef: { name: 'b' } }), [`${F}: Invalid value: "": may not have more than one field specified at a time`])
  t.same(of({ prefix: 'A=', configMapRef: { name: '' } }, { secretRef: {} }), [`${F}[0].prefix: Invalid value: "A=": ${RELAXED}`, `${F}[0].configMapRef.name: Required value`, `${F}[1].secretRef.name: Required value`])
  t.same(of({ configMapRef: { name: 'Cart_Config' } }, { secretRef: { name: '-' } }), [`${F}[0].configMapRef.name: Invalid value: "Cart_Config": ${SUBDOMAIN}`, `${F}[1].secretRef.name: Invalid value: "-": ${SUBDOMAIN}`])
  t.same(of({ configMapRef: { name: 5 } }), [], 'a name that is no string')
  t.same(runCheck(envFrom, [ec({ envFrom: [1, null] }), ec({ envFrom: {} }), 'x']), [])
})
