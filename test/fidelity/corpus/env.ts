import type { FidelityCase } from './types.js'

/** Category 'env' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = []
