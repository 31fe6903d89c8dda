// spec.mutations end to end through admit(): the patch, its fixed point, warnings, provenance, and
// that the patched container passes the validating webhook.
import t from 'tap'
import fastJsonPatch from 'fast-json-patch'
import { type DecisionContext } from '../../../src/decision/types.js'
import { admit } from '../../../src/admission/admit.js'
import { parsePolicy } from '../../../src/policy/load.js'
import type { Policy } from '../../../src/decision/types.js'
import type { AdmissionReview, JsonObject, JsonValue } from '../../../src/kube/types.js'
import { containerCases } from '../../support/cases.js'
import { debugContainer, profileContainer, admissionReview, type Profile, type ReviewOptions } from '../../support/reviews.js'
import { answer } from '../../support/decide.js'

const { applyPatch, deepClone } = fastJsonPatch
type Operation = Parameters<typeof applyPatch>[1][number]

const DIGEST = `sha256:${'ab'.repeat(32)}`
const NOW = new Date('2026-11-27T03:04:05.678Z')
const HEAD = 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: m}\n'
const policyWith = (spec: string): Policy => parsePolicy(`${HEAD}spec:\n${spec}`, 'm.yaml').policy
const LEVEL = 'pod-security.kubernetes.io/enforce'
const labelsContext = (labels: Record<string, string> | undefined, now = NOW): DecisionContext => ({ namespaceLabels: () => labels, now: () => now })

type Review = ReturnType<typeof admissionReview>
const decide = (r: AdmissionReview, webhook: 'validate' | 'mutate', policy: Policy, context: DecisionContext = {}) =>
  answer(r, webhook, policy, context).review.response!

function patchOf(r: AdmissionReview, policy: Policy, context?: DecisionContext): Operation[] {
  const res = decide(r, 'mutate', policy, context)
  return res.patch === undefined ? [] : JSON.parse(Buffer.from(res.patch, 'base64').toString('utf8')) as Operation[]
}

function applied(r: AdmissionReview, policy: Policy, context?: DecisionContext): Review {
  const next = deepClone(r) as Review
  next.request.object = applyPatch(next.request.object, patchOf(r, policy, context), true, false).newDocument as JsonValue
  return next
}

const newContainer = (r: Review, i = 0): JsonObject => {
  const o = r.request.object as JsonObject
  const list = (o['kind'] === 'Pod' ? (o['spec'] as JsonObject)['ephemeralContainers'] : o['ephemeralContainers']) as JsonObject[]
  return list[i]!
}

t.test('imagePullPolicy: configurable values, or preserve', async (t) => {
  const custom = policyWith('  mutations: {imagePullPolicy: {pinned: Never, unpinned: IfNotPresent}}')
  t.same(patchOf(admissionReview({ added: [debugContainer({ imagePullPolicy: 'Always' })] }), custom),
    [{ op: 'replace', path: '/spec/ephemeralContainers/0/imagePullPolicy', value: 'IfNotPresent' }])
  t.same(patchOf(admissionReview({ added: [debugContainer({ image: `busybox@${DIGEST}` })] }), custom),
    [{ op: 'replace', path: '/spec/ephemeralContainers/0/imagePullPolicy', value: 'Never' }])
  const preserve = policyWith('  mutations: {imagePullPolicy: preserve}')
  t.same(patchOf(admissionReview({ added: [debugContainer({ imagePullPolicy: 'Never' })] }), preserve), [], 'preserve leaves it as sent')
  const none = policyWith('  mutations: {}')
  t.same(patchOf(admissionReview({ added: [debugContainer()] }), none), [{ op: 'replace', path: '/spec/ephemeralContainers/0/imagePullPolicy', value: 'Always' }], 'default without imagePullPolicy')
})

