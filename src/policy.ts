import { assertRegistry, defaultPolicyChecks, kubernetesChecks } from './checks/index.js'
import type { Check } from './checks/types.js'

/** What the webhook enforces: Kubernetes' restrictions, then the organisation's rules. */
export interface Policy {
  readonly name: string
  readonly checks: readonly Check[]
}

/** The built-in policy (schemas/default-policy.schema.json), used when no --policy is given. */
export const defaultPolicy: Policy = Object.freeze({
  name: 'default',
  checks: assertRegistry([...kubernetesChecks, ...defaultPolicyChecks]),
})
