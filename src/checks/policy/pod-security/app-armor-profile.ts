// appArmorProfile (baseline, v1.0+): the runtime's AppArmor profile is not disabled.
//   securityContext.appArmorProfile.type (the container's, else the pod's): RuntimeDefault, Localhost
//   or unset. (PSA also judges the pod's container.apparmor.security.beta.kubernetes.io/* annotations,
//   which a new ephemeral container cannot add.)
import { effective, inherited, SC, type PsaCheck } from './types.js'

const PATH = ['appArmorProfile', 'type']

export const appArmorProfile: PsaCheck = {
  id: 'appArmorProfile',
  level: 'baseline',
  versions: [{
    since: 0,
    run: (s) => {
      const { value, fromPod } = effective(s, PATH)
      if (value === undefined || value === 'RuntimeDefault' || value === 'Localhost') return []
      return [{ path: [SC, ...PATH], type: 'Forbidden', detail: `must be "RuntimeDefault" or "Localhost", not ${JSON.stringify(value)}${inherited(fromPod, PATH)}`, value }]
    },
  }],
}