t.test('registry mirrors: the normalized reference, tag and digest kept', async (t) => {
  const policy = policyWith('  mutations:\n    imagePullPolicy: preserve\n    registryMirrors: {docker.io: mirror.example.com/dockerhub, GHCR.io: "mirror.example.com:5000/ghcr/"}')
  const cases: Array<[string, string | undefined]> = [
    ['busybox', 'mirror.example.com/dockerhub/library/busybox'],
    ['busybox:1.36', 'mirror.example.com/dockerhub/library/busybox:1.36'],
    [`busybox@${DIGEST}`, `mirror.example.com/dockerhub/library/busybox@${DIGEST}`],
    [`busybox:1.36@${DIGEST}`, `mirror.example.com/dockerhub/library/busybox:1.36@${DIGEST}`],
    ['index.docker.io/nicolaka/netshoot:v0.13', 'mirror.example.com/dockerhub/nicolaka/netshoot:v0.13'],
    ['docker.io/library/alpine', 'mirror.example.com/dockerhub/library/alpine'],
    ['ghcr.io/org/tool:1', 'mirror.example.com:5000/ghcr/org/tool:1'],
    ['registry.example.com/debug/tools:2', undefined],
    ['mirror.example.com/dockerhub/library/busybox:1.36', undefined],
    ['Not A Reference', undefined],
  ]
  for (const [image, want] of cases) {
    const r = admissionReview({ added: [debugContainer({ image })] })
    t.same(patchOf(r, policy), want === undefined ? [] : [{ op: 'replace', path: '/spec/ephemeralContainers/0/image', value: want }], image)
    t.same(patchOf(applied(r, policy), policy), [], `${image}: fixed point`)
  }
  const legacy = admissionReview({ added: [debugContainer({ image: 'busybox' })], shape: 'EphemeralContainers' })
  t.same(patchOf(legacy, policy), [{ op: 'replace', path: '/ephemeralContainers/0/image', value: 'mirror.example.com/dockerhub/library/busybox' }], 'legacy object')
})

