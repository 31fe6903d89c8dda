import type { FidelityCase } from './types.js'

/** Category 'whitespace-quoting' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = []
