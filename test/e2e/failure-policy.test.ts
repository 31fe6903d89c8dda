// What happens when ephemeral-guard is down: the validating webhook fails closed (failurePolicy Fail),
// the documented break-glass (delete the ValidatingWebhookConfiguration) restores kubectl debug, and
// the mutating webhook (failurePolicy Ignore) fails open. Own file: it stops the shared server.
import t from 'tap'
import type { JsonObject } from '../../src/kube/types.js'
import { createTargetPod, ephemeralContainers, ephemeralContainersPath, freshNamespace, kubectlOk, withEphemeralContainers } from './support/cluster.js'
import { poll } from './support/process.js'
import { fileEnvironment } from './support/setup.js'
import { COMPLIANT, CONFIGURATION_NAME, GRANT_WEBHOOK, MUTATING_WEBHOOK, VALIDATING_WEBHOOK } from './support/webhook.js'
import { guardNetwork } from './support/network-guard.js'

// Loopback only: fails this file on any socket or Service that could reach off this machine.
guardNetwork(t)

const e = fileEnvironment(t)

t.test('with the server down, kubectl debug fails closed until the validating configuration is deleted', async (t) => {
  const { cluster, webhook } = e()
  const ns = await freshNamespace(cluster, 'outage')
  await createTargetPod(cluster, ns)

  const before = await cluster.kubectl(['-n', ns, 'debug', 'pod/target', '--image=busybox:1.36', '--profile=general', '-c', 'before'])
  t.equal(before.code, 0, 'while the server runs, kubectl debug works', { stderr: before.stderr })

  t.equal(await webhook.stop(), 0, 'SIGTERM stops ephemeral-guard with exit code 0')

  const down = await cluster.kubectl(['-n', ns, 'debug', 'pod/target', '--image=busybox:1.36', '--profile=general', '-c', 'down'])
  t.not(down.code, 0, 'kubectl debug fails')
  t.ok(down.stderr.includes(`Error from server (InternalError): Internal error occurred: failed calling webhook "${VALIDATING_WEBHOOK}": failed to call webhook: Post "${webhook.url}/validate?timeout=5s": `),
    "the API server's own error, naming the webhook, URL and timeoutSeconds", { stderr: down.stderr })
  t.match(down.stderr, /connect: connection refused/)
  t.same((await ephemeralContainers(cluster, ns, 'target')).map((c) => c['name']), ['before'], 'nothing was added')

  // Break-glass as documented: delete the validating configuration; the mutating one stays.
  await kubectlOk(cluster, ['delete', 'validatingwebhookconfiguration', CONFIGURATION_NAME])
  const mutating = JSON.parse(await kubectlOk(cluster, ['get', 'mutatingwebhookconfiguration', CONFIGURATION_NAME, '-o', 'json'])) as JsonObject
  t.same((mutating['webhooks'] as JsonObject[]).map((w) => [w['name'], w['failurePolicy']]), [[MUTATING_WEBHOOK, 'Ignore'], [GRANT_WEBHOOK, 'Fail']], 'the mutating webhook is still registered, failing open (the grant webhook, for grant kinds only, fails closed)')

  // The deletion reaches the admission plugin through an informer: wait until a dry run passes.
  const path = `${ephemeralContainersPath(ns, 'target')}?dryRun=All`
  let last = ''
  await poll('the API server to drop the validating webhook', async () => {
    const current = (await ephemeralContainers(cluster, ns, 'target'))
    const r = await cluster.api('PUT', path, await withEphemeralContainers(cluster, ns, 'target', [...current, COMPLIANT]))
    last = `${r.status} ${String(r.body['message'])}`
    return r.status === 200 ? true : undefined
  }, { timeoutMs: 30_000, intervalMs: 250, last: () => last })

  const after = await cluster.kubectl(['-n', ns, 'debug', 'pod/target', '--image=busybox:1.36', '--profile=general', '-c', 'after'])
  t.equal(after.code, 0, 'kubectl debug works again', { stderr: after.stderr })
  const list = await ephemeralContainers(cluster, ns, 'target')
  t.same(list.map((c) => [c['name'], c['imagePullPolicy']]), [['before', 'Always'], ['after', 'IfNotPresent']],
    'the new container keeps the API server default: the mutating webhook could not be called')

  const event = await poll('the audit event of the break-glass kubectl debug', async () => cluster.auditEvents().find((ev) => {
    const ref = ev['objectRef'] as JsonObject | undefined
    return ev['stage'] === 'ResponseComplete' && ev['verb'] === 'patch' && ref?.['subresource'] === 'ephemeralcontainers' && ref['namespace'] === ns &&
      (ev['responseStatus'] as JsonObject | undefined)?.['code'] === 200 && JSON.stringify(ev['requestObject'] ?? null).includes('"name":"after"')
  }), { timeoutMs: 5000, intervalMs: 100 })
  const annotations = event['annotations'] as Record<string, string>
  t.equal(annotations['failed-open.mutation.webhook.admission.k8s.io/round_0_index_0'], MUTATING_WEBHOOK, 'the API server records that our mutating webhook failed open')
  t.same(JSON.parse(annotations['mutation.webhook.admission.k8s.io/round_0_index_0'] ?? 'null'), { configuration: CONFIGURATION_NAME, webhook: MUTATING_WEBHOOK, mutated: false })
})