t.test('securityContext defaults: set where unset, never over a value the user chose', async (t) => {
  const policy = policyWith([
    '  mutations:',
    '    imagePullPolicy: preserve',
    '    securityContext: {runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}',
  ].join('\n'))
  const sc = (c: JsonObject): JsonValue | undefined => newContainer(applied(admissionReview({ added: [c] }), policy))['securityContext']
  const all = { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } }
  t.same(sc(debugContainer()), all, 'none set: every default')
  t.same(sc(debugContainer({ securityContext: null })), all, 'null: every default')
  t.same(sc(debugContainer({ securityContext: { runAsUser: 2000, seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' }, capabilities: { add: ['SYS_PTRACE'], drop: ['NET_RAW'] } } })),
    { ...all, runAsUser: 2000, seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' }, capabilities: { add: ['SYS_PTRACE'], drop: ['NET_RAW', 'ALL'] } },
    'the user\'s values kept; drop merged')
  t.same(sc(debugContainer({ securityContext: { allowPrivilegeEscalation: true } })), { ...all, allowPrivilegeEscalation: true },
    'an explicit true is kept for the validating webhook to judge')
  const r = admissionReview({ added: [debugContainer({ securityContext: { capabilities: { drop: ['CHOWN'] } } })] })
  t.same(patchOf(r, policy).filter((o) => o.path.includes('capabilities')), [{ op: 'add', path: '/spec/ephemeralContainers/0/securityContext/capabilities/drop/1', value: 'ALL' }], 'one element appended')
  t.same(patchOf(admissionReview({ added: [debugContainer({ securityContext: 'weird' })] }), policy), [], 'a securityContext that is no object is left to validation')
  t.same(patchOf(admissionReview({ added: [debugContainer({ securityContext: { capabilities: { drop: 'ALL' } } })] }), policy).filter((o) => o.path.includes('capabilities')), [], 'a drop that is no list is left alone')
  const empty = policyWith('  mutations: {imagePullPolicy: preserve, securityContext: {}}')
  t.same(patchOf(admissionReview({ added: [debugContainer()] }), empty), [], 'empty defaults add nothing')
})

// Pod Security fit: what each kubectl debug profile becomes under each level, on the Pod object
// (the stored pod sets seccompProfile RuntimeDefault at pod level; its target container runs as 10001).
const FIT = policyWith('  mutations:\n    imagePullPolicy: preserve\n    podSecurity: {fit: true}')
const RESTRICTED_FIT = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, runAsUser: 10001 }
type Expect = { sc: JsonObject | undefined; warning?: RegExp }
const fitTable: Record<'privileged' | 'baseline' | 'restricted', Record<Profile, Expect | 'unchanged'>> = {
  privileged: { legacy: 'unchanged', general: 'unchanged', baseline: 'unchanged', restricted: 'unchanged', netadmin: 'unchanged', sysadmin: 'unchanged' },
  baseline: {
    legacy: 'unchanged',
    general: { sc: undefined, warning: /^spec\.ephemeralContainers\[0\]\.securityContext\.capabilities\.add: removed "SYS_PTRACE" \(kubectl debug's default profile\): Pod Security "baseline:latest" of namespace "shop" forbids it$/ },
    baseline: 'unchanged',
    restricted: 'unchanged',
    netadmin: { sc: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } }, warning: /^spec\.ephemeralContainers\[0\]: Pod Security "baseline:latest" of namespace "shop" will refuse this container \(non-default capabilities\); its securityContext is left as sent$/ },
    sysadmin: { sc: { privileged: true }, warning: /will refuse this container \(privileged\)/ },
  },
  restricted: {
    legacy: { sc: RESTRICTED_FIT },
    general: { sc: RESTRICTED_FIT, warning: /removed "SYS_PTRACE"/ },
    baseline: { sc: RESTRICTED_FIT },
    restricted: { sc: { runAsNonRoot: true, capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' }, runAsUser: 10001 } },
    netadmin: { sc: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } }, warning: /will refuse this container \(unrestricted capabilities\)/ },
    sysadmin: { sc: { privileged: true }, warning: /will refuse this container \(privileged, unrestricted capabilities\)|will refuse this container \(privileged\)/ },
  },
}

for (const [level, row] of Object.entries(fitTable)) {
  for (const [profile, expect] of Object.entries(row) as Array<[Profile, Expect | 'unchanged']>) {
    t.test(`fit: kubectl debug --profile=${profile} in a ${level} namespace`, async (t) => {
      const context = labelsContext({ [LEVEL]: level })
      const r = admissionReview({ added: [profileContainer(profile)] })
      const res = decide(r, 'mutate', FIT, context)
      const once = applied(r, FIT, context)
      if (expect === 'unchanged') {
        t.same(patchOf(r, FIT, context), [], 'no patch')
        t.notOk(res.warnings?.some((w) => w.includes('Pod Security')), 'no Pod Security warning')
        return
      }
      t.same(newContainer(once)['securityContext'], expect.sc, 'securityContext after the patch')
      if (expect.warning) t.ok(res.warnings?.some((w) => expect.warning!.test(w)), `warning ${expect.warning}`, { warnings: res.warnings })
      else t.notOk(res.warnings?.some((w) => w.includes('Pod Security')), 'no Pod Security warning')
      t.same(patchOf(once, FIT, context), [], 'a second call gives no patch')
      for (const op of patchOf(r, FIT, context)) t.match(op.path, /^\/spec\/ephemeralContainers\/0\//, 'patch under the new container')
    })
  }
}

const untargeted = (): JsonObject => {
  const c = debugContainer()
  delete c['targetContainerName']
  return c
}

t.test('fit: the runAsUser chosen', async (t) => {
  const context = labelsContext({ [LEVEL]: 'restricted' })
  const uidOf = (o: ReviewOptions, podSc?: JsonObject, targetSc?: JsonObject | null): JsonValue | undefined => {
    const r = admissionReview(o)
    const spec = (r.request.object as JsonObject)['spec'] as JsonObject
    if (podSc) spec['securityContext'] = podSc
    const target = (spec['containers'] as JsonObject[])[0]!
    if (targetSc === null) delete target['securityContext']
    else if (targetSc) target['securityContext'] = targetSc
    return ((newContainer(applied(r, FIT, context))['securityContext'] ?? {}) as JsonObject)['runAsUser']
  }
  t.equal(uidOf({ added: [debugContainer()] }), 10001, 'the target container\'s')
  t.equal(uidOf({ added: [debugContainer()] }, { runAsUser: 2000 }, null), undefined, 'the pod\'s is inherited: nothing to add')
  t.equal(uidOf({ added: [debugContainer()] }, { runAsUser: 2000 }), 10001, 'the target\'s over the pod\'s')
  t.equal(uidOf({ added: [untargeted()] }, { runAsUser: 2000 }), undefined, 'no target: the pod\'s, inherited')
  t.equal(uidOf({ added: [debugContainer()] }, {}, null), 65534, 'neither: nobody')
  t.equal(uidOf({ added: [debugContainer({ securityContext: { runAsUser: 42 } })] }), 42, 'the user\'s own kept')
  t.equal(uidOf({ added: [debugContainer()] }, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, null), 65534, 'pod runAsNonRoot: inherited, but a uid is still needed')
})

t.test('fit: pod-level settings the container inherits', async (t) => {
  const context = labelsContext({ [LEVEL]: 'restricted' })
  const withPod = (podSc: JsonObject, more: JsonObject = {}): ReturnType<typeof decide> & { sc?: JsonValue } => {
    const r = admissionReview({ added: [debugContainer()] })
    const spec = (r.request.object as JsonObject)['spec'] as JsonObject
    spec['securityContext'] = podSc
    Object.assign(spec, more)
    return { ...decide(r, 'mutate', FIT, context), sc: newContainer(applied(r, FIT, context))['securityContext'] }
  }
  t.same(withPod({}).sc, { ...RESTRICTED_FIT, seccompProfile: { type: 'RuntimeDefault' } }, 'no pod seccomp: the container gets RuntimeDefault')
  t.same(withPod({ runAsNonRoot: true, seccompProfile: { type: 'Localhost', localhostProfile: 'x' } }).sc, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsUser: 10001 }, 'inherited from the pod: not repeated')
  t.match(withPod({ runAsNonRoot: false }).warnings, [/will refuse this container \(runAsNonRoot != true\)/], 'the pod says runAsNonRoot false')
  t.match(withPod({ runAsUser: 0 }).warnings, [/will refuse this container \(runAsUser=0\)/], 'the pod says runAsUser 0: refused whatever the container sets')
  t.notOk(withPod({ runAsUser: 0 }, { hostUsers: false }).warnings?.some((w) => w.includes('will refuse')), 'unless the pod is in a user namespace (1.35+)')
  t.match(withPod({ seccompProfile: { type: 'Unconfined' } }).warnings, [/\(seccompProfile\)/])
  t.same(withPod({}, { hostUsers: false }).sc, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } }, 'a user-namespace pod needs no runAsNonRoot (1.35+)')
  t.same(withPod({}, { os: { name: 'windows' } }).sc, { runAsNonRoot: true }, 'a Windows pod: only runAsNonRoot')
})

t.test('fit: the legacy object has no pod spec: container-level values, uid nobody', async (t) => {
  const context = labelsContext({ [LEVEL]: 'restricted' })
  const r = admissionReview({ added: [profileContainer('general')], shape: 'EphemeralContainers' })
  const ops = patchOf(r, FIT, context)
  t.ok(ops.every((o) => o.path.startsWith('/ephemeralContainers/0/securityContext')), 'paths under /ephemeralContainers/0')
  t.same(newContainer(applied(r, FIT, context))['securityContext'], { capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, runAsUser: 65534 })
})

t.test('fit: labels, versions and what is unknown', async (t) => {
  const scIn = (labels: Record<string, string> | undefined, p: Profile = 'legacy', policy = FIT) => {
    const r = admissionReview({ added: [profileContainer(p)] })
    return { sc: newContainer(applied(r, policy, labelsContext(labels)))['securityContext'], warnings: decide(r, 'mutate', policy, labelsContext(labels)).warnings ?? [] }
  }
  t.same(scIn({}).sc, undefined, 'no label: privileged by default')
  t.same(scIn({}, 'legacy', policyWith('  mutations: {imagePullPolicy: preserve, podSecurity: {fit: true, defaultLevel: restricted}}')).sc, RESTRICTED_FIT, 'defaultLevel applies without a label')
  t.same(scIn({ [LEVEL]: 'strict' }).sc, RESTRICTED_FIT, 'an invalid level is restricted, as PSA evaluates it')
  t.same(scIn({ [LEVEL]: 'restricted', [`${LEVEL}-version`]: 'v1.21' }).sc, { allowPrivilegeEscalation: false, runAsNonRoot: true, runAsUser: 10001 }, 'v1.21: no drop ALL yet')
  t.same(scIn({ [LEVEL]: 'restricted', [`${LEVEL}-version`]: 'v1.7' }).sc, { runAsNonRoot: true, runAsUser: 10001 }, 'v1.7: runAsNonRoot only')
  t.same(scIn({ [LEVEL]: 'restricted', [`${LEVEL}-version`]: 'v01.30' }).sc, RESTRICTED_FIT, 'an invalid version is latest')
  t.same(scIn({ [LEVEL]: 'restricted', [`${LEVEL}-version`]: 'v1.21' }, 'general').warnings, [
    'spec.ephemeralContainers[0].securityContext.capabilities.add: removed "SYS_PTRACE" (kubectl debug\'s default profile): Pod Security "restricted:v1.21" of namespace "shop" forbids it',
  ])
  const unknown = scIn(undefined)
  t.same(unknown.sc, undefined, 'labels unknown: no fit')
  t.same(unknown.warnings, ['Pod Security fit skipped: the labels of namespace "shop" are unknown to ephemeral-guard'])
  const r = admissionReview({ added: [debugContainer()] })
  t.same(decide(r, 'mutate', FIT, {}).warnings, ['Pod Security fit skipped: the labels of namespace "shop" are unknown to ephemeral-guard'], 'no cache at all')
  t.same(decide(admissionReview({ added: [] }), 'mutate', FIT, {}).warnings, undefined, 'nothing added: nothing to say')
})

t.test('fit: what the container asks for that the level forbids', async (t) => {
  const cases: Array<[string, JsonObject, string, string]> = [
    ['hostProcess', { windowsOptions: { hostProcess: true } }, 'baseline', 'hostProcess'],
    ['SELinux type', { seLinuxOptions: { type: 'spc_t' } }, 'baseline', 'seLinuxOptions'],
    ['SELinux user', { seLinuxOptions: { user: 'system_u' } }, 'baseline', 'seLinuxOptions'],
    ['unmasked /proc', { procMount: 'Unmasked' }, 'baseline', 'procMount'],
    ['seccomp Unconfined', { seccompProfile: { type: 'Unconfined' } }, 'baseline', 'seccompProfile'],
    ['AppArmor Unconfined', { appArmorProfile: { type: 'Unconfined' } }, 'baseline', 'appArmorProfile'],
    ['privilege escalation', { allowPrivilegeEscalation: true }, 'restricted', 'allowPrivilegeEscalation != false'],
    ['runAsNonRoot false', { runAsNonRoot: false }, 'restricted', 'runAsNonRoot != true'],
    ['runAsUser 0', { runAsUser: 0 }, 'restricted', 'runAsUser=0'],
    ['a capability restricted forbids', { capabilities: { add: ['CHOWN'] } }, 'restricted', 'unrestricted capabilities'],
  ]
  for (const [name, sc, level, reason] of cases) {
    const r = admissionReview({ added: [debugContainer({ securityContext: sc })] })
    const res = decide(r, 'mutate', FIT, labelsContext({ [LEVEL]: level }))
    t.same(patchOf(r, FIT, labelsContext({ [LEVEL]: level })), [], `${name}: no patch`)
    t.ok(res.warnings?.some((w) => w.endsWith(`will refuse this container (${reason}); its securityContext is left as sent`)), `${name}: ${reason}`, { warnings: res.warnings })
  }
  const allowed: Array<[string, JsonObject, string, Record<string, string>?]> = [
    ['container_engine_t since 1.31', { seLinuxOptions: { type: 'container_engine_t' } }, 'baseline'],
    ['NET_BIND_SERVICE', { capabilities: { add: ['NET_BIND_SERVICE'] } }, 'restricted'],
    ['CHOWN in baseline', { capabilities: { add: ['CHOWN'] } }, 'baseline'],
  ]
  for (const [name, sc, level] of allowed) {
    const res = decide(admissionReview({ added: [debugContainer({ securityContext: sc })] }), 'mutate', FIT, labelsContext({ [LEVEL]: level }))
    t.notOk(res.warnings?.some((w) => w.includes('will refuse')), `${name}: passes`, { warnings: res.warnings })
  }
  const old = decide(admissionReview({ added: [debugContainer({ securityContext: { seLinuxOptions: { type: 'container_engine_t' } } })] }), 'mutate', FIT,
    labelsContext({ [LEVEL]: 'baseline', [`${LEVEL}-version`]: 'v1.30' }))
  t.ok(old.warnings?.some((w) => w.includes('(seLinuxOptions)')), 'container_engine_t before 1.31 is refused')
  const userNs = admissionReview({ added: [debugContainer({ securityContext: { procMount: 'Unmasked' } })] })
  ;((userNs.request.object as JsonObject)['spec'] as JsonObject)['hostUsers'] = false
  t.notOk(decide(userNs, 'mutate', FIT, labelsContext({ [LEVEL]: 'baseline' })).warnings?.some((w) => w.includes('procMount')), 'Unmasked in a user namespace passes baseline')
  t.ok(decide(userNs, 'mutate', FIT, labelsContext({ [LEVEL]: 'restricted' })).warnings?.some((w) => w.includes('procMount')), 'but not restricted')
})

// Provenance.
const PROV = policyWith('  mutations: {imagePullPolicy: preserve, provenance: {enabled: true}}')
const envOf = (c: JsonObject): JsonObject[] => (c['env'] ?? []) as JsonObject[]

t.test('provenance: env vars and audit annotations; a second call changes nothing', async (t) => {
  const r = admissionReview({ added: [debugContainer()], username: 'alice@example.com' })
  const res = decide(r, 'mutate', PROV, { now: () => NOW })
  t.same(patchOf(r, PROV, { now: () => NOW }), [{
    op: 'add', path: '/spec/ephemeralContainers/0/env', value: [
      { name: 'EPHEMERAL_GUARD_REQUESTED_BY', value: 'alice@example.com' },
      { name: 'EPHEMERAL_GUARD_REQUESTED_AT', value: '2026-11-27T03:04:05Z' },
      { name: 'EPHEMERAL_GUARD_POLICY', value: `m@${PROV.hash}` },
      { name: 'EPHEMERAL_GUARD_REQUESTED_GROUPS', value: 'sre,system:authenticated' },
    ],
  }])
  t.same(res.auditAnnotations, { 'requested-by': 'alice@example.com', 'requested-at': '2026-11-27T03:04:05Z', policy: `m@${PROV.hash}` })
  const once = applied(r, PROV, { now: () => NOW })
  const later = { now: () => new Date(NOW.getTime() + 30_000) }
  t.same(patchOf(once, PROV, later), [], 'reinvoked 30 s later: no patch, the time is not rewritten')
  t.equal(decide(once, 'mutate', PROV, later).auditAnnotations?.['requested-at'], '2026-11-27T03:04:05Z', 'the annotation tells the time set first')
  t.equal(decide(once, 'validate', PROV, later).allowed, true, 'the validating webhook allows it 30 s later')
  const existing = admissionReview({ added: [debugContainer({ env: [{ name: 'DEBUG_TICKET', value: 'INC-1' }] })] })
  t.same(patchOf(existing, PROV, { now: () => NOW }).map((o) => o.path), [
    '/spec/ephemeralContainers/0/env/1', '/spec/ephemeralContainers/0/env/2', '/spec/ephemeralContainers/0/env/3', '/spec/ephemeralContainers/0/env/4',
  ], 'appended after the user\'s variables')
  t.same(patchOf(admissionReview({ added: [debugContainer({ env: 'x' })] }), PROV), [], 'env that is no list is left to validation')
  t.same(decide(admissionReview({ added: [] }), 'mutate', PROV).auditAnnotations, undefined, 'nothing added: no annotations')
})

t.test('provenance: a forged EPHEMERAL_GUARD_REQUESTED_BY is overwritten, and refused if it gets through', async (t) => {
  const forged: JsonObject[] = [
    { name: 'EPHEMERAL_GUARD_REQUESTED_BY', value: 'mallory' },
    { name: 'EPHEMERAL_GUARD_REQUESTED_BY', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  ]
  const r = admissionReview({ added: [debugContainer({ env: forged })], username: 'alice@example.com' })
  const ops = patchOf(r, PROV, { now: () => NOW })
  t.same(ops.slice(0, 3), [
    { op: 'replace', path: '/spec/ephemeralContainers/0/env/0/value', value: 'alice@example.com' },
    { op: 'remove', path: '/spec/ephemeralContainers/0/env/1/valueFrom' },
    { op: 'add', path: '/spec/ephemeralContainers/0/env/1/value', value: 'alice@example.com' },
  ], 'every entry of that name gets the true username')
  t.equal(decide(applied(r, PROV, { now: () => NOW }), 'validate', PROV, { now: () => NOW }).allowed, true, 'after mutation: allowed')
  const denied = decide(r, 'validate', PROV)
  t.equal(denied.allowed, false, 'with the mutating webhook down: denied')
  t.equal(denied.status?.message, '[spec.ephemeralContainers[0].env[0]: Forbidden: EPHEMERAL_GUARD_REQUESTED_BY must be the requester\'s username "alice@example.com" (rule provenance), spec.ephemeralContainers[0].env[1]: Forbidden: EPHEMERAL_GUARD_REQUESTED_BY must be a value set by ephemeral-guard, not valueFrom (rule provenance)]')
  t.notOk(decide(r, 'mutate', PROV).warnings, 'the mutating webhook fixes it, so it does not warn')
  t.equal(decide(admissionReview({ added: [debugContainer({ env: [{ name: 'EPHEMERAL_GUARD_REQUESTED_BY', value: 'alice@example.com' }] })] }), 'validate', PROV).allowed, true, 'the true username passes')
  t.equal(decide(admissionReview({ added: [debugContainer({ env: [{ name: 'OTHER', value: 'x' }] })] }), 'validate', PROV).allowed, true, 'other entries are not judged here')
  t.equal(decide(admissionReview({ added: [debugContainer({ env: forged })] }), 'validate', policyWith('  rules: []')).allowed, true, 'without provenance the variable means nothing')
  const legacy = admissionReview({ added: [debugContainer({ env: forged.slice(0, 1) })], shape: 'EphemeralContainers' })
  t.match(decide(legacy, 'validate', PROV).status?.message, /^ephemeralContainers\[0\]\.env\[0\]: Forbidden/, 'legacy object')
})

t.test('every fixture, every level, all mutations: a fixed point that never adds a violation', async (t) => {
  const ALL = policyWith([
    '  mutations:',
    '    registryMirrors: {docker.io: mirror.example.com/dockerhub}',
    '    securityContext: {readOnlyRootFilesystem: true}',
    '    podSecurity: {fit: true}',
    '    provenance: {enabled: true}',
    '  rules:',
    '    - {name: no-privileged, securityContext: {allowPrivileged: false}}',
    '    - {name: no-privilege-escalation, securityContext: {allowPrivilegeEscalation: false}}',
    '    - {name: allowed-capabilities, securityContext: {allowedCapabilities: [SYS_PTRACE]}}',
    '    - {name: image-reference, images: {}}',
  ].join('\n'))
  for (const level of ['privileged', 'baseline', 'restricted']) {
    const context = labelsContext({ [LEVEL]: level })
    for (const c of containerCases) {
      for (const shape of ['Pod', 'EphemeralContainers'] as const) {
        if (shape === 'EphemeralContainers' && c.needsPodSpec) continue
        const r = admissionReview({ added: c.added, existing: c.existing ?? [], shape })
        const once = applied(r, ALL, context)
        const name = `${c.name} (${shape}, ${level})`
        t.same(patchOf(once, ALL, labelsContext({ [LEVEL]: level }, new Date(NOW.getTime() + 1000))), [], `${name}: a second call gives no patch`)
        const before = decide(r, 'validate', ALL, context)
        const after = decide(once, 'validate', ALL, context)
        const causesBefore = (before.status?.details?.causes ?? []).map((x) => JSON.stringify(x))
        const added = (after.status?.details?.causes ?? []).filter((x) => !causesBefore.includes(JSON.stringify(x)))
        t.same(added, [], `${name}: no new violation`)
        if (before.allowed) t.equal(after.allowed, true, `${name}: compliant before, allowed after mutation`)
        for (const op of patchOf(r, ALL, context)) t.match(op.path, /^\/(spec\/)?ephemeralContainers\/\d+\//, `${name}: patch inside the new container`)
      }
    }
  }
})

t.test('mutate warnings leave out what the mutation fixed', async (t) => {
  const r = admissionReview({ added: [debugContainer({ imagePullPolicy: 'Sometimes', securityContext: { privileged: true } })] })
  const res = decide(r, 'mutate', policyWith('  rules: [{name: no-privileged, securityContext: {allowPrivileged: false}}]'))
  t.same(res.warnings, undefined, 'the pull policy is replaced; privileged is left for the validating webhook to deny')
  t.ok(res.patch !== undefined)
})

t.test('an images.allow that leaves out the mirror: the validating webhook denies the mirrored image', async (t) => {
  const policy = policyWith([
    '  mutations: {registryMirrors: {docker.io: mirror.example.com/dockerhub}}',
    '  rules: [{name: vetted, images: {allow: [docker.io/library/busybox]}}]',
  ].join('\n'))
  const r = admissionReview({ added: [debugContainer()] })
  t.equal(decide(r, 'validate', policy).allowed, true, 'busybox as sent is allowed')
  const res = decide(r, 'mutate', policy)
  t.equal(res.warnings, undefined, 'nothing was violated before, so the mutated container is not re-judged on /mutate')
  t.equal(decide(applied(r, policy), 'validate', policy).allowed, false, 'the mirrored image is judged, and denied')
})
