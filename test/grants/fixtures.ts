// Grants and approvals as the API server stores them (generation and creationTimestamp set), for the
// grant unit tests. Not a test file (tap includes *.test.ts only).
import type { DebugGrant, DebugGrantApproval, GrantSpec } from '../../src/grants/types.js'

export const T0 = Date.parse('2026-12-01T10:00:00Z')
export const at = (offsetS: number): string => new Date(T0 + offsetS * 1000).toISOString().replace(/\.000Z$/, 'Z')

export function grant(spec: Partial<GrantSpec> = {}, meta: Partial<DebugGrant['metadata']> = {}): DebugGrant {
  return {
    apiVersion: 'ephemeral-guard.dev/v1alpha1',
    kind: 'DebugGrant',
    metadata: { name: 'inc-42', namespace: 'shop', uid: 'uid-inc-42', generation: 1, creationTimestamp: at(0), ...meta },
    spec: { subjects: { users: ['alice'] }, pods: { names: ['web-0'] }, reason: 'INC-42', duration: '30m', requestedBy: 'alice', ...spec },
  }
}

export function approval(approver: string | undefined, offsetS: number, o: { grant?: string; grantUID?: string; generation?: number; name?: string; namespace?: string } = {}): DebugGrantApproval {
  return {
    apiVersion: 'ephemeral-guard.dev/v1alpha1',
    kind: 'DebugGrantApproval',
    metadata: { name: o.name ?? `a-${approver ?? 'none'}-${offsetS}`, namespace: o.namespace ?? 'shop', generation: 1, creationTimestamp: at(offsetS) },
    spec: { grant: o.grant ?? 'inc-42', grantUID: o.grantUID ?? 'uid-inc-42', generation: o.generation ?? 1, ...(approver !== undefined ? { approver } : {}) },
  }
}
