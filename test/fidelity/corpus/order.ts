import type { FidelityCase } from './types.js'

/** Category 'order' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = []
