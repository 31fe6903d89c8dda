// images: rule spec, container, violations.
import t from 'tap'
import { imagesCheck, type ImagesSpec } from '../../../src/checks/policy/images.js'
import { judge, type Row } from '../../support/policy-checks.js'

const DIGEST = `sha256:${'e'.repeat(64)}`
const rows: Array<[name: string, spec: ImagesSpec, container: Record<string, unknown> | null, violations: Row[]]> = [
  ['{} passes a valid reference', {}, { image: 'busybox:1.36' }, []],
  ['{} refuses an unparsable reference', {}, { image: 'Not/Valid' }, [['.image', 'Invalid', 'repository name must be lowercase', 'Not/Valid']]],
  ['an image that is no string', {}, { image: 7 }, [['.image', 'Invalid', 'must be string', 7]]],
  ['no image: nothing to judge (Kubernetes requires one)', { allow: [] }, {}, []],
  ['not an object: nothing to judge here', {}, null, []],
  ['allow: a listed repository', { allow: ['registry.example.com/debug/*'] }, { image: 'registry.example.com/debug/tools:1' }, []],
  ['allow: anything else', { allow: ['registry.example.com/debug/*', 'busybox'] }, { image: 'registry.example.com.evil.io/debug/tools' },
    [['.image', 'Invalid', 'is not allowed; allowed images: registry.example.com/debug/*, busybox', 'registry.example.com.evil.io/debug/tools']]],
  ['allow: [] allows nothing', { allow: [] }, { image: 'busybox' }, [['.image', 'Invalid', 'is not allowed; allowed images: ', 'busybox']]],
  ['deny wins over allow', { allow: ['**'], deny: ['docker.io/library/*'] }, { image: 'busybox' }, [['.image', 'Invalid', 'matches denied image pattern "docker.io/library/*"', 'busybox']]],
  ['requireDigest: a tag', { requireDigest: true }, { image: 'busybox:1.36' }, [['.image', 'Invalid', 'must be pinned by digest (@sha256:...)', 'busybox:1.36']]],
  ['requireDigest: a digest', { requireDigest: true }, { image: `busybox@${DIGEST}` }, []],
  ['forbidTags: latest', { forbidTags: ['latest'] }, { image: 'busybox:latest' }, [['.image', 'Invalid', 'tag "latest" is not allowed', 'busybox:latest']]],
  ['forbidTags: no tag counts as latest', { forbidTags: ['latest'] }, { image: 'busybox' }, [['.image', 'Invalid', 'tag "latest" is not allowed', 'busybox']]],
  ['forbidTags: judged by the digest', { forbidTags: ['latest'] }, { image: `busybox:latest@${DIGEST}` }, []],
  ['every problem, in order', { allow: ['registry.example.com/**'], deny: ['docker.io/**'], requireDigest: true, forbidTags: ['latest'] }, { image: 'busybox' }, [
    ['.image', 'Invalid', 'matches denied image pattern "docker.io/**"', 'busybox'],
    ['.image', 'Invalid', 'is not allowed; allowed images: registry.example.com/**', 'busybox'],
    ['.image', 'Invalid', 'must be pinned by digest (@sha256:...)', 'busybox'],
    ['.image', 'Invalid', 'tag "latest" is not allowed', 'busybox'],
  ]],
]

t.test('images', async (t) => {
  for (const [name, spec, container, want] of rows) t.same(judge(imagesCheck(spec, 'r'), container as never), want, name)
})

t.test('descriptions say what is required', async (t) => {
  t.equal(imagesCheck({}, 'r').description, 'image is a valid reference')
  t.equal(imagesCheck({ allow: [], deny: ['docker.io/**'], requireDigest: true, forbidTags: ['latest'] }, 'r').description,
    'image is a valid reference; allowed: none; denied: docker.io/**; pinned by digest; tags not allowed: latest')
})

t.test('a pattern that does not parse fails the compile (the policy format refuses it first)', async (t) => {
  t.throws(() => imagesCheck({ allow: ['a//b'] }, 'r'), /image pattern "a\/\/b" has an empty path segment/)
})
