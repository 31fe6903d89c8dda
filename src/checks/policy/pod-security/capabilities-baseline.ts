// capabilities_baseline (baseline, v1.0+): no capability beyond the container runtime's default set.
//   securityContext.capabilities.add: only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL,
//   MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT (and the rule's exceptions).
import { field, SC, type PsaCheck, type PsaFinding } from './types.js'

export const DEFAULT_CAPABILITIES: ReadonlySet<string> = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
])

export const capabilitiesBaseline: PsaCheck = {
  id: 'capabilities_baseline',
  level: 'baseline',
  versions: [{
    since: 0,
    run: ({ sc, extraCapabilities }) => {
      const add = field(field(sc, 'capabilities'), 'add')
      const out: PsaFinding[] = []
      if (!Array.isArray(add)) return out
      add.forEach((cap, i) => {
        if (typeof cap === 'string' && (DEFAULT_CAPABILITIES.has(cap) || extraCapabilities.has(cap))) return
        out.push({ path: [SC, 'capabilities', 'add', i], type: 'Forbidden', detail: `non-default capability ${JSON.stringify(cap)} is not allowed` })
      })
      return out
    },
  }],
}
