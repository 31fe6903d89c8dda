import { DEFAULT_POLICY_FILE, loadPolicyFile } from './policy/load.js'
import type { Policy } from './policy/types.js'

export type { Policy } from './policy/types.js'

/** The built-in policy (policies/default.yaml), used when no --policy is given. */
export const defaultPolicy: Policy = loadPolicyFile(DEFAULT_POLICY_FILE).policy
