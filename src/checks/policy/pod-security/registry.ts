// The Pod Security checks that apply to a container, in a literal list, and the checks a level runs
// at a policy version, as PSA's registry builds them (policy/registry.go): for each check, its newest
// version not after the policy version (none: the check does not apply yet; a version after the newest
// is the newest, like latest); baseline runs the baseline checks, restricted runs the restricted ones
// and every baseline check that none of them overrides at that version; baseline ids sorted, then
// restricted ids sorted (Go's byte order), which is the order of the findings.
import { allowPrivilegeEscalation } from './allow-privilege-escalation.js'
import { appArmorProfile } from './app-armor-profile.js'
import { capabilitiesBaseline } from './capabilities-baseline.js'
import { capabilitiesRestricted } from './capabilities-restricted.js'
import { privileged } from './privileged.js'
import { procMount, procMountRestricted } from './proc-mount.js'
import { runAsNonRoot } from './run-as-non-root.js'
import { runAsUser } from './run-as-user.js'
import { seccompProfileBaseline, seccompProfileRestricted } from './seccomp-profile.js'
import { seLinuxOptionsCheck } from './se-linux-options.js'
import { windowsHostProcess } from './windows-host-process.js'
import type { PsaCheck, PsaLevel, PsaSubject, PsaFinding, PsaVersion } from './types.js'

export const PSA_CHECKS: readonly PsaCheck[] = [
  privileged, capabilitiesBaseline, windowsHostProcess, seLinuxOptionsCheck, procMount, seccompProfileBaseline, appArmorProfile,
  allowPrivilegeEscalation, capabilitiesRestricted, procMountRestricted, runAsNonRoot, runAsUser, seccompProfileRestricted,
]

/** Throws on a registry PSA's validateChecks would refuse: a duplicate id, versions not strictly increasing, an override of no baseline check. */
export function assertPsaRegistry(checks: readonly PsaCheck[]): void {
  const levels = new Map<string, PsaLevel>()
  for (const c of checks) {
    if (levels.has(c.id)) throw new Error(`Pod Security check ${c.id} registered twice`)
    levels.set(c.id, c.level)
    if (c.versions.length === 0) throw new Error(`Pod Security check ${c.id} has no version`)
    c.versions.forEach((v, i) => {
      if (i > 0 && v.since <= c.versions[i - 1]!.since) throw new Error(`Pod Security check ${c.id}: versions must be strictly increasing`)
    })
  }
  for (const c of checks) {
    for (const v of c.versions) {
      for (const o of v.overrides ?? []) {
        if (c.level !== 'restricted' || levels.get(o) !== 'baseline') throw new Error(`Pod Security check ${c.id}: only a restricted check may override, and only a baseline check (${o})`)
      }
    }
  }
}
assertPsaRegistry(PSA_CHECKS)

/** Every check id, for a rule's exceptions.checks. */
export const PSA_CHECK_IDS: readonly string[] = PSA_CHECKS.map((c) => c.id)

export interface PsaRun {
  readonly id: string
  readonly run: (s: PsaSubject) => PsaFinding[]
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** The checks `level` runs at `version`, in PSA's order. */
export function checksAt(level: PsaLevel, version: PsaVersion, checks: readonly PsaCheck[] = PSA_CHECKS): PsaRun[] {
  const at = (c: PsaCheck) => (version === 'latest' ? c.versions[c.versions.length - 1] : c.versions.filter((v) => v.since <= version).pop())
  const active = checks.flatMap((c) => {
    const v = at(c)
    return v === undefined ? [] : [{ check: c, version: v }]
  })
  const restricted = level === 'restricted' ? active.filter((a) => a.check.level === 'restricted') : []
  const overridden = new Set(restricted.flatMap((a) => a.version.overrides ?? []))
  const baseline = active.filter((a) => a.check.level === 'baseline' && !overridden.has(a.check.id))
  const sorted = (xs: typeof active) => [...xs].sort((a, b) => byteOrder(a.check.id, b.check.id)).map((a) => ({ id: a.check.id, run: a.version.run }))
  return [...sorted(baseline), ...sorted(restricted)]
}
