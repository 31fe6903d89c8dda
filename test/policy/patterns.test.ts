import t from 'tap'
import { parseImageReference, type ImageReference } from '../../src/image/reference.js'
import { imageMatches, parseImagePattern, type ImagePattern } from '../../src/image/pattern.js'
import { compileGlob, compileGlobs } from '../../src/glob.js'
import { compileSelector, selectorErrors } from '../../src/kube/label-selector.js'

const DIGEST = `sha256:${'c'.repeat(64)}`
const OTHER = `sha256:${'d'.repeat(64)}`
const ref = (image: string): ImageReference => {
  const r = parseImageReference(image)
  if (!r.ok) throw new Error(r.error)
  return r.value
}
const pattern = (p: string): ImagePattern => {
  const r = parseImagePattern(p)
  if (!r.ok) throw new Error(r.error)
  return r.value
}

t.test('image patterns match at segment boundaries, never as string prefixes', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['registry.example.com/debug/*', 'registry.example.com/debug/tools:1.0', true],
    ['registry.example.com/debug/*', 'registry.example.com.evil.io/debug/x', false],
    ['registry.example.com/debug/*', 'registry.example.com/debug-evil/x', false],
    ['registry.example.com/debug/*', 'registry.example.com/debug/a/b', false],
    ['registry.example.com/debug/**', 'registry.example.com/debug/a/b', true],
    ['registry.example.com/debug/**', 'registry.example.com/debug', true],
    ['registry.example.com/**/tools', 'registry.example.com/a/b/c/tools', true],
    ['docker.io/library/busybox', 'busybox', true],
    ['docker.io/library/busybox', 'busybox:1.36', true],
    ['docker.io/library/busybox', 'docker.io/library/busybox-evil', false],
    ['docker.io/library/busybox', 'index.docker.io/library/busybox', true],
    ['docker.io/library/busybox', 'registry-1.docker.io/library/busybox', false],
    ['busybox', 'docker.io/library/busybox', true],
    ['nicolaka/netshoot', 'docker.io/nicolaka/netshoot:v0.13', true],
    ['Registry.Example.com/debug/*', 'registry.example.com/debug/x', true],
    ['*/debug/*', 'any.registry.io/debug/x', true],
    ['**', 'anything.io/at/all', true],
    ['docker.io/*', 'busybox', false],
    ['docker.io/library/*', 'busybox', true],
    // Pins.
    ['docker.io/library/busybox:1.36', 'busybox:1.36', true],
    ['docker.io/library/busybox:1.36', 'busybox:1.37', false],
    ['docker.io/library/busybox:latest', 'busybox', true],
    ['docker.io/library/busybox:1.36', `busybox:1.36@${DIGEST}`, false],
    [`docker.io/library/busybox@${DIGEST}`, `busybox@${DIGEST}`, true],
    [`docker.io/library/busybox@${DIGEST}`, `busybox:1.36@${DIGEST}`, true],
    [`docker.io/library/busybox@${DIGEST}`, `busybox@${OTHER}`, false],
    [`docker.io/library/busybox@${DIGEST}`, 'busybox', false],
    ['localhost:5000/tools', 'localhost:5000/tools:dev', true],
  ]
  for (const [p, image, want] of cases) t.equal(imageMatches(ref(image), pattern(p)), want, `${p} ${want ? 'matches' : 'does not match'} ${image}`)
})

t.test('malformed image patterns are refused at load', async (t) => {
  t.same(parseImagePattern('registry.example.com//x'), { ok: false, error: 'has an empty path segment' })
  t.same(parseImagePattern('registry.example.com/debug-*'), { ok: false, error: 'may use * and ** only as whole path segments' })
  t.same(parseImagePattern('Registry.example.com/Debug'), { ok: false, error: 'repository name must be lowercase' })
  t.same(parseImagePattern('busybox@sha256:abc'), { ok: false, error: 'invalid checksum digest length' })
  t.same(parseImagePattern('busybox:-x'), { ok: false, error: 'invalid reference format' })
})

t.test('name globs: * is any run of characters, the rest literal', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['prod-*', 'prod-eu', true], ['prod-*', 'prod-', true], ['prod-*', 'preprod-eu', false],
    ['*-system', 'kube-system', true], ['kube-*-lease', 'kube-node-lease', true], ['kube-*-lease', 'kube-lease', false],
    ['a*b*c', 'abc', true], ['a*b*c', 'aXbYc', true], ['a*b*c', 'acb', false], ['a*a', 'a', false],
    ['*', '', true], ['exact', 'exact', true], ['exact', 'exactly', false], ['a.b', 'aXb', false],
    ['system:serviceaccounts:*', 'system:serviceaccounts:kube-system', true],
  ]
  for (const [g, name, want] of cases) t.equal(compileGlob(g)(name), want, `${g} ~ ${name}`)
  t.equal(compileGlobs([])('x'), false, 'no globs match nothing')
  t.equal(compileGlobs(['x', 'y*'])('yz'), true)
  // Hostile input: a backtracking matcher would not finish within the test's timeout; no clock is read.
  t.equal(compileGlob('*a*a*a*a*a*b')('a'.repeat(100_000)), false, 'hostile input decided')
})

t.test('LabelSelector semantics', async (t) => {
  const labels = { app: 'cart', tier: 'web', compliance: 'pci' }
  const cases: Array<[Parameters<typeof compileSelector>[0], boolean]> = [
    [{}, true],
    [{ matchLabels: { app: 'cart' } }, true],
    [{ matchLabels: { app: 'cart', tier: 'db' } }, false],
    [{ matchLabels: { missing: '' } }, false],
    [{ matchExpressions: [{ key: 'compliance', operator: 'In', values: ['pci', 'hipaa'] }] }, true],
    [{ matchExpressions: [{ key: 'compliance', operator: 'In', values: ['hipaa'] }] }, false],
    [{ matchExpressions: [{ key: 'missing', operator: 'In', values: ['x'] }] }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, false],
    [{ matchExpressions: [{ key: 'missing', operator: 'NotIn', values: ['x'] }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'missing', operator: 'Exists' }] }, false],
    [{ matchExpressions: [{ key: 'missing', operator: 'DoesNotExist' }] }, true],
    [{ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    [{ matchLabels: { app: 'cart' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, false],
  ]
  for (const [selector, want] of cases) t.equal(compileSelector(selector)(labels), want, JSON.stringify(selector))
  t.same(selectorErrors({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }, { key: 'b', operator: 'Exists', values: ['x'] }] }, 'sel'), [
    'sel.matchExpressions[0].values: must be non-empty when operator is In',
    'sel.matchExpressions[1].values: may not be specified when operator is Exists',
  ])
})
