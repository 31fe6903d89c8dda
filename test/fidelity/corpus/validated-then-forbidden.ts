import type { FidelityCase } from './types.js'

/** Category 'validated-then-forbidden' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = []
