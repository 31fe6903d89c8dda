// Every field of the policy format, decided end to end: YAML text in, AdmissionReview answer out.
import t from 'tap'
import { admit } from '../../src/admission/admit.js'
import { decodeReview } from '../../src/admission/decode.js'
import { toPodView } from '../../src/decision/pod-view.js'
import type { Policy } from '../../src/decision/types.js'
import type { AdmissionReview } from '../../src/kube/types.js'
import { debugContainer, profileContainer, admissionReview, type Container, type ReviewOptions } from '../support/reviews.js'
import { verdictParts } from '../support/verdicts.js'
import { answer, policyOfRules } from '../support/decide.js'

const DIGEST = `sha256:${'e'.repeat(64)}`

/** A policy from its rules (YAML list items, indented as in a file) and optional spec fields. */
const policy = (rules: string, spec = ''): Policy => policyOfRules(rules, spec)

const decide = (p: Policy, o: ReviewOptions, webhook: 'validate' | 'mutate' = 'validate') =>
  answer(admissionReview(o), webhook, p)

interface Case {
  name: string
  rules: string
  spec?: string
  review: ReviewOptions
  /** Policy rules violated (enforce mode), in order; [] = allowed. */
  denies: string[]
  message?: RegExp
}

const added = (c: Container): ReviewOptions => ({ added: [c] })

