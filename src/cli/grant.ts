// `grant request|approve|revoke|list`: just-in-time debug grants (preview). Objects are built and
// checked in src/grants/objects.ts; identities are never sent: the grant webhook stamps the requester
// and the approver from the authenticated request (--as impersonates, as kubectl does).
import { ClusterError, UsageError } from '../errors.js'
import type { JsonObject } from '../kube/types.js'
import type { GrantRequest } from '../grants/objects.js'
import { fail as failWith, flagOf, listOf, stringOf, type Io, type Parsed } from './command.js'
import { kubeApiOptions } from './cluster.js'

const SUBCOMMANDS = ['request', 'approve', 'revoke', 'list'] as const
type Sub = (typeof SUBCOMMANDS)[number]
const OUTPUTS = ['table', 'json'] as const

const base = (namespace: string | undefined): string =>
  `/apis/ephemeral-guard.dev/v1alpha1${namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`}`

export async function grantCommand({ values, positionals }: Parsed, io: Io): Promise<number> {
  const fail = (message: string): number => failWith(io, 'grant', message)
  const [sub, name, ...rest] = positionals
  if (sub === undefined || !(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`needs one of ${SUBCOMMANDS.join(', ')}${sub === undefined ? '' : `, got ${JSON.stringify(sub)}`}`, 'grant')
  if (rest.length > 0) throw new UsageError(`takes one grant name, got ${positionals.slice(1).join(' ')}`, 'grant')
  const namespace = stringOf(values, 'namespace')
  const all = flagOf(values, 'all-namespaces')
  if (sub !== 'list' && all) throw new UsageError(`-A is for list only`, 'grant')
  if ((sub === 'approve' || sub === 'revoke') && name === undefined) throw new UsageError(`${sub} needs the grant's name`, 'grant')
  if (sub === 'list' && name !== undefined) throw new UsageError('list takes no name', 'grant')
  const ns = all ? undefined : namespace ?? 'default'
  const output = stringOf(values, 'output') ?? 'table'
  if (!(OUTPUTS as readonly string[]).includes(output)) throw new UsageError(`-o must be one of ${OUTPUTS.join(', ')}, got ${output}`, 'grant')
  const approvalsText = stringOf(values, 'approvals') ?? '1'
  if (!/^\d{1,2}$/.test(approvalsText)) throw new UsageError(`--approvals takes a whole number, got ${JSON.stringify(approvalsText)}`, 'grant')

  const objects = await import('../grants/objects.js')
  let asked: Omit<GrantRequest, 'users'> & { users: readonly string[] } | undefined
  if (sub === 'request') {
    const duration = stringOf(values, 'duration')
    const reason = stringOf(values, 'reason')
    if (duration === undefined || reason === undefined) throw new UsageError('request needs --duration and --reason', 'grant')
    const privileged = stringOf(values, 'privileged')
    if (privileged !== undefined && privileged !== 'true' && privileged !== 'false') throw new UsageError('--privileged takes true or false', 'grant')
    const capabilities = listOf(values, 'capability')
    const selector = stringOf(values, 'selector')
    asked = {
      ...(name !== undefined ? { name } : {}),
      namespace: ns!,
      users: listOf(values, 'user'),
      groups: listOf(values, 'group'),
      pods: listOf(values, 'pod'),
      ...(selector !== undefined ? { selector } : {}),
      containers: listOf(values, 'container'),
      images: listOf(values, 'image'),
      ...(capabilities.length > 0 || flagOf(values, 'no-capabilities') ? { capabilities } : {}),
      ...(privileged !== undefined ? { privileged: privileged === 'true' } : {}),
      reason,
      duration,
    }
    // Checked before the cluster is asked anything (a stand-in user where the current one goes).
    const checked = objects.grantObject(asked.users.length + asked.groups.length > 0 ? asked : { ...asked, users: ['-'] })
    if (!checked.ok) return fail(checked.error)
  }

  // The cluster client is loaded only once the arguments are known to be good.
  const { createKubeApi, forEachPage } = await import('../cluster/api.js')
  try {
    const api = createKubeApi(kubeApiOptions(values, io.env))
    switch (sub as Sub) {
      case 'request': {
        let users = asked!.users
        if (users.length + asked!.groups.length === 0) {
          // --user defaults to the current user, as the API server knows them (impersonation included).
          const review = (await api.send('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' })).object
          const user = ((review['status'] as JsonObject | undefined)?.['userInfo'] as JsonObject | undefined)?.['username']
          if (typeof user !== 'string' || user === '') return fail('cannot tell who you are (the SelfSubjectReview gave no username); pass --user')
          users = [user]
        }
        const built = objects.grantObject({ ...asked!, users })
        if (!built.ok) return fail(built.error)
        const object = built.value
        const created = (await api.send('POST', `${base(ns)}/debuggrants`, object)).object
        const meta = created['metadata'] as { name: string; namespace: string }
        const spec = created['spec'] as { requestedBy?: string }
        io.stdout.write(`debuggrant ${meta.name} requested in namespace ${meta.namespace} by ${spec.requestedBy ?? '(not recorded)'}\n`)
        io.stdout.write(`an approver runs: ephemeral-guard grant approve ${meta.name} -n ${meta.namespace}\n`)
        return 0
      }
      case 'approve': {
        const g = await api.get(`${base(ns)}/debuggrants/${encodeURIComponent(name!)}`)
        const { readGrant } = await import('../grants/types.js')
        const grant = readGrant(g)
        if (!grant.ok) return fail(`grant ${name} cannot be read: ${grant.error}`)
        const created = (await api.send('POST', `${base(ns)}/debuggrantapprovals`, objects.approvalObject(grant.value))).object
        const spec = created['spec'] as { approver?: string; generation?: number }
        io.stdout.write(`debuggrant ${name} generation ${spec.generation} approved by ${spec.approver ?? '(not recorded)'} (debuggrantapproval ${(created['metadata'] as { name: string }).name})\n`)
        return 0
      }
      case 'revoke': {
        await api.send('PATCH', `${base(ns)}/debuggrants/${encodeURIComponent(name!)}`, objects.REVOKE_PATCH, 'application/merge-patch+json')
        io.stdout.write(`debuggrant ${name} revoked\n`)
        return 0
      }
      case 'list': {
        const grants: JsonObject[] = []
        const approvals: JsonObject[] = []
        await forEachPage(api, `${base(ns)}/debuggrants`, 500, (items) => grants.push(...items))
        await forEachPage(api, `${base(ns)}/debuggrantapprovals`, 500, (items) => approvals.push(...items))
        const now = new Date()
        const rows = objects.grantRows(grants, approvals, Number(approvalsText), now)
        io.stdout.write(output === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : objects.formatGrantTable(rows, now, all))
        return 0
      }
    }
  } catch (e) {
    if (e instanceof ClusterError) return fail(e.message)
    throw e
  }
}
