// Reviews built from plain resources: the container kubectl debug sends for each flag, after the API
// server's defaults; the request around it; and the API server's side of a mutation (the patch applied
// before the validating webhook). The e2e suite compares the containers with real kubectl debug.
import t from 'tap'
import { applyPatch, buildReview, debugContainer, defaultPullPolicy, PROFILES, throughWebhooks } from '../../src/admission/build.js'
import { UsageError } from '../../src/errors.js'
import type { JsonObject } from '../../src/kube/types.js'
import { defaultPolicy } from '../../src/policy/default.js'

const POD: JsonObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'cart', namespace: 'shop' }, spec: { containers: [{ name: 'cart', image: 'cart:1' }] } }

t.test('the API server default pull policy', async (t) => {
  const cases: Array<[string, string]> = [
    ['busybox', 'Always'], ['busybox:latest', 'Always'], ['busybox:1.36', 'IfNotPresent'],
    [`busybox@sha256:${'a'.repeat(64)}`, 'IfNotPresent'], [`busybox:latest@sha256:${'a'.repeat(64)}`, 'Always'],
    ['registry:5000/busybox', 'Always'], ['registry:5000/team/busybox:1', 'IfNotPresent'],
  ]
  for (const [image, want] of cases) t.equal(defaultPullPolicy(image), want, image)
})

t.test('kubectl debug flags to the container', async (t) => {
  t.same(debugContainer(POD, { image: 'busybox:1.36', target: 'cart' }), {
    name: 'debugger-00000', image: 'busybox:1.36', resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent', securityContext: { capabilities: { add: ['SYS_PTRACE'] } }, targetContainerName: 'cart',
  }, 'the default profile is general')
  for (const [profile, sc] of Object.entries(PROFILES)) {
    t.same(debugContainer(POD, { image: 'busybox', profile })['securityContext'], sc, `--profile=${profile}`)
  }
  t.same(debugContainer(POD, { image: 'b', name: 'dbg', env: ['A=1', 'B=x=y'], imagePullPolicy: 'Never', stdin: true, tty: true, command: ['sh', '-c', 'id'] }), {
    name: 'dbg', image: 'b', command: ['sh', '-c', 'id'], env: [{ name: 'A', value: '1' }, { name: 'B', value: 'x=y' }], resources: {},
    terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'Never',
    securityContext: { capabilities: { add: ['SYS_PTRACE'] } }, stdin: true, tty: true,
  })
  t.same(debugContainer(POD, { image: 'b', command: ['--verbose'], argumentsOnly: true })['args'], ['--verbose'], '--arguments-only')
  t.same(debugContainer(POD, { image: 'b', env: ['A=1,B=2', 'A=3'] })['env'], [{ name: 'A', value: '3' }, { name: 'B', value: '2' }], '--env is a map: pairs split at commas, the last value of a name wins')
  const taken = { ...POD, spec: { containers: [{ name: 'debugger-00000' }], ephemeralContainers: [{ name: 'debugger-00001' }, 'x'], initContainers: [{ image: 'no name' }] } }
  t.equal(debugContainer(taken, { image: 'b' })['name'], 'debugger-00002', 'a name no container of the pod has')
  t.equal(debugContainer({}, { image: 'b' })['name'], 'debugger-00000', 'a pod without spec')
  t.throws(() => debugContainer(POD, { image: 'b', profile: 'root' }), new UsageError('--profile must be one of legacy, general, baseline, restricted, netadmin, sysadmin, got "root"'))
  t.throws(() => debugContainer(POD, { image: ' ' }), new UsageError('--image is required'))
  t.throws(() => debugContainer(POD, { image: 'b', env: ['NOVALUE'] }), new UsageError('--env takes NAME=VALUE, got "NOVALUE"'))
})

