// runAsUser (restricted): not uid 0.
//   securityContext.runAsUser (the container's, else the pod's): unset or non-zero (v1.23+);
//   v1.35+: any value in a pod with hostUsers: false (a user namespace).
import { effective, inherited, SC, type PsaCheck, type PsaFinding, type PsaSubject } from './types.js'

const PATH = ['runAsUser']

const notRoot = (s: PsaSubject): PsaFinding[] => {
  const { value, fromPod } = effective(s, PATH)
  return value === 0 ? [{ path: [SC, ...PATH], type: 'Forbidden', detail: `must not be 0${inherited(fromPod, PATH)}` }] : []
}

export const runAsUser: PsaCheck = {
  id: 'runAsUser',
  level: 'restricted',
  versions: [{ since: 23, run: notRoot }, { since: 35, run: (s) => (s.userNamespace ? [] : notRoot(s)) }],
}
