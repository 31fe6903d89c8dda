// seccompProfile_baseline (baseline) and seccompProfile_restricted (restricted): seccomp stays on.
//   securityContext.seccompProfile.type (the container's, else the pod's):
//   baseline v1.0–v1.18: judged on annotations only, which a new ephemeral container cannot add
//   (the ephemeralcontainers subresource changes nothing else), so nothing here;
//   baseline v1.19+: RuntimeDefault, Localhost or unset;
//   restricted v1.19+: RuntimeDefault or Localhost, here or in the pod (replaces the baseline check);
//   v1.25+ not judged in a Windows pod.
import { effective, inherited, SC, type PsaCheck, type PsaFinding, type PsaSubject } from './types.js'

const PATH = ['seccompProfile', 'type']
const VALID = ['RuntimeDefault', 'Localhost']

function seccomp(required: boolean): (s: PsaSubject) => PsaFinding[] {
  return (s) => {
    const { value, fromPod } = effective(s, PATH)
    if (value === undefined) {
      return required ? [{ path: [SC, ...PATH], type: 'Required', detail: 'must be "RuntimeDefault" or "Localhost", here or in the pod\'s securityContext' }] : []
    }
    if (typeof value === 'string' && VALID.includes(value)) return []
    return [{ path: [SC, ...PATH], type: 'Forbidden', detail: `must be "RuntimeDefault" or "Localhost", not ${JSON.stringify(value)}${inherited(fromPod, PATH)}`, value }]
  }
}

export const seccompProfileBaseline: PsaCheck = {
  id: 'seccompProfile_baseline',
  level: 'baseline',
  versions: [{ since: 0, run: () => [] }, { since: 19, run: seccomp(false) }],
}

const restricted = seccomp(true)
export const seccompProfileRestricted: PsaCheck = {
  id: 'seccompProfile_restricted',
  level: 'restricted',
  versions: [
    { since: 19, run: restricted, overrides: ['seccompProfile_baseline'] },
    { since: 25, run: (s) => (s.windows ? [] : restricted(s)), overrides: ['seccompProfile_baseline'] },
  ],
}
