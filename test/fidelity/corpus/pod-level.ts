import type { FidelityCase } from './types.js'

/** Category 'pod-level' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = []
