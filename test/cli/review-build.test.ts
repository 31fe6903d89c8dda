// `review` from plain resources: YAML reviews, a review built from --pod and kubectl debug flags with
// --as/--as-group, and -o yaml|text (the decoded patch and the containers after it).
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { cli } from '../support/cli.js'
import { admissionReview, profileContainer } from '../support/reviews.js'
import type { AdmissionReview } from '../../src/kube/types.js'
import { PACKAGE_ROOT } from '../../src/paths.js'

const dir = mkdtempSync(join(tmpdir(), 'eg-review-build-'))
const pod = join(dir, 'pod.yaml')
writeFileSync(pod, 'apiVersion: v1\nkind: Pod\nmetadata: {name: cart, namespace: shop}\nspec:\n  containers: [{name: cart, image: "cart:1"}]\n')
const subjects = join(dir, 'policy.yaml')
writeFileSync(subjects, 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: s}\nspec:\n  rules:\n    - {name: sre-only, match: {namespaces: [shop]}, subjects: {groups: [sre]}}\n')

t.test('--pod with debug flags: the review kubectl debug would cause', async (t) => {
  const denied = await cli(['review', '--pod', pod, '--image', 'busybox:1.36', '--profile', 'sysadmin', '--target', 'cart'])
  t.equal(denied.status, 1)
  t.match((JSON.parse(denied.stdout) as AdmissionReview).response?.status?.message, /securityContext\.privileged: Forbidden/)
  const general = await cli(['review', '--pod', pod, '--image', 'busybox:1.36', '--env', 'A=1', '--env', 'B=2', '-c', 'dbg'])
  t.equal(general.status, 0, general.stderr)
  const byDev = await cli(['review', '--policy', subjects, '--pod', pod, '--image', 'busybox:1.36', '--as', 'bob', '--as-group', 'dev'])
  t.equal(byDev.status, 1, 'the requester comes from --as/--as-group')
  t.match((JSON.parse(byDev.stdout) as AdmissionReview).response?.status?.message, /"bob"/)
  const bySre = await cli(['review', '--policy', subjects, '--pod', pod, '--image', 'busybox:1.36', '--as', 'alice', '--as-group', 'dev', '--as-group', 'sre'])
  t.equal(bySre.status, 0)
  const elsewhere = await cli(['review', '--policy', subjects, '--pod', pod, '--image', 'busybox:1.36', '--as', 'bob', '-n', 'other'])
  t.equal(elsewhere.status, 0, '-n: the request\'s namespace')
})

t.test('--webhook mutate -o text: the decoded patch and the patched container', async (t) => {
  const r = await cli(['review', '--webhook', 'mutate', '-o', 'text', '--pod', pod, '--image', 'busybox:1.36', '--profile', 'sysadmin', '--image-pull-policy', 'Never'])
  t.equal(r.status, 0)
  t.equal(r.stdout, [
    'allowed, patched (1 operation) by the mutating webhook', '',
    'patch:', '- op: replace', '  path: /spec/ephemeralContainers/0/imagePullPolicy', '  value: Always', '',
    'new containers after the patch:', '- name: debugger-00000', '  image: busybox:1.36', '  resources: {}', '  terminationMessagePath: /dev/termination-log',
    '  terminationMessagePolicy: File', '  imagePullPolicy: Always', '  securityContext:', '    privileged: true', '',
    'then the validating webhook: denied: spec.ephemeralContainers[0].securityContext.privileged: Forbidden: privileged debug containers are not allowed (rule no-privileged)', '',
  ].join('\n'))
  const tty = await cli(['review', '--webhook', 'mutate', '--pod', pod, '--image', `busybox@sha256:${'a'.repeat(64)}`, '--namespace-labels', 'pod-security.kubernetes.io/enforce=baseline'], { stdoutTTY: true })
  t.match(tty.stdout, /^allowed, no patch by the mutating webhook\n\nnew containers after the patch:\n/, 'text is the default on a terminal')
  t.match(tty.stdout, /then the validating webhook: allowed\n$/)
  const fit = await cli(['review', '--webhook', 'mutate', '-o', 'text', '--policy', join(PACKAGE_ROOT, 'policies', 'examples', 'mutations.yaml'), '--pod', pod, '--image', 'busybox:1.36', '--namespace-labels', 'pod-security.kubernetes.io/enforce=restricted'])
  t.match(fit.stdout, /^allowed, patched \(\d+ operations\) by the mutating webhook\nWarning: spec\.ephemeralContainers\[0\]\.securityContext\.capabilities\.add: removed "SYS_PTRACE"/, 'the warnings only the mutation knows')
})

t.test('YAML in, YAML out', async (t) => {
  const review = admissionReview({ added: [profileContainer('general')] })
  const file = join(dir, 'review.yaml')
  writeFileSync(file, `# a review written by hand\n${JSON.stringify(review)}\n`.replace(/^\{/m, '{'))
  const yamlFile = join(dir, 'review2.yaml')
  const { stringify } = await import('yaml')
  writeFileSync(yamlFile, `# with a comment\n${stringify(review)}`)
  const r = await cli(['review', '-o', 'yaml', yamlFile])
  t.equal(r.status, 0, r.stderr)
  t.match(parse(r.stdout) as AdmissionReview, { kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } })
  const deep = await cli(['review'], { input: `a: ${'['.repeat(150)}${']'.repeat(150)}\n` })
  t.equal(deep.status, 2)
  t.match(deep.stderr, /not a usable AdmissionReview: JSON nesting deeper than 100 levels/)
  const broken = await cli(['review'], { input: 'kind: AdmissionReview\nrequest: {uid: x\n' })
  t.match(broken.stderr, /^ephemeral-guard review: not a usable AdmissionReview: YAML line \d+, column \d+: /)
})

t.test('usage errors', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--pod', pod], /--pod needs --image/],
    [['--pod', pod, '--image', 'b', 'review.json'], /takes FILE or --pod FILE with debug flags, not both/],
    [['--profile', 'sysadmin', 'x.json'], /--profile builds a review with --pod FILE/],
    [['--env', 'A=1', 'x.json'], /--env builds a review with --pod FILE/],
    [['-o', 'text', 'x.json'], /-o text shows a mutation: use it with --webhook mutate/],
    [['-o', 'xml', 'x.json'], /-o must be json, yaml or text, got xml/],
    [['--pod', join(dir, 'nope.yaml'), '--image', 'b'], /--pod \S+nope\.yaml: cannot read/],
    [['--pod', subjects, '--image', 'b'], /--pod must be a Pod manifest, got kind "EphemeralContainerPolicy"/],
    [['--pod', pod, '--image', 'b', '--profile', 'root'], /--profile must be one of legacy, general/],
  ]
  writeFileSync(join(dir, 'list.yaml'), '- 1\n')
  cases.push([['--pod', join(dir, 'list.yaml'), '--image', 'b'], /--pod \S+list\.yaml: not a Pod manifest/])
  for (const [args, want] of cases) {
    const r = await cli(['review', ...args])
    t.equal(r.status, 2, args.join(' '))
    t.match(r.stderr, want, args.join(' '))
  }
  const tty = await cli(['review'], { stdinTTY: true })
  t.match(tty.stderr, /standard input, which is a terminal here; give FILE, pipe the review in, or build one with --pod FILE --image IMAGE/)
})