t.test('the request: UPDATE of pods/ephemeralcontainers, old object without the new containers', async (t) => {
  const existing = { ...POD, spec: { ...(POD['spec'] as JsonObject), ephemeralContainers: [{ name: 'old', image: 'x' }] } }
  const r = buildReview({ pod: existing, add: [{ name: 'new', image: 'y' }], user: 'alice', groups: ['dev'], dryRun: true })
  t.match(r.request, { operation: 'UPDATE', subResource: 'ephemeralcontainers', name: 'cart', namespace: 'shop', userInfo: { username: 'alice', groups: ['dev'] }, dryRun: true })
  t.same(((r.request!.oldObject as JsonObject)['spec'] as JsonObject)['ephemeralContainers'], [{ name: 'old', image: 'x' }])
  t.same(((r.request!.object as JsonObject)['spec'] as JsonObject)['ephemeralContainers'], [
    { name: 'old', image: 'x' },
    { name: 'new', image: 'y', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'Always' },
  ], 'the new container with the API server defaults, which every webhook sees; the stored one as it is')
  const pinned = buildReview({ pod: existing, add: [{ name: 'new', image: 'y:1', terminationMessagePolicy: 'FallbackToLogsOnError', imagePullPolicy: 'Never' }, { name: 'noimage' }] })
  t.same(((pinned.request!.object as JsonObject)['spec'] as JsonObject)['ephemeralContainers'], [
    { name: 'old', image: 'x' },
    { name: 'new', image: 'y:1', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'FallbackToLogsOnError', imagePullPolicy: 'Never' },
    { name: 'noimage', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' },
  ], 'set fields are kept')
  const bare = buildReview({ pod: { spec: {} }, add: [], namespace: 'elsewhere' })
  t.match(bare.request, { name: 'pod', namespace: 'elsewhere', userInfo: { username: 'kubernetes-admin', groups: ['system:authenticated'] }, dryRun: false })
  t.equal(buildReview({ pod: {}, add: [] }).request?.namespace, 'default')
  t.throws(() => buildReview({ pod: { kind: 'Deployment' }, add: [] }), new UsageError('--pod must be a Pod manifest, got kind "Deployment"'))
})

t.test('JSON Patch as the API server applies it', async (t) => {
  const doc = { a: { 'x/y': 1, 'm~n': 2 }, list: [1, 2, 3] }
  t.same(applyPatch(doc, [
    { op: 'replace', path: '/a/x~1y', value: 10 },
    { op: 'remove', path: '/a/m~0n' },
    { op: 'add', path: '/a/z', value: [] },
    { op: 'add', path: '/list/1', value: 9 },
    { op: 'add', path: '/list/-', value: 4 },
    { op: 'replace', path: '/list/0', value: 0 },
    { op: 'remove', path: '/list/2' },
  ]), { a: { 'x/y': 10, z: [] }, list: [0, 9, 3, 4] })
  t.same(doc, { a: { 'x/y': 1, 'm~n': 2 }, list: [1, 2, 3] }, 'the input is not changed')
})

t.test('both webhooks in the API server order', async (t) => {
  const general = throughWebhooks(buildReview({ pod: POD, add: [debugContainer(POD, { image: 'busybox:1.36' })] }), defaultPolicy)
  t.same(general.patch, [{ op: 'replace', path: '/spec/ephemeralContainers/0/imagePullPolicy', value: 'Always' }])
  t.equal(general.containers[0]?.['imagePullPolicy'], 'Always', 'the validating webhook judges the patched container')
  t.equal(general.validate.review.response?.allowed, true)
  t.same(general.warnings, [])
  const sysadmin = throughWebhooks(buildReview({ pod: POD, add: [debugContainer(POD, { image: 'busybox', profile: 'sysadmin' })] }), defaultPolicy)
  t.equal(sysadmin.validate.review.response?.allowed, false)
  t.same(sysadmin.validate.summary.rules.map((r) => r.rule), ['no-privileged'])
  const noPod = buildReview({ pod: POD, add: [] })
  noPod.request!.object = { kind: 'Pod', spec: { ephemeralContainers: 'no list' } }
  noPod.request!.oldObject = null
  t.same(throughWebhooks(noPod, defaultPolicy).containers, [], 'an object it cannot read has no new containers')
})
