// Capability names in a policy are compared exactly with what a container lists in
// securityContext.capabilities: Kubernetes' spelling, the Linux name without "CAP_" in upper case
// (kubectl debug's general profile adds "SYS_PTRACE"; the runtime adds the prefix). A name spelled
// any other way ("sys_ptrace", "CAP_NET_ADMIN") can never match, so a policy that allows it denies
// what it meant to allow; such names are refused when the policy loads, with the spelling to use.

/** Linux's capabilities (include/uapi/linux/capability.h, Linux 6.x), as Kubernetes names them. */
export const CAPABILITIES: ReadonlySet<string> = new Set([
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
])

/** Every capability at once: valid in capabilities.drop (and add) of a container. */
const ALL = 'ALL'

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = row
  }
  return prev[b.length]!
}

/** Why `name` is not a capability name as Kubernetes spells it, with the likely one; undefined when it is. */
export function capabilityNameProblem(name: string): string | undefined {
  if (name === ALL || CAPABILITIES.has(name)) return undefined
  const canonical = name.trim().toUpperCase().replace(/^CAP_/, '')
  if (canonical === ALL || CAPABILITIES.has(canonical)) {
    return `capability ${JSON.stringify(name)} never matches: Kubernetes names capabilities without the CAP_ prefix, in upper case; use ${JSON.stringify(canonical)}`
  }
  let best: { name: string; d: number } | undefined
  for (const c of CAPABILITIES) {
    const d = distance(canonical, c)
    if (best === undefined || d < best.d) best = { name: c, d }
  }
  const hint = best !== undefined && best.d <= 3 ? `; did you mean ${JSON.stringify(best.name)}?` : ' (see capabilities(7), without CAP_)'
  return `${JSON.stringify(name)} is not a Linux capability${hint}`
}

const stringsAt = (value: unknown): Array<[number, string]> =>
  Array.isArray(value) ? value.flatMap((v, i): Array<[number, string]> => (typeof v === 'string' ? [[i, v]] : [])) : []

const objectAt = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined

/**
 * Every capability name of a policy document that cannot match: rules' securityContext.allowedCapabilities
 * and the mutation's securityContext.capabilities.drop. Reads the document defensively, so it runs
 * on a document that also has schema errors.
 */
export function capabilityProblems(doc: unknown): string[] {
  const problems: string[] = []
  const spec = objectAt(doc, 'spec')
  const rules = objectAt(spec, 'rules')
  if (Array.isArray(rules)) {
    rules.forEach((rule, i) => {
      for (const [j, name] of stringsAt(objectAt(objectAt(rule, 'securityContext'), 'allowedCapabilities'))) {
        const why = capabilityNameProblem(name)
        if (why) problems.push(`spec.rules[${i}].securityContext.allowedCapabilities[${j}]: ${why}`)
      }
    })
  }
  const drop = objectAt(objectAt(objectAt(objectAt(spec, 'mutations'), 'securityContext'), 'capabilities'), 'drop')
  for (const [j, name] of stringsAt(drop)) {
    const why = capabilityNameProblem(name)
    if (why) problems.push(`spec.mutations.securityContext.capabilities.drop[${j}]: ${why}`)
  }
  return problems
}
