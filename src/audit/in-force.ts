// The policies in force (policy/in-force.ts) as audit judges with them: the combined policy, and
// what each of its rules needs of the requester's identity (identity.ts), from their documents.
import type { KubeApi } from '../cluster/api.js'
import { readPoliciesInForce, type InstallNames, type PoliciesInForce } from '../policy/in-force.js'
import type { AuditPolicy } from './evaluate.js'
import { identityRules } from './identity.js'

export type PolicyInForceForAudit = AuditPolicy & { readonly source: string; readonly inForce: readonly string[]; readonly notes: readonly string[] }

/** The audit policy of policies in force already read. */
export function auditPolicyOf(p: PoliciesInForce): PolicyInForceForAudit {
  return {
    policy: p.policy,
    rules: [],
    identity: p.documents.flatMap((d) => identityRules(d.spec, d.prefix, d.namespace)),
    source: p.source,
    inForce: p.inForce,
    notes: p.notes,
  }
}

export async function policiesInForce(api: Pick<KubeApi, 'get' | 'getOptional'>, install: InstallNames): Promise<PolicyInForceForAudit> {
  return auditPolicyOf(await readPoliciesInForce(api, install))
}
