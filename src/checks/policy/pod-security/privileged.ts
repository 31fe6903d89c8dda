// privileged (baseline, v1.0+): privileged containers disable most security mechanisms.
//   securityContext.privileged: false or unset.
import { field, SC, type PsaCheck } from './types.js'

export const privileged: PsaCheck = {
  id: 'privileged',
  level: 'baseline',
  versions: [{ since: 0, run: ({ sc }) => (field(sc, 'privileged') === true ? [{ path: [SC, 'privileged'], type: 'Forbidden', detail: 'must not be true' }] : []) }],
}
