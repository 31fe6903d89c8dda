// allowPrivilegeEscalation (restricted): no gaining privileges through set-user-ID or set-group-ID files.
//   securityContext.allowPrivilegeEscalation: false, set explicitly (v1.8+); v1.25+ not judged in a
//   Windows pod.
import { field, SC, type PsaCheck, type PsaFinding, type PsaSubject } from './types.js'

const PATH = [SC, 'allowPrivilegeEscalation']

const explicitlyFalse = ({ sc }: PsaSubject): PsaFinding[] => {
  const v = field(sc, 'allowPrivilegeEscalation')
  if (v === false) return []
  return [v === undefined ? { path: PATH, type: 'Required', detail: 'must be false' } : { path: PATH, type: 'Invalid', detail: 'must be false', value: v }]
}

export const allowPrivilegeEscalation: PsaCheck = {
  id: 'allowPrivilegeEscalation',
  level: 'restricted',
  versions: [{ since: 8, run: explicitlyFalse }, { since: 25, run: (s) => (s.windows ? [] : explicitlyFalse(s)) }],
}
