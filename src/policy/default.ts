import { DEFAULT_POLICY_FILE, loadPolicyFile } from './load.js'
import type { Policy } from '../decision/types.js'

/** The built-in policy (policies/default.yaml), used when no --policy is given; compiled when this module is first imported. */
export const defaultPolicy: Policy = loadPolicyFile(DEFAULT_POLICY_FILE).policy
