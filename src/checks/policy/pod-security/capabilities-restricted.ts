// capabilities_restricted (restricted, v1.22+; replaces capabilities_baseline): drop ALL, add at most
// NET_BIND_SERVICE (and the rule's exceptions).
//   securityContext.capabilities.drop includes "ALL"; capabilities.add only NET_BIND_SERVICE.
//   v1.25+ not judged in a Windows pod.
import { field, SC, stringsOf, type PsaCheck, type PsaFinding, type PsaSubject } from './types.js'

const CAPS = [SC, 'capabilities']

const restricted = ({ sc, extraCapabilities }: PsaSubject): PsaFinding[] => {
  const caps = field(sc, 'capabilities')
  const drop = field(caps, 'drop')
  const add = field(caps, 'add')
  const out: PsaFinding[] = []
  if (drop === undefined) out.push({ path: [...CAPS, 'drop'], type: 'Required', detail: 'must include "ALL"' })
  else if (!stringsOf(drop).includes('ALL')) out.push({ path: [...CAPS, 'drop'], type: 'Invalid', detail: 'must include "ALL"', value: drop })
  if (Array.isArray(add)) {
    add.forEach((cap, i) => {
      if (cap === 'NET_BIND_SERVICE' || (typeof cap === 'string' && extraCapabilities.has(cap))) return
      out.push({ path: [...CAPS, 'add', i], type: 'Forbidden', detail: `capability ${JSON.stringify(cap)} is not allowed; only NET_BIND_SERVICE may be added` })
    })
  }
  return out
}

export const capabilitiesRestricted: PsaCheck = {
  id: 'capabilities_restricted',
  level: 'restricted',
  versions: [
    { since: 22, run: restricted, overrides: ['capabilities_baseline'] },
    { since: 25, run: (s) => (s.windows ? [] : restricted(s)), overrides: ['capabilities_baseline'] },
  ],
}
