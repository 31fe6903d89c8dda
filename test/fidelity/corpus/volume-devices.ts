import type { FidelityCase } from './types.js'

/** Category 'volume-devices' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = []
