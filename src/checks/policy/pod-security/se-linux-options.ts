// seLinuxOptions (baseline): the SELinux type is restricted, a custom user or role is forbidden.
//   securityContext.seLinuxOptions (the container's, else the pod's):
//   type unset, "", container_t, container_init_t or container_kvm_t (v1.0+), and container_engine_t (v1.31+);
//   user and role unset or "".
import type { JsonValue } from '../../../kube/types.js'
import { effective, field, inherited, SC, type PsaCheck, type PsaFinding, type PsaSubject } from './types.js'

const TYPES_1_0 = ['container_t', 'container_init_t', 'container_kvm_t']
const TYPES_1_31 = [...TYPES_1_0, 'container_engine_t']
const OPTIONS = ['seLinuxOptions']

function seLinuxOptions(types: readonly string[]): (s: PsaSubject) => PsaFinding[] {
  const allowed = new Set(['', ...types])
  return (s) => {
    const { value, fromPod } = effective(s, OPTIONS)
    const out: PsaFinding[] = []
    const at = (key: string, detail: string, v: JsonValue): PsaFinding =>
      ({ path: [SC, ...OPTIONS, key], type: 'Forbidden', detail: `${detail}${inherited(fromPod, [...OPTIONS, key])}`, value: v })
    const type = field(value, 'type')
    if (type !== undefined && !(typeof type === 'string' && allowed.has(type))) {
      out.push(at('type', `must not be ${JSON.stringify(type)}; allowed: ${types.join(', ')} or empty`, type))
    }
    for (const key of ['user', 'role']) {
      const v = field(value, key)
      if (v !== undefined && v !== '') out.push(at(key, 'must not be set', v))
    }
    return out
  }
}

export const seLinuxOptionsCheck: PsaCheck = {
  id: 'seLinuxOptions',
  level: 'baseline',
  versions: [{ since: 0, run: seLinuxOptions(TYPES_1_0) }, { since: 31, run: seLinuxOptions(TYPES_1_31) }],
}
