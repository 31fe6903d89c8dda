import type { FidelityCase } from './types.js'

/** Category 'security-context' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = []
