import t from 'tap'
import { parseImageReference } from '../../src/image/reference.js'

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`

t.test('normalizes references as ParseNormalizedNamed does', async (t) => {
  const cases: Array<[string, string, string | undefined, string | undefined]> = [
    ['busybox', 'docker.io/library/busybox', undefined, undefined],
    ['busybox:1.36', 'docker.io/library/busybox', '1.36', undefined],
    ['library/busybox', 'docker.io/library/busybox', undefined, undefined],
    ['myorg/tools', 'docker.io/myorg/tools', undefined, undefined],
    ['index.docker.io/busybox', 'docker.io/library/busybox', undefined, undefined],
    ['docker.io/nicolaka/netshoot:v0.13', 'docker.io/nicolaka/netshoot', 'v0.13', undefined],
    ['registry-1.docker.io/library/busybox', 'registry-1.docker.io/library/busybox', undefined, undefined],
    ['Registry.Example.com/debug/tools', 'registry.example.com/debug/tools', undefined, undefined],
    ['localhost/tools', 'localhost/tools', undefined, undefined],
    ['localhost:5000/tools:dev', 'localhost:5000/tools', 'dev', undefined],
    ['[::1]:5000/tools', '[::1]:5000/tools', undefined, undefined],
    ['gcr.io/distroless/base-debian12@' + DIGEST, 'gcr.io/distroless/base-debian12', undefined, DIGEST],
    ['busybox:1.36@' + DIGEST, 'docker.io/library/busybox', '1.36', DIGEST],
    ['a.b-c/d__e/f-g.h_i---j:Tag_1.x', 'a.b-c/d__e/f-g.h_i---j', 'Tag_1.x', undefined],
  ]
  for (const [input, repo, tag, digest] of cases) {
    const r = parseImageReference(input)
    if (!r.ok) { t.fail(`${input}: ${r.error}`); continue }
    t.equal(`${r.value.domain}/${r.value.path}`, repo, input)
    t.equal(r.value.tag, tag, `${input} tag`)
    t.equal(r.value.digest, digest, `${input} digest`)
  }
})

t.test('refuses what the grammar refuses, with its words', async (t) => {
  const cases: Array<[string, string]> = [
    ['', 'repository name must have at least one component'],
    ['BusyBox', 'repository name must be lowercase'],
    ['docker.io/Library/busybox', 'repository name must be lowercase'],
    [' busybox', 'invalid reference format'],
    ['busybox ', 'invalid reference format'],
    ['busybox:', 'invalid reference format'],
    ['busybox:-tag', 'invalid reference format'],
    ['busybox:' + 't'.repeat(129), 'invalid reference format'],
    ['busybox@sha256:abc', 'invalid checksum digest length'],
    ['busybox@md5:' + 'a'.repeat(32), 'unsupported digest algorithm'],
    ['busybox@sha256:' + 'A'.repeat(64), 'invalid digest format'],
    ['busybox@' + 'a'.repeat(64), 'invalid digest format'],
    ['a'.repeat(64), 'cannot specify 64-byte hexadecimal strings'],
    ['-busybox', 'invalid reference format'],
    ['busy..box', 'invalid reference format'],
    ['busy___box', 'invalid reference format'],
    ['busybox-', 'invalid reference format'],
    ['registry.example.com/', 'invalid reference format'],
    ['registry.example.com//x', 'invalid reference format'],
    ['-bad.example.com/x', 'invalid reference format'],
    ['bad-.example.com/x', 'invalid reference format'],
    ['ex..ample.com/x', 'invalid reference format'],
    ['example.com:/x', 'invalid reference format'],
    ['example.com:80a/x', 'invalid reference format'],
    ['[::1/x', 'invalid reference format'],
    ['[]/x', 'invalid reference format'],
    ['[::g]/x', 'invalid reference format'],
    ['[::1]x/y', 'invalid reference format'],
    ['ex_ample.com/x', 'invalid reference format'],
    [`example.com/${'a'.repeat(250)}`, 'repository name must not be more than 255 characters'],
  ]
  for (const [input, error] of cases) t.same(parseImageReference(input), { ok: false, error }, JSON.stringify(input.slice(0, 40)))
})

t.test('is linear: long hostile input is judged at once', async (t) => {
  // Inputs that make the grammar's regular expressions backtrack exponentially in JavaScript.
  for (const input of ['a'.repeat(50_000) + '!', `${'a-'.repeat(25_000)}!`, `x/${'a.'.repeat(25_000)}`, `${'a'.repeat(50_000)}:${'b'.repeat(50_000)}`]) {
    // A backtracking parser would not finish within the test's timeout; no clock is read.
    t.equal(parseImageReference(input).ok, false)
  }
})
