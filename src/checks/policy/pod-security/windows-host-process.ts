// windowsHostProcess (baseline, v1.0+): no Windows HostProcess container (it runs on the host).
//   securityContext.windowsOptions.hostProcess: false or unset, in the container and the pod's
//   securityContext it inherits.
import { effective, inherited, SC, type PsaCheck } from './types.js'

const PATH = ['windowsOptions', 'hostProcess']

export const windowsHostProcess: PsaCheck = {
  id: 'windowsHostProcess',
  level: 'baseline',
  versions: [{
    since: 0,
    run: (s) => {
      const { value, fromPod } = effective(s, PATH)
      return value === true ? [{ path: [SC, ...PATH], type: 'Forbidden', detail: `must not be true${inherited(fromPod, PATH)}` }] : []
    },
  }],
}
