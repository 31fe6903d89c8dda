import type { FidelityCase } from './types.js'

/** Category 'refused-before-admission' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = []
