// runAsNonRoot (restricted): containers must be required to run as a non-root user.
//   securityContext.runAsNonRoot: true, or unset with the pod's runAsNonRoot: true (v1.0+);
//   v1.35+: any value in a pod with hostUsers: false (a user namespace).
import { effective, inherited, SC, type PsaCheck, type PsaFinding, type PsaSubject } from './types.js'

const PATH = ['runAsNonRoot']

const nonRoot = (s: PsaSubject): PsaFinding[] => {
  const { value, fromPod } = effective(s, PATH)
  if (value === true) return []
  if (value === undefined) return [{ path: [SC, ...PATH], type: 'Required', detail: 'must be true, here or in the pod\'s securityContext' }]
  return [{ path: [SC, ...PATH], type: fromPod ? 'Forbidden' : 'Invalid', detail: `must be true${inherited(fromPod, PATH)}`, value }]
}

export const runAsNonRoot: PsaCheck = {
  id: 'runAsNonRoot',
  level: 'restricted',
  versions: [{ since: 0, run: nonRoot }, { since: 35, run: (s) => (s.userNamespace ? [] : nonRoot(s)) }],
}
