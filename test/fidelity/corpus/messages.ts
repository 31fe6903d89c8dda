import type { FidelityCase } from './types.js'

/** Category 'messages' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = []
