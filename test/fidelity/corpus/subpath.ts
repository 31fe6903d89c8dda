import type { FidelityCase } from './types.js'

/** Category 'subpath' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = []
