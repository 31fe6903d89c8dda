// What `grant request|approve|revoke|list` send and print, without I/O: a DebugGrant from the
// command's flags (checked as the webhook will check it), the approval of a grant's current
// generation, the revocation, and the rows of `grant list`.
import { formatAge } from '../duration.js'
import { parseRfc3339 } from '../time.js'
import type { JsonObject } from '../kube/types.js'
import { grantState, type GrantState } from './state.js'
import { GRANT_API_VERSION, readGrant, type DebugGrant, type DebugGrantApproval, type LabelSelector } from './types.js'

export interface GrantRequest {
  /** Without it, the API server makes one from `debug-` (generateName). */
  readonly name?: string
  readonly namespace: string
  readonly users: readonly string[]
  readonly groups: readonly string[]
  readonly pods: readonly string[]
  /** `K=V,K2=V2` (matchLabels), as kubectl's -l takes equality selectors. */
  readonly selector?: string
  readonly containers: readonly string[]
  readonly images: readonly string[]
  readonly capabilities?: readonly string[]
  readonly privileged?: boolean
  readonly reason: string
  readonly duration: string
}

/** `app=web,tier=front` as matchLabels; undefined and a message when it is not that. */
export function parseSelector(text: string): { ok: true; value: LabelSelector } | { ok: false; error: string } {
  const matchLabels: Record<string, string> = {}
  for (const part of text.split(',')) {
    const eq = part.indexOf('=')
    if (eq <= 0 || part.slice(eq + 1).includes('=')) return { ok: false, error: `--selector takes KEY=VALUE[,KEY=VALUE...], got ${JSON.stringify(text)}` }
    matchLabels[part.slice(0, eq).trim()] = part.slice(eq + 1).trim()
  }
  return { ok: true, value: { matchLabels } }
}

/** The DebugGrant to create, or every problem with it (the schema's and the semantic checks). */
export function grantObject(r: GrantRequest): { ok: true; value: JsonObject } | { ok: false; error: string } {
  let selector: LabelSelector | undefined
  if (r.selector !== undefined) {
    const s = parseSelector(r.selector)
    if (!s.ok) return s
    selector = s.value
  }
  const profile: Record<string, unknown> = {
    ...(r.images.length > 0 ? { images: [...r.images] } : {}),
    ...(r.capabilities !== undefined ? { capabilities: [...r.capabilities] } : {}),
    ...(r.privileged !== undefined ? { privileged: r.privileged } : {}),
  }
  const spec = {
    subjects: { ...(r.users.length > 0 ? { users: [...r.users] } : {}), ...(r.groups.length > 0 ? { groups: [...r.groups] } : {}) },
    pods: { ...(r.pods.length > 0 ? { names: [...r.pods] } : {}), ...(selector ? { selector } : {}), ...(r.containers.length > 0 ? { containers: [...r.containers] } : {}) },
    ...(Object.keys(profile).length > 0 ? { profile } : {}),
    reason: r.reason,
    duration: r.duration,
  }
  const metadata = r.name !== undefined ? { name: r.name, namespace: r.namespace } : { generateName: 'debug-', namespace: r.namespace }
  const object = { apiVersion: GRANT_API_VERSION, kind: 'DebugGrant', metadata, spec } as unknown as JsonObject
  // Checked as the webhook will check it (a placeholder name where the API server makes one).
  const check = readGrant({ ...object, metadata: { name: r.name ?? 'debug-x', namespace: r.namespace } })
  return check.ok ? { ok: true, value: object } : { ok: false, error: check.error }
}

/** The approval of `grant` as it is now (its uid and current generation); the approver is stamped by the webhook. */
export function approvalObject(grant: DebugGrant): JsonObject {
  return {
    apiVersion: GRANT_API_VERSION,
    kind: 'DebugGrantApproval',
    metadata: { generateName: `${grant.metadata.name.slice(0, 200)}-`, namespace: grant.metadata.namespace ?? '' },
    spec: { grant: grant.metadata.name, grantUID: grant.metadata.uid ?? '', generation: grant.metadata.generation ?? 0 },
  }
}

/** The merge patch that revokes a grant. */
export const REVOKE_PATCH: JsonObject = { spec: { revoked: true } }

export interface GrantRow {
  readonly namespace: string
  readonly name: string
  readonly requester: string
  readonly pods: string
  readonly state: GrantState['state']
  readonly expires: string
  readonly approvals: number
  readonly approvedBy: readonly string[]
  readonly reason: string
  readonly why?: string
}

/** Each grant's row, its state computed (never read from status) from its approvals at `now`. */
export function grantRows(grants: readonly JsonObject[], approvals: readonly JsonObject[], required: number, now: Date): GrantRow[] {
  const read = approvals.map((a) => a as unknown as DebugGrantApproval).filter((a) => a.spec !== undefined && a.metadata !== undefined)
  const rows: GrantRow[] = []
  for (const obj of grants) {
    const g = readGrant(obj)
    const meta = obj['metadata'] as { name?: string; namespace?: string } | undefined
    if (!g.ok) {
      rows.push({ namespace: meta?.namespace ?? '', name: meta?.name ?? '', requester: '', pods: '', state: 'Pending', expires: '', approvals: 0, approvedBy: [], reason: '', why: `cannot be read: ${g.error}` })
      continue
    }
    const grant = g.value
    const s = grantState(grant, read, required, now)
    const pods = grant.spec.pods.names !== undefined ? grant.spec.pods.names.join(',') : selectorText(grant.spec.pods.selector!)
    rows.push({
      namespace: grant.metadata.namespace ?? '',
      name: grant.metadata.name,
      requester: grant.spec.requestedBy ?? '',
      pods,
      state: s.state,
      expires: s.expiresAt ?? '',
      approvals: s.approvals,
      approvedBy: s.approvedBy,
      reason: grant.spec.reason,
      ...(s.why !== undefined ? { why: s.why } : {}),
    })
  }
  return rows.sort((a, b) => (a.namespace + '/' + a.name < b.namespace + '/' + b.name ? -1 : 1))
}

function selectorText(s: LabelSelector): string {
  const parts = Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)
  for (const r of s.matchExpressions ?? []) {
    parts.push(r.operator === 'Exists' ? r.key : r.operator === 'DoesNotExist' ? `!${r.key}` : `${r.key} ${r.operator === 'In' ? 'in' : 'notin'} (${(r.values ?? []).join(',')})`)
  }
  return parts.length === 0 ? '(all pods)' : parts.join(',')
}

/** `grant list`'s table: the expiry with how far off it is, the approvers after their count. */
export function formatGrantTable(rows: readonly GrantRow[], now: Date, allNamespaces: boolean): string {
  const header = [...(allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'REQUESTER', 'PODS', 'STATE', 'EXPIRES', 'APPROVALS']
  const lines = rows.map((r) => {
    const at = r.expires === '' ? undefined : parseRfc3339(r.expires)
    const expires = at === undefined || !at.ok ? '-' : `${r.expires} (${at.value > now.getTime() ? `in ${formatAge(at.value - now.getTime())}` : `${formatAge(now.getTime() - at.value)} ago`})`
    const approvals = r.approvals === 0 ? '0' : `${r.approvals} (${r.approvedBy.join(', ')})`
    return [...(allNamespaces ? [r.namespace] : []), r.name, r.requester || '-', r.pods || '-', r.state, expires, approvals]
  })
  if (lines.length === 0) return 'No debug grants found.\n'
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  return [header, ...lines].map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i]!))).join('   ')).join('\n') + '\n'
}

