// procMount (baseline) and procMount_restricted (restricted): the default /proc masks stay.
//   securityContext.procMount: unset or "Default".
//   procMount, v1.0+: always; v1.35+: any value in a pod with hostUsers: false (a user namespace).
//   procMount_restricted, v1.35+: always (replaces procMount at the restricted level).
import { field, SC, type PsaCheck, type PsaFinding, type PsaSubject } from './types.js'

const unmasked = ({ sc }: PsaSubject): PsaFinding[] => {
  const v = field(sc, 'procMount')
  return v === undefined || v === 'Default' ? [] : [{ path: [SC, 'procMount'], type: 'Forbidden', detail: `must be "Default" or unset, not ${JSON.stringify(v)}`, value: v }]
}

export const procMount: PsaCheck = {
  id: 'procMount',
  level: 'baseline',
  versions: [{ since: 0, run: unmasked }, { since: 35, run: (s) => (s.userNamespace ? [] : unmasked(s)) }],
}

export const procMountRestricted: PsaCheck = {
  id: 'procMount_restricted',
  level: 'restricted',
  versions: [{ since: 35, run: unmasked, overrides: ['procMount'] }],
}
