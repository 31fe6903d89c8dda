// `ephemeral-guard test`: policy tests from plain YAML, run in-process as the bin runs them, on the
// shipped examples (policies/tests) and on files written here: passes, failures with their diffs,
// the three formats, and every way a test file can be unusable (exit 2, the field named).
import t from 'tap'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cli } from '../support/cli.js'
import { PACKAGE_ROOT } from '../../src/paths.js'
import { loadTestFile, runCase } from '../../src/verify/cases.js'
import { formatJunit, formatTable } from '../../src/verify/format.js'

const EXAMPLES = join(PACKAGE_ROOT, 'policies', 'tests')
const HEAD = 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicyTest\n'
const POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers: [{name: web, image: "nginx:1.27"}]\n'

const dir = mkdtempSync(join(tmpdir(), 'eg-verify-'))
const write = (name: string, text: string): string => {
  const file = join(dir, name)
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, text)
  return file
}
write('pod.yaml', POD)
write('policy.yaml', 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: ps}\nspec:\n  mutations: {podSecurity: {fit: true}}\n  rules:\n    - name: only-sre\n      match: {namespaces: ["prod-*"]}\n      subjects: {groups: [sre]}\n')

t.test('the shipped examples pass', async (t) => {
  const r = await cli(['test', EXAMPLES])
  t.equal(r.status, 0, r.stdout)
  t.match(r.stdout, /^RESULT {2}FILE +CASE\nPASS {4}/)
  t.match(r.stdout, /\n\n4 passed, 0 failed\n$/)
})

t.test('a failing case: exit 1, a table with the diff, json and junit', async (t) => {
  const file = write('fail/fit.test.yaml', `${HEAD}policy: ../policy.yaml\npod: ../pod.yaml\nnamespaceLabels: {pod-security.kubernetes.io/enforce: restricted}\ncases:
  - name: the fit drops kubectl's SYS_PTRACE
    debug: {image: busybox:1.36, target: web}
    user: alice
    groups: [dev]
    expect:
      verdict: allowed
      rules: []
      warnings: ['spec.ephemeralContainers[0].securityContext.capabilities.add: removed "SYS_PTRACE" (kubectl debug''s default profile): Pod Security "restricted:latest" of namespace "shop" forbids it']
      containers: [{securityContext: {capabilities: {drop: [ALL]}, allowPrivilegeEscalation: false, seccompProfile: {type: RuntimeDefault}, runAsNonRoot: true, runAsUser: 65534}}]
  - name: wrong on purpose
    pod: {kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}
    namespaceLabels: {}
    containers: [{name: a, image: "busybox:1.36"}, {name: b, image: busybox, securityContext: {privileged: true}}]
    expect:
      verdict: denied
      rules: [other]
      warnings: [nope]
      messages: [never said]
      containers: [{imagePullPolicy: Never}, {name: b}, {name: c}]
`)
  const r = await cli(['test', file])
  t.equal(r.status, 1)
  t.match(r.stdout, /PASS {4}\S*fit\.test\.yaml +the fit drops kubectl's SYS_PTRACE\n/)
  t.match(r.stdout, /FAIL {4}\S*fit\.test\.yaml +wrong on purpose\n {6}verdict:\n {6}- "denied"\n {6}\+ "allowed"\n {6}rules:\n {6}- \["other"\]\n {6}\+ \[\]\n/)
  t.match(r.stdout, / {6}containers\[0\]\.imagePullPolicy:\n {6}- "Never"\n {6}\+ "Always"\n/, 'the mutation set it')
  t.match(r.stdout, / {6}containers\[2\]:\n {6}- name: c\n {6}\+ null\n/, 'a container that is not there')
  t.match(r.stdout, / {6}messages:\n {6}- "never said"\n/)
  t.match(r.stdout, /\n1 passed, 1 failed\n$/)

  const json = await cli(['test', '-o', 'json', file])
  t.equal(json.status, 1)
  const parsed = JSON.parse(json.stdout) as { passed: number; failed: number; results: Array<{ name: string; passed: boolean; differences: Array<{ field: string }> }> }
  t.equal(parsed.passed, 1)
  t.same(parsed.results[1]!.differences.map((d) => d.field), ['verdict', 'rules', 'warnings', 'messages', 'containers[0].imagePullPolicy', 'containers[2]'])

  const junit = await cli(['test', '-o', 'junit', file])
  t.match(junit.stdout, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="ephemeral-guard test" tests="2" failures="1">\n {2}<testsuite name="[^"]*fit\.test\.yaml" tests="2" failures="1">\n {4}<testcase classname="[^"]*" name="the fit drops kubectl's SYS_PTRACE"\/>/)
  t.match(junit.stdout, /<failure message="verdict, rules, warnings, messages, containers\[0\]\.imagePullPolicy, containers\[2\] differ">verdict:\n- &quot;denied&quot;/)
  t.match(junit.stdout, /<\/testsuites>\n$/)
})

t.test('files found under a directory; -o and empty directories', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'eg-verify-tree-'))
  mkdirSync(join(root, 'node_modules'))
  mkdirSync(join(root, '.git'))
  writeFileSync(join(root, 'node_modules', 'x.test.yaml'), 'not: read')
  writeFileSync(join(root, '.git', 'x.test.yaml'), 'not: read')
  writeFileSync(join(root, 'notes.yaml'), 'not: read')
  const none = await cli(['test', root])
  t.equal(none.status, 2)
  t.match(none.stderr, /^ephemeral-guard test: no test files \(\*\.test\.yaml\) in /)
  writeFileSync(join(root, 'pod.yaml'), POD)
  writeFileSync(join(root, 'a.test.yml'), `${HEAD}pod: pod.yaml\ncases: [{name: a, debug: {image: "busybox:1.36"}, expect: {verdict: allowed}}]\n`)
  const one = await cli(['test', root])
  t.equal(one.status, 0, one.stdout)
  t.match(one.stdout, /a\.test\.yml +a\n/)
  t.match((await cli(['test', '-o', 'xml', root])).stderr, /-o must be table, json or junit, got xml/)
  t.match((await cli(['test', join(root, 'missing')])).stderr, /missing: no such file or directory/)
})

