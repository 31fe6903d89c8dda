// The JSON fixtures under test/fixtures/admission-review/ (used by the README's examples and the
// benchmark) decide as their names say.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { admit } from '../src/admission/admit.js'
import { decodeReview } from '../src/admission/decode.js'
import { parseJson } from '../src/admission/parse.js'
import { defaultPolicy } from '../src/policy/default.js'

const fixture = (name: string) => decodeReview(parseJson(readFileSync(new URL(`fixtures/admission-review/${name}`, import.meta.url), 'utf8')))

t.test('debug-general.json is allowed, and mutated to pull Always', async (t) => {
  t.equal(admit(fixture('debug-general.json'), 'validate', defaultPolicy).review.response?.allowed, true)
  const patch = admit(fixture('debug-general.json'), 'mutate', defaultPolicy).review.response?.patch
  t.same(JSON.parse(Buffer.from(patch ?? '', 'base64').toString()), [{ op: 'replace', path: '/spec/ephemeralContainers/0/imagePullPolicy', value: 'Always' }])
})

t.test('debug-sysadmin.json is denied', async (t) => {
  const res = admit(fixture('debug-sysadmin.json'), 'validate', defaultPolicy).review.response
  t.equal(res?.allowed, false)
  t.equal(res?.uid, '9b1d4f2a-7c3e-4e8a-b6d5-2f1a0c9e8d7b')
})

t.test('debug-general-v1beta1-legacy.json is allowed in v1beta1', async (t) => {
  const answer = admit(fixture('debug-general-v1beta1-legacy.json'), 'validate', defaultPolicy).review
  t.equal(answer.apiVersion, 'admission.k8s.io/v1beta1')
  t.equal(answer.response?.allowed, true)
})
