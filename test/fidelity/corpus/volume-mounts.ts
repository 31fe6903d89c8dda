import type { FidelityCase } from './types.js'

/** Category 'volume-mounts' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = []
