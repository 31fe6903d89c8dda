// spec.mutations in the policy file: validated like the rest, every problem with its path.
import t from 'tap'
import { parsePolicy } from '../../src/policy/load.js'
import { PolicyError } from '../../src/errors.js'

const HEAD = 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: test}\n'

function problems(spec: string): readonly string[] {
  try {
    parsePolicy(`${HEAD}spec:\n  mutations: ${spec}`, 'p.yaml')
  } catch (e) {
    if (e instanceof PolicyError) return e.problems
    throw e
  }
  return []
}

t.test('invalid mutations are refused with their paths', async (t) => {
  const cases: Array<[string, string, string[]]> = [
    ['unknown part', '{mirrors: {}}', ['spec.mutations.mirrors: unknown field']],
    ['bad pull policy value', '{imagePullPolicy: {pinned: Sometimes, unpinned: Always}}', ['spec.mutations.imagePullPolicy']],
    ['pull policy keyword', '{imagePullPolicy: keep}', ['spec.mutations.imagePullPolicy']],
    ['weakening default', '{securityContext: {allowPrivilegeEscalation: true}}', ['spec.mutations.securityContext.allowPrivilegeEscalation: must be false']],
    ['privileged default', '{securityContext: {privileged: true}}', ['spec.mutations.securityContext.privileged: must be false']],
    ['root default', '{securityContext: {runAsUser: 0}}', ['spec.mutations.securityContext.runAsUser: must be >= 1']],
    ['capability add default', '{securityContext: {capabilities: {add: [NET_ADMIN]}}}', ['spec.mutations.securityContext.capabilities.add: unknown field']],
    ['Localhost without a profile', '{securityContext: {seccompProfile: {type: Localhost}}}', ["spec.mutations.securityContext.seccompProfile: must have required property 'localhostProfile'"]],
    ['a profile without Localhost', '{securityContext: {seccompProfile: {type: RuntimeDefault, localhostProfile: x}}}', ['spec.mutations.securityContext.seccompProfile.localhostProfile']],
    ['fit without a boolean', '{podSecurity: {}}', ["spec.mutations.podSecurity: must have required property 'fit'"]],
    ['bad default level', '{podSecurity: {fit: true, defaultLevel: strict}}', ['spec.mutations.podSecurity.defaultLevel: must be one of "privileged", "baseline", "restricted"']],
    ['provenance without enabled', '{provenance: {}}', ["spec.mutations.provenance: must have required property 'enabled'"]],
    ['mirror key not a registry', '{registryMirrors: {library/busybox: mirror.example.com/x}}', ['spec.mutations.registryMirrors["library/busybox"]: "library/busybox" is not a registry host[:port]']],
    ['mirror key no host', '{registryMirrors: {busybox: mirror.example.com/x}}', ['spec.mutations.registryMirrors["busybox"]: "busybox" is not a registry host[:port]']],
    ['mirror value without a host', '{registryMirrors: {docker.io: dockerhub/mirror}}', ['spec.mutations.registryMirrors["docker.io"]: "dockerhub/mirror" must be a registry host']],
    ['mirror value with a tag', '{registryMirrors: {docker.io: "mirror.example.com/x:1"}}', ['spec.mutations.registryMirrors["docker.io"]: "mirror.example.com/x:1" must be a registry host']],
    ['mirror value uppercase path', '{registryMirrors: {docker.io: mirror.example.com/Hub}}', ['spec.mutations.registryMirrors["docker.io"]: "mirror.example.com/Hub" must be a registry host']],
    ['one registry twice', '{registryMirrors: {docker.io: mirror.example.com/a, index.docker.io: mirror.example.com/b}}', ['spec.mutations.registryMirrors["index.docker.io"]: registry "docker.io" is also given as "docker.io"']],
    ['a mirror that is mirrored', '{registryMirrors: {docker.io: quay.io/hub, quay.io: mirror.example.com/quay}}', ['spec.mutations.registryMirrors["docker.io"]: mirror "quay.io/hub" is on registry "quay.io", which is mirrored itself']],
  ]
  for (const [name, spec, expected] of cases) {
    const got = problems(spec)
    t.ok(got.length >= 1, `${name}: refused`)
    expected.forEach((e) => t.ok(got.some((g) => g.startsWith(e)), `${name}: ${JSON.stringify(got)} has ${e}`))
  }
})

t.test('valid mutations compile with their defaults', async (t) => {
  const none = parsePolicy(`${HEAD}spec: {}`, 'p.yaml').policy.mutations
  t.same(none?.pullPolicy, { pinned: 'IfNotPresent', unpinned: 'Always' }, 'no mutations: the default pull policy')
  t.equal(none?.provenance, false)
  t.equal(none?.podSecurity, undefined)
  const m = parsePolicy(`${HEAD}spec:\n  mutations: {imagePullPolicy: preserve, registryMirrors: {Docker.IO: "mirror.example.com/hub/", "localhost:5000": "localhost:5001/x"}, podSecurity: {fit: true}, provenance: {enabled: false}}`, 'p.yaml').policy
  t.equal(m.mutations?.pullPolicy, undefined, 'preserve')
  t.same([...(m.mutations?.registryMirrors ?? [])], [['docker.io', 'mirror.example.com/hub'], ['localhost:5000', 'localhost:5001/x']], 'keys normalized, trailing slash dropped')
  t.same(m.mutations?.podSecurity, { defaultLevel: 'privileged' })
  t.notOk(m.checks.some((c) => c.id === 'provenance'), 'no provenance check when disabled')
  const fitOff = parsePolicy(`${HEAD}spec:\n  mutations: {podSecurity: {fit: false}, provenance: {enabled: true}}`, 'p.yaml').policy
  t.equal(fitOff.mutations?.podSecurity, undefined, 'fit: false is no fit')
  t.ok(fitOff.checks.some((c) => c.id === 'provenance'), 'provenance adds its validating check')
})

t.test('a mirror prefix names its host by the reference rule (image/reference.ts looksLikeHost): an uppercase first segment is a host, as in keys', async (t) => {
  const m = parsePolicy(`${HEAD}spec:\n  mutations: {registryMirrors: {Quay: "Mirror/quay"}}`, 'p.yaml').policy
  t.same([...(m.mutations?.registryMirrors ?? [])], [['quay', 'Mirror/quay']])
  const problems = (() => { try { parsePolicy(`${HEAD}spec:\n  mutations: {registryMirrors: {quay.io: "mirror/quay"}}`, 'p.yaml'); return [] } catch (e) { return (e as PolicyError).problems } })()
  t.same(problems, ['spec.mutations.registryMirrors["quay.io"]: "mirror/quay" must be a registry host (with a dot, a port, an uppercase letter, or localhost) followed by optional lowercase path components'])
})