const cases: Case[] = [
  // images
  { name: 'allow list: a listed repository passes', rules: '  - name: r\n    images: {allow: ["registry.example.com/debug/*"]}\n', review: added(debugContainer({ image: 'registry.example.com/debug/tools:1' })), denies: [] },
  { name: 'allow list: anything else is refused', rules: '  - name: r\n    images: {allow: ["registry.example.com/debug/*"]}\n', review: added(debugContainer({ image: 'registry.example.com.evil.io/debug/tools' })), denies: ['r'], message: /image: Invalid value: "registry.example.com.evil.io\/debug\/tools": is not allowed; allowed images: registry.example.com\/debug\/\* \(rule r\)/ },
  { name: 'allow list: an empty list allows nothing', rules: '  - name: r\n    images: {allow: []}\n', review: added(debugContainer()), denies: ['r'] },
  { name: 'deny list wins over allow', rules: '  - name: r\n    images: {allow: ["**"], deny: ["docker.io/library/*"]}\n', review: added(debugContainer({ image: 'busybox' })), denies: ['r'], message: /matches denied image pattern "docker.io\/library\/\*"/ },
  { name: 'requireDigest refuses a tag', rules: '  - name: r\n    images: {requireDigest: true}\n', review: added(debugContainer({ image: 'busybox:1.36' })), denies: ['r'], message: /must be pinned by digest/ },
  { name: 'requireDigest passes a digest', rules: '  - name: r\n    images: {requireDigest: true}\n', review: added(debugContainer({ image: `busybox@${DIGEST}` })), denies: [] },
  { name: 'forbidTags: latest', rules: '  - name: r\n    images: {forbidTags: [latest]}\n', review: added(debugContainer({ image: 'busybox:latest' })), denies: ['r'], message: /tag "latest" is not allowed/ },
  { name: 'forbidTags: no tag counts as latest', rules: '  - name: r\n    images: {forbidTags: [latest]}\n', review: added(debugContainer({ image: 'busybox' })), denies: ['r'] },
  { name: 'forbidTags: a digest is judged by the digest', rules: '  - name: r\n    images: {forbidTags: [latest]}\n', review: added(debugContainer({ image: `busybox:latest@${DIGEST}` })), denies: [] },
  { name: 'images: {} only requires a parsable reference', rules: '  - name: r\n    images: {}\n', review: added(debugContainer({ image: 'Not/Valid' })), denies: ['r'], message: /repository name must be lowercase \(rule r\)/ },
  // securityContext
  { name: 'allowPrivileged: false', rules: '  - name: r\n    securityContext: {allowPrivileged: false}\n', review: added(profileContainer('sysadmin')), denies: ['r'] },
  { name: 'allowPrivileged: true allows', rules: '  - name: r\n    securityContext: {allowPrivileged: true}\n', review: added(profileContainer('sysadmin')), denies: [] },
  { name: 'allowPrivilegeEscalation: false', rules: '  - name: r\n    securityContext: {allowPrivilegeEscalation: false}\n', review: added(debugContainer({ securityContext: { allowPrivilegeEscalation: true } })), denies: ['r'] },
  { name: 'allowedCapabilities lists what may be added', rules: '  - name: r\n    securityContext: {allowedCapabilities: [NET_ADMIN, NET_RAW]}\n', review: added(profileContainer('netadmin')), denies: [] },
  { name: 'allowedCapabilities: [] allows none', rules: '  - name: r\n    securityContext: {allowedCapabilities: []}\n', review: added(profileContainer('general')), denies: ['r'], message: /capabilities\.add\[0\]: Forbidden: capability "SYS_PTRACE" is not allowed; allowed: none/ },
  { name: 'requireRunAsNonRoot: restricted profile passes', rules: '  - name: r\n    securityContext: {requireRunAsNonRoot: true, requireDropAll: true}\n', review: added(profileContainer('restricted')), denies: [] },
  { name: 'requireRunAsNonRoot: missing securityContext', rules: '  - name: r\n    securityContext: {requireRunAsNonRoot: true}\n', review: added(profileContainer('legacy')), denies: ['r'], message: /securityContext: Required value: must set runAsNonRoot: true \(rule r\)/ },
  { name: 'requireRunAsNonRoot: false is refused', rules: '  - name: r\n    securityContext: {requireRunAsNonRoot: true}\n', review: added(debugContainer({ securityContext: { runAsNonRoot: false } })), denies: ['r'], message: /runAsNonRoot: Invalid value: false: must be true/ },
  { name: 'requireRunAsNonRoot: unset in a securityContext', rules: '  - name: r\n    securityContext: {requireRunAsNonRoot: true}\n', review: added(profileContainer('general')), denies: ['r'], message: /securityContext\.runAsNonRoot: Required value: must be true/ },
  { name: 'requireDropAll: general profile drops nothing', rules: '  - name: r\n    securityContext: {requireDropAll: true}\n', review: added(profileContainer('general')), denies: ['r'], message: /capabilities\.drop: Required value: must include "ALL"/ },
  { name: 'requireDropAll: drop without ALL', rules: '  - name: r\n    securityContext: {requireDropAll: true}\n', review: added(debugContainer({ securityContext: { capabilities: { drop: ['NET_RAW'] } } })), denies: ['r'], message: /capabilities\.drop: Invalid value: \["NET_RAW"\]: must include "ALL"/ },
  { name: 'requireDropAll: no capabilities', rules: '  - name: r\n    securityContext: {requireDropAll: true}\n', review: added(debugContainer({ securityContext: { runAsNonRoot: true } })), denies: ['r'], message: /securityContext\.capabilities: Required value: must drop "ALL"/ },
  // subjects
  { name: 'subjects: a listed group may debug', rules: '  - name: r\n    subjects: {groups: [sre]}\n', review: { ...added(debugContainer()), groups: ['sre'] }, denies: [] },
  { name: 'subjects: a listed user may debug', rules: '  - name: r\n    subjects: {users: ["*@example.com"]}\n', review: { ...added(debugContainer()), username: 'carol@example.com', groups: [] }, denies: [] },
  { name: 'subjects: anyone else may not', rules: '  - name: r\n    subjects: {users: [root], groups: [sre]}\n', review: { ...added(debugContainer()), username: 'mallory', groups: ['dev'] }, denies: ['r'], message: /^spec\.ephemeralContainers: Forbidden: user "mallory" may not add ephemeral containers here \(rule r\)$/ },
  // targets
  { name: 'requireTarget: set', rules: '  - name: r\n    targets: {requireTarget: true}\n', review: added(debugContainer()), denies: [] },
  { name: 'requireTarget: missing', rules: '  - name: r\n    targets: {requireTarget: true}\n', review: added(debugContainer({ targetContainerName: undefined as unknown as string })), denies: ['r'], message: /targetContainerName: Required value: must name the container to debug/ },
  { name: 'denyContainers', rules: '  - name: r\n    targets: {denyContainers: [cart]}\n', review: added(debugContainer()), denies: ['r'], message: /targetContainerName: Forbidden: container "cart" may not be targeted/ },
  { name: 'denyContainers: another target is fine', rules: '  - name: r\n    targets: {denyContainers: [vault-agent]}\n', review: added(debugContainer()), denies: [] },
  // env
  { name: 'forbidSecretRefs: secretKeyRef', rules: '  - name: r\n    env: {forbidSecretRefs: true}\n', review: added(debugContainer({ env: [{ name: 'A', value: 'x' }, { name: 'P', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] })), denies: ['r'], message: /env\[1\]\.valueFrom\.secretKeyRef: Forbidden: secrets may not be read into debug containers/ },
  { name: 'forbidSecretRefs: envFrom secretRef', rules: '  - name: r\n    env: {forbidSecretRefs: true}\n', review: added(debugContainer({ envFrom: [{ secretRef: { name: 's' } }] })), denies: ['r'], message: /envFrom\[0\]\.secretRef: Forbidden/ },
  { name: 'forbidSecretRefs: configMap refs are fine', rules: '  - name: r\n    env: {forbidSecretRefs: true}\n', review: added(debugContainer({ env: [{ name: 'C', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }], envFrom: [{ configMapRef: { name: 'c' } }] })), denies: [] },
  { name: 'env.require: present and matching', rules: '  - name: r\n    env: {require: [{name: DEBUG_TICKET, pattern: "^INC-[0-9]+$"}]}\n', review: added(debugContainer({ env: [{ name: 'DEBUG_TICKET', value: 'INC-4711' }] })), denies: [] },
  { name: 'env.require: not matching', rules: '  - name: r\n    env: {require: [{name: DEBUG_TICKET, pattern: "^INC-[0-9]+$"}]}\n', review: added(debugContainer({ env: [{ name: 'DEBUG_TICKET', value: 'none' }] })), denies: ['r'], message: /env: Required value: must set DEBUG_TICKET matching \^INC-\[0-9\]\+\$ \(rule r\)/ },
  { name: 'env.require: missing env', rules: '  - name: r\n    env: {require: [{name: DEBUG_TICKET}]}\n', review: added(debugContainer()), denies: ['r'], message: /\.env: Required value: must set DEBUG_TICKET/ },
  { name: 'env.require: a huge value fails the pattern instead of running it', rules: '  - name: r\n    env: {require: [{name: T, pattern: "^[a-z]*$"}]}\n', review: added(debugContainer({ env: [{ name: 'T', value: 'a'.repeat(5000) }] })), denies: ['r'] },
  // env.require judges what the container sees: the last entry of a name (kubelet semantics)
  { name: 'env.require: a later duplicate overrides a matching first entry', rules: '  - name: r\n    env: {require: [{name: DEBUG_TICKET, pattern: "^INC-[0-9]+$"}]}\n', review: added(debugContainer({ env: [{ name: 'DEBUG_TICKET', value: 'INC-4711' }, { name: 'DEBUG_TICKET', value: 'none' }] })), denies: ['r'], message: /env: Required value: must set DEBUG_TICKET matching \^INC-\[0-9\]\+\$ \(rule r\)/ },
  { name: 'env.require: a matching last duplicate is what counts', rules: '  - name: r\n    env: {require: [{name: DEBUG_TICKET, pattern: "^INC-[0-9]+$"}]}\n', review: added(debugContainer({ env: [{ name: 'DEBUG_TICKET', value: 'none' }, { name: 'DEBUG_TICKET', value: 'INC-4711' }] })), denies: [] },
  { name: 'env.require: a later valueFrom entry overrides a plain value', rules: '  - name: r\n    env: {require: [{name: DEBUG_TICKET}]}\n', review: added(debugContainer({ env: [{ name: 'DEBUG_TICKET', value: 'INC-1' }, { name: 'DEBUG_TICKET', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }] })), denies: ['r'], message: /env: Required value: must set DEBUG_TICKET \(rule r\)/ },
  { name: 'env.require: a $(VAR) reference is expanded by the kubelet, so it never matches a pattern', rules: '  - name: r\n    env: {require: [{name: DEBUG_TICKET, pattern: "^INC-"}]}\n', review: added(debugContainer({ env: [{ name: 'X', value: '1' }, { name: 'DEBUG_TICKET', value: 'INC-$(X)' }] })), denies: ['r'] },
  { name: 'env.require: each required name judged on its own', rules: '  - name: r\n    env: {require: [{name: A}, {name: B, pattern: "^b$"}]}\n', review: added(debugContainer({ env: [{ name: 'B', value: 'b' }, { name: 'A', value: '' }] })), denies: [] },
  { name: 'env.require: env not a list', rules: '  - name: r\n    env: {require: [{name: A}, {name: B}]}\n', review: added(debugContainer({ env: null as unknown as string })), denies: ['r'], message: /\.env: Required value: must set A, B \(rule r\)$/ },
  // volumeMounts
  { name: 'volumeMounts.allow: listed volume', rules: '  - name: r\n    volumeMounts: {allow: [data]}\n', review: added(debugContainer({ volumeMounts: [{ name: 'data', mountPath: '/d' }] })), denies: [] },
  { name: 'volumeMounts.allow: other volume', rules: '  - name: r\n    volumeMounts: {allow: [data]}\n', review: added(debugContainer({ volumeMounts: [{ name: 'kube-api-access-x7k2p', mountPath: '/sa' }] })), denies: ['r'], message: /volumeMounts\[0\]\.name: Forbidden: volume "kube-api-access-x7k2p" may not be mounted; allowed: data/ },
  { name: 'volumeMounts.allow: [] allows none', rules: '  - name: r\n    volumeMounts: {allow: []}\n', review: added(debugContainer({ volumeMounts: [{ name: 'data', mountPath: '/d' }] })), denies: ['r'], message: /allowed: none/ },
  { name: 'volumeMounts.allow absent: any', rules: '  - name: r\n    images: {}\n', review: added(debugContainer({ volumeMounts: [{ name: 'data', mountPath: '/d' }] })), denies: [] },
  // maxEphemeralContainers
  { name: 'maxEphemeralContainers: within', rules: '  - name: r\n    maxEphemeralContainers: 2\n', review: { existing: [debugContainer({ name: 'debugger-old01' })], added: [debugContainer()] }, denies: [] },
  { name: 'maxEphemeralContainers: over, existing ones counted', rules: '  - name: r\n    maxEphemeralContainers: 1\n', review: { existing: [debugContainer({ name: 'debugger-old01' })], added: [debugContainer()] }, denies: ['r'], message: /at most 1 ephemeral containers per pod; this request makes 2/ },
  // custom schema
  { name: 'custom schema over the pod', rules: '  - name: r\n    schema:\n      properties: {pod: {properties: {metadata: {properties: {labels: {not: {required: [compliance]}}}}}}}\n', review: added(debugContainer()), denies: [] },
  { name: 'custom schema over the user', rules: '  - name: r\n    schema:\n      properties:\n        user: {properties: {username: {pattern: "^[a-z]+@example\\\\.com$"}}}\n', review: { ...added(debugContainer()), username: 'eve@evil.io' }, denies: ['r'], message: /spec\.ephemeralContainers\[0\]: Forbidden: \/user\/username must match pattern/ },
  { name: 'custom schema over the container, annotated', rules: '  - name: r\n    schema:\n      properties:\n        container: {properties: {tty: {const: false, x-kubernetes-error: {const: {type: Forbidden, detail: "no interactive sessions"}}}}}\n', review: added(debugContainer()), denies: ['r'], message: /spec\.ephemeralContainers\[0\]\.tty: Forbidden: no interactive sessions \(rule r\)/ },
  { name: 'custom schema sees dryRun and namespace', rules: '  - name: r\n    schema: {properties: {namespace: {const: shop}, dryRun: {const: true}}}\n', review: { ...added(debugContainer()), dryRun: true }, denies: [] },
  // match
  { name: 'match.namespaces: elsewhere the rule does not apply', rules: '  - name: r\n    match: {namespaces: ["prod-*"]}\n    securityContext: {allowPrivileged: false}\n', review: added(profileContainer('sysadmin')), denies: [] },
  { name: 'match.namespaces: here it does', rules: '  - name: r\n    match: {namespaces: ["sh*"]}\n    securityContext: {allowPrivileged: false}\n', review: added(profileContainer('sysadmin')), denies: ['r'] },
  { name: 'match.excludeNamespaces', rules: '  - name: r\n    match: {excludeNamespaces: [shop]}\n    securityContext: {allowPrivileged: false}\n', review: added(profileContainer('sysadmin')), denies: [] },
  { name: 'match.podSelector: matching pod', rules: '  - name: r\n    match: {podSelector: {matchLabels: {app: cart}}}\n    securityContext: {allowPrivileged: false}\n', review: added(profileContainer('sysadmin')), denies: ['r'] },
  { name: 'match.podSelector: other pods', rules: '  - name: r\n    match: {podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [cart]}]}}\n    securityContext: {allowPrivileged: false}\n', review: added(profileContainer('sysadmin')), denies: [] },
  { name: 'match.users', rules: '  - name: r\n    match: {users: ["alice@*"]}\n    securityContext: {allowPrivileged: false}\n', review: added(profileContainer('sysadmin')), denies: ['r'] },
  { name: 'match.excludeUsers', rules: '  - name: r\n    match: {excludeUsers: ["alice@*"]}\n    securityContext: {allowPrivileged: false}\n', review: added(profileContainer('sysadmin')), denies: [] },
  { name: 'match.groups', rules: '  - name: r\n    match: {groups: [dev]}\n    securityContext: {allowPrivileged: false}\n', review: added(profileContainer('sysadmin')), denies: [] },
  { name: 'match.excludeGroups', rules: '  - name: r\n    match: {excludeGroups: [sre]}\n    securityContext: {allowPrivileged: false}\n', review: added(profileContainer('sysadmin')), denies: [] },
  { name: 'match: every selector given must hold', rules: '  - name: r\n    match: {namespaces: [shop], groups: [nobody]}\n    securityContext: {allowPrivileged: false}\n', review: added(profileContainer('sysadmin')), denies: [] },
  // combination
  { name: 'rules combine: any enforce violation denies, all listed', rules: '  - name: a\n    securityContext: {allowPrivileged: false}\n  - name: b\n    images: {allow: []}\n', review: added(profileContainer('sysadmin')), denies: ['a', 'b'] },
  { name: 'no rules: only Kubernetes restrictions', rules: '    []\n', review: added(profileContainer('sysadmin')), denies: [] },
]

t.test('every policy field, decided', async (t) => {
  for (const c of cases) {
    const p = policy(c.rules, c.spec)
    const { review: answer } = decide(p, c.review)
    t.equal(answer.response?.allowed, c.denies.length === 0, `${c.name}: ${c.denies.length === 0 ? 'allowed' : 'denied'}`)
    t.same(verdictParts(answer).policy, c.denies, `${c.name}: rules`)
    if (c.message) t.match(answer.response?.status?.message, c.message, `${c.name}: message`)
    if (c.denies.length > 0) t.equal(answer.response?.status?.code, 403)
  }
})

t.test('modes: warn gives warnings, audit gives annotations, neither denies', async (t) => {
  const p = policy([
    '  - name: strict',
    '    mode: enforce',
    '    securityContext: {allowPrivileged: false}',
    '  - name: tell',
    '    mode: warn',
    '    images: {forbidTags: [latest]}',
    '  - name: record',
    '    securityContext: {allowedCapabilities: []}',
    '',
  ].join('\n'), '  mode: audit\n')
  const ok = decide(p, added(profileContainer('general', { image: 'busybox' }))).review.response
  t.equal(ok?.allowed, true)
  t.same(ok?.warnings, ['spec.ephemeralContainers[0].image: Invalid value: "busybox": tag "latest" is not allowed (rule tell)'])
  t.same(ok?.auditAnnotations, { record: 'spec.ephemeralContainers[0].securityContext.capabilities.add[0]: Forbidden: capability "SYS_PTRACE" is not allowed; allowed: none (rule record)' })
  const denied = decide(p, added(profileContainer('sysadmin', { image: 'busybox' }))).review.response
  t.equal(denied?.allowed, false, 'enforce still denies')
  t.equal(denied?.warnings?.length, 1, 'warnings come with a denial too')
  t.notMatch(denied?.status?.message, /rule tell/, 'warn violations are not part of the denial')
  const mutate = decide(p, added(profileContainer('sysadmin', { image: 'busybox' })), 'mutate').review.response
  t.same(mutate?.warnings, undefined, 'the mutating webhook repeats neither the denial nor the warn rule: the validating webhook says both')
})

t.test('audit annotations: one key per rule, valid key, bounded value', async (t) => {
  const p = policy('  - name: record-everything\n    mode: audit\n    images: {allow: []}\n')
  const many = Array.from({ length: 40 }, (_, i) => debugContainer({ name: `debugger-${i}`, image: `registry.example.com/team-${i}/tool:${'v'.repeat(60)}` }))
  const res = decide(p, { added: many }).review.response
  const keys = Object.keys(res?.auditAnnotations ?? {})
  t.same(keys, ['record-everything'])
  t.match(keys[0], /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/)
  t.ok((res?.auditAnnotations?.['record-everything'] ?? '').length <= 1024)
})

t.test('exemptions: not evaluated at all, allowed and noted', async (t) => {
  const spec = '  exemptions:\n    namespaces: ["kube-*"]\n    users: [breakglass-admin]\n    groups: ["system:masters"]\n'
  const rules = '  - name: r\n    securityContext: {allowPrivileged: false}\n'
  const p = policy(rules, spec)
  const byUser = decide(p, { ...added(profileContainer('sysadmin')), username: 'breakglass-admin' })
  t.same(byUser.review.response, { uid: byUser.review.response?.uid, allowed: true })
  t.same(byUser.summary, { outcome: 'exempt', rules: [], note: 'user "breakglass-admin" matches exemption "breakglass-admin"' })
  const byGroup = decide(p, { ...added(profileContainer('sysadmin')), groups: ['system:masters'] })
  t.equal(byGroup.summary.note, 'group "system:masters" matches exemption "system:masters"')
  const r = admissionReview(added(profileContainer('sysadmin')))
  r.request.namespace = 'kube-system'
  const byNamespace = admit(decodeReview(r), 'validate', p)
  t.equal(byNamespace.summary.note, 'namespace "kube-system" matches exemption "kube-*"')
  const exemptInvalid = decide(p, { ...added(debugContainer({ ports: [{ containerPort: 1 }] })), username: 'breakglass-admin' })
  t.equal(exemptInvalid.review.response?.allowed, true, 'exempt means not evaluated: the API server still applies its own rules')
  t.equal(decide(p, added(profileContainer('sysadmin'))).review.response?.allowed, false, 'everyone else is evaluated')
})

t.test('dry-run gets the same decision', async (t) => {
  const p = policy('  - name: r\n    securityContext: {allowPrivileged: false}\n')
  const wet = decide(p, added(profileContainer('sysadmin'))).review.response
  const dry = decide(p, { ...added(profileContainer('sysadmin')), dryRun: true }).review.response
  t.same({ ...dry, uid: 'x' }, { ...wet, uid: 'x' })
})

t.test('rules judge only new containers, and only requests that add one', async (t) => {
  const p = policy('  - name: r\n    subjects: {groups: [sre]}\n')
  const old = debugContainer({ name: 'debugger-old01' })
  const res = decide(p, { existing: [old], objectList: [old], groups: ['dev'] }).review.response
  t.equal(res?.allowed, true, 'nothing added: nothing for the rule to judge')
})

t.test('within a container, a rule lists missing fields first, then its checks in order, then env.require', async (t) => {
  const p = policy([
    '  - name: r',
    '    env: {require: [{name: T}], forbidSecretRefs: true}',
    '    volumeMounts: {allow: []}',
    '    targets: {requireTarget: true}',
    '    securityContext: {requireRunAsNonRoot: true}',
    '    images: {forbidTags: [latest]}',
    '',
  ].join('\n'))
  const c = { ...debugContainer({ image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/d' }], envFrom: [{ secretRef: { name: 's' } }] }), targetContainerName: undefined } as unknown as Container
  const res = decide(p, added(c)).review.response
  t.same(res?.status?.message?.split(', spec.').map((m, i) => (i === 0 ? m : `spec.${m}`)).filter((m) => m.includes('(rule r)')).map((m) => m.replace(/^\[/, '').replace(/\]$/, '')), [
    'spec.ephemeralContainers[0].securityContext: Required value: must set runAsNonRoot: true (rule r)',
    'spec.ephemeralContainers[0].targetContainerName: Required value: must name the container to debug (kubectl debug --target) (rule r)',
    'spec.ephemeralContainers[0].image: Invalid value: "busybox": tag "latest" is not allowed (rule r)',
    'spec.ephemeralContainers[0].envFrom[0].secretRef: Forbidden: secrets may not be read into debug containers (rule r)',
    'spec.ephemeralContainers[0].volumeMounts[0].name: Forbidden: volume "data" may not be mounted; allowed: none (rule r)',
    'spec.ephemeralContainers[0].env: Required value: must set T (rule r)',
  ])
  // Kubernetes' own "must be an object" hides these in the message: read the rule's check itself.
  const pod = toPodView({ kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'app' }], ephemeralContainers: [7] } }, 'object')
  const oldPod = toPodView({ kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'app' }] } }, 'oldObject')
  const found = p.checks.find((c) => c.id === 'r')!.run({ pod, oldPod, added: [{ index: 0, value: 7 }], removed: [], changed: [], requester: { namespace: 'shop', username: 'u', groups: [], dryRun: false } })
  t.same(found.map((v) => `${v.field}: ${v.type}: ${v.detail}`), [
    'spec.ephemeralContainers[0]: Invalid: must be object',
    'spec.ephemeralContainers[0].env: Required: must set T',
  ], 'a container that is no object: once for the field checks, and env.require, which reads any value')
})
