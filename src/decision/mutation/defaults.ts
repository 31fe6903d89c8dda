import type { Mutations } from '../types.js'
import { DEFAULT_PULL_POLICY } from './pull-policy.js'

/**
 * The mutations of a policy that names none (`mutations: {}`, or a Policy built in code): the pull
 * policy only. policy/compile.ts compiles `{}` to the same (a test keeps the two equal).
 */
export const DEFAULT_MUTATIONS: Mutations = Object.freeze({ pullPolicy: DEFAULT_PULL_POLICY, registryMirrors: new Map<string, string>(), provenance: false })