t.test('an unusable test file: exit 2, naming the file and the field', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['cases: [\n', /line 2, column 1: /],
    ['- a list', /\(document\): must be a mapping/],
    ['kind: Other\n', /kind: must be EphemeralContainerPolicyTest/],
    [`${HEAD}cases: []`, /cases: must be a non-empty list/],
    [`${HEAD}cases: [3]`, /cases\[0\]: must be a mapping/],
    [`${HEAD}cases: [{name: a, expect: {}, what: 1}]`, /cases\[0\]\.what: unknown field/],
    [`${HEAD}cases: [{expect: {}}]`, /cases\[0\]\.name: must be a non-empty string/],
    [`${HEAD}cases: [{name: a, container: 3, expect: {}}]`, /cases\[0\]\.container: must be a container spec/],
    [`${HEAD}cases: [{name: a, containers: 3, expect: {}}]`, /cases\[0\]\.containers: must be a list of container specs/],
    [`${HEAD}cases: [{name: a, containers: [3], expect: {}}]`, /cases\[0\]\.containers: must be a list of container specs/],
    [`${HEAD}cases: [{name: a, debug: 3, expect: {}}]`, /cases\[0\]\.debug: must be a mapping of kubectl debug flags/],
    [`${HEAD}cases: [{name: a, debug: {image: x, privileged: true}, expect: {}}]`, /cases\[0\]\.debug\.privileged: unknown flag; known: image, /],
    [`${HEAD}cases: [{name: a, debug: {profile: general}, expect: {}}]`, /cases\[0\]\.debug\.image: required/],
    [`${HEAD}cases: [{name: a, debug: {image: x, target: 1}, expect: {}}]`, /cases\[0\]\.debug\.target: must be a string/],
    [`${HEAD}cases: [{name: a, debug: {image: x, env: A=1}, expect: {}}]`, /cases\[0\]\.debug\.env: must be a list of strings/],
    [`${HEAD}cases: [{name: a, debug: {image: x, tty: yes please}, expect: {}}]`, /cases\[0\]\.debug\.tty: must be true or false/],
    [`${HEAD}cases: [{name: a, expect: {}}]`, /cases\[0\]: needs container, containers or debug/],
    [`${HEAD}cases: [{name: a, debug: {image: x}}]`, /cases\[0\]\.expect: must be a mapping/],
    [`${HEAD}cases: [{name: a, debug: {image: x}, expect: {verdict: allowed, code: 1}}]`, /cases\[0\]\.expect\.code: unknown field/],
    [`${HEAD}cases: [{name: a, debug: {image: x}, expect: {verdict: maybe}}]`, /cases\[0\]\.expect\.verdict: must be allowed or denied/],
    [`${HEAD}cases: [{name: a, debug: {image: x}, expect: {rules: a}}]`, /cases\[0\]\.expect\.rules: must be a list of strings/],
    [`${HEAD}cases: [{name: a, debug: {image: x}, expect: {containers: [1]}}]`, /cases\[0\]\.expect\.containers: must be a list of container specs/],
    [`${HEAD}cases: [{name: a, debug: {image: x}, user: 1, expect: {}}]`, /cases\[0\]\.user: must be a string/],
    [`${HEAD}cases: [{name: a, debug: {image: x}, groups: dev, expect: {}}]`, /cases\[0\]\.groups: must be a list of strings/],
    [`${HEAD}cases: [{name: a, debug: {image: x}, namespaceLabels: {a: 1}, expect: {}}]`, /cases\[0\]\.namespaceLabels: must map strings to strings/],
    [`${HEAD}cases: [{name: a, debug: {image: x}, policy: 1, expect: {}}]`, /cases\[0\]\.policy: must be a file name/],
    [`${HEAD}cases: [{name: a, debug: {image: x}, pod: 1, expect: {}}]`, /cases\[0\]\.pod: must be a Pod manifest or the name of a file holding one/],
    [`${HEAD}cases: [{name: a, debug: {image: x}, pod: list.yaml, expect: {}}]`, /cases\[0\]\.pod: list\.yaml is not a Pod manifest/],
    [`${HEAD}cases: [{name: a, debug: {image: x}, pod: missing.yaml, expect: {}}]`, /pod \S*missing\.yaml: cannot read: ENOENT/],
  ]
  write('list.yaml', '- 1\n')
  for (const [text, want] of cases) {
    const file = write('bad.test.yaml', text)
    const r = await cli(['test', file])
    t.equal(r.status, 2, text)
    t.match(r.stderr, want, text)
    t.match(r.stderr, /^ephemeral-guard test: /)
  }
})

t.test('a policy file is loaded once per run; a bad one is an error', async (t) => {
  const file = write('cache.test.yaml', `${HEAD}pod: pod.yaml\npolicy: policy.yaml\ncases:\n  - {name: a, debug: {image: x}, expect: {}}\n  - {name: b, debug: {image: y}, expect: {}}\n`)
  const policies = new Map()
  const results = loadTestFile(file).map((c) => runCase(c, policies))
  t.equal(policies.size, 1)
  t.ok(results.every((r) => r.passed))
  t.equal(formatTable([], dir), 'RESULT  FILE  CASE\n\n0 passed, 0 failed\n')
  t.match(formatJunit(results, '/elsewhere'), /testsuite name="[^"]*cache\.test\.yaml" tests="2" failures="0"/)
  write('broken-policy.yaml', 'kind: Nope\n')
  const bad = write('bad-policy.test.yaml', `${HEAD}pod: pod.yaml\npolicy: broken-policy.yaml\ncases: [{name: a, debug: {image: x}, expect: {}}]\n`)
  const r = await cli(['test', bad])
  t.equal(r.status, 2)
  t.match(r.stderr, /broken-policy\.yaml: invalid policy/)
})
