import type { FidelityCase } from './types.js'

/** Category 'which-containers' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = []
