// What a rule's outcome depends on of the requester's identity, for audit's `unverified` verdict
// (docs/design/policies-and-grants.md §7). Audit knows a container's requester only from provenance
// (EPHEMERAL_GUARD_REQUESTED_BY, EPHEMERAL_GUARD_REQUESTED_GROUPS); where a part is missing, a rule
// that depends on it cannot be decided. Pure.
//
// Every way identity enters a decision is monotone in what is known: more groups can only match more
// of match.groups, excludeGroups, subjects.groups and exemptions.groups. So a requester judged with
// the known part of its identity (the empty username, the recorded groups) is:
// - exempt, or selected by a rule's match.users/groups, for every completion of that identity;
// - never decided where a violation could be lifted (subjects, match.excludeUsers/excludeGroups, its
//   policy's exemptions by user or group) or a rule could be selected by what is unknown.
import type { Ajv2020 } from 'ajv/dist/2020.js'
import type { Check, CheckInput, Mode } from '../decision/types.js'
import type { RuleDocument } from '../policy/types.js'
import type { CompiledRuleView } from '../policy/types.js'
import { compileGlobs } from '../glob.js'
import { compileRule } from '../policy/compile.js'
import { compileSelector } from '../kube/label-selector.js'
import { lazyPolicyAjv } from '../schemas.js'

/** Parts of the requester's identity: its username, its groups. */
export interface IdentityUse { readonly users: boolean; readonly groups: boolean }

/** A rule as audit needs to know it to tell a decided verdict from an unverified one. */
export interface AuditRule {
  /** The name violations carry: `rule` (one policy file), `policy/rule` or `namespace/policy/rule`. */
  readonly rule: string
  readonly mode: Mode
  /** A DebugPolicy's rule applies only in its own namespace. */
  readonly namespace?: string
  readonly match?: RuleDocument['match']
  /** What can lift a violation: subjects, match.excludeUsers/excludeGroups, the policy's exemptions. */
  readonly lifts: IdentityUse
  /** What can select the rule: match.users, match.groups. */
  readonly selects: IdentityUse
  /**
   * For a rule selected by identity whose checks do not look at identity (no subjects, no custom
   * schema, which sees the user): the rule as if selected, so a container it would pass anyway is
   * decided whoever the requester.
   */
  readonly whenSelected?: Check
}

/** A policy document's spec, as far as identity goes. */
export interface IdentitySpec {
  readonly mode?: Mode
  readonly exemptions?: { readonly users?: readonly string[]; readonly groups?: readonly string[] }
  readonly rules?: readonly RuleDocument[]
}

const some = (list: readonly unknown[] | undefined): boolean => list !== undefined && list.length > 0

/** True when the rule is selected by identity and, once selected, judges only the container and pod. */
const selectedAnyway = (r: RuleDocument): boolean =>
  (r.match?.users !== undefined || r.match?.groups !== undefined) && r.subjects === undefined && r.schema === undefined

/** A match without its identity parts: namespaces and pod selector only. */
function withoutIdentity(match: NonNullable<RuleDocument['match']>): NonNullable<RuleDocument['match']> {
  const { users: _u, groups: _g, excludeUsers: _eu, excludeGroups: _eg, ...rest } = match
  return rest
}

/** The rules of one policy; `prefix` is how its violations are named (`policy`, `namespace/policy`), none for a lone file. */
export function identityRules(spec: IdentitySpec, prefix?: string, namespace?: string): AuditRule[] {
  // Compiles Ajv only for a rule with a custom schema, which is never tried as if selected.
  const ajv = lazyPolicyAjv() as Ajv2020
  const exemptUsers = some(spec.exemptions?.users)
  const exemptGroups = some(spec.exemptions?.groups)
  return (spec.rules ?? []).map((r) => ({
    rule: prefix === undefined ? r.name : `${prefix}/${r.name}`,
    mode: r.mode ?? spec.mode ?? 'enforce',
    ...(selectedAnyway(r) ? { whenSelected: compileRule({ ...r, match: withoutIdentity(r.match!) }, r.mode ?? spec.mode ?? 'enforce', ajv).check } : {}),
    ...(namespace === undefined ? {} : { namespace }),
    ...(r.match === undefined ? {} : { match: r.match }),
    lifts: {
      users: exemptUsers || some(r.subjects?.users) || some(r.match?.excludeUsers),
      groups: exemptGroups || some(r.subjects?.groups) || some(r.match?.excludeGroups),
    },
    selects: { users: r.match?.users !== undefined, groups: r.match?.groups !== undefined },
  }))
}

/**
 * From compiled rule views alone (callers without the documents): subjects are taken to use both
 * parts, and the policy's exemptions are unknown, so they are taken to use none. Prefer identityRules.
 * A view names a rule bare; in a combined policy set its violations are `policy/rule`: a view stands
 * for every violation name `found` that ends in `/rule`.
 */
export function identityRulesOfViews(views: readonly CompiledRuleView[], found: readonly string[] = []): AuditRule[] {
  return views.flatMap((v) => {
    const subjects = v.checks.some((c) => c.name === 'subjects')
    const names = [...new Set(found.filter((n) => n === v.rule || n.endsWith(`/${v.rule}`)))]
    return (names.length === 0 ? [v.rule] : names).map((rule) => ({
      rule,
      mode: v.mode,
      ...(v.match === undefined ? {} : { match: v.match }),
      lifts: { users: subjects || some(v.match?.excludeUsers), groups: subjects || some(v.match?.excludeGroups) },
      selects: { users: v.match?.users !== undefined, groups: v.match?.groups !== undefined },
    }))
  })
}

/** What audit knows of a requester. */
export interface KnownIdentity {
  readonly username?: string
  /** The recorded groups (without a clipped last one); undefined: not recorded. */
  readonly groups?: readonly string[]
  /** True when EPHEMERAL_GUARD_REQUESTED_GROUPS was clipped: more groups exist than are known. */
  readonly clipped: boolean
}

/** Parts not known, true each. */
export const unknownParts = (id: KnownIdentity): IdentityUse => ({ users: id.username === undefined, groups: id.groups === undefined || id.clipped })

const depends = (use: IdentityUse, unknown: IdentityUse): IdentityUse => ({ users: use.users && unknown.users, groups: use.groups && unknown.groups })
const any = (u: IdentityUse): boolean => u.users || u.groups

/** True when the rule's non-identity match (namespace, pod labels) holds here, and its identity match with what is known. */
function selectedByKnown(r: AuditRule, namespace: string, labels: Readonly<Record<string, string>>, id: KnownIdentity): { here: boolean; byKnown: boolean } {
  const m = r.match ?? {}
  const here = (r.namespace === undefined || r.namespace === namespace) &&
    (m.namespaces === undefined || compileGlobs(m.namespaces)(namespace)) &&
    !(m.excludeNamespaces !== undefined && compileGlobs(m.excludeNamespaces)(namespace)) &&
    (m.podSelector === undefined || compileSelector(m.podSelector)(labels))
  const groups = id.groups ?? []
  const byKnown = (m.users === undefined || compileGlobs(m.users)(id.username ?? '')) && (m.groups === undefined || groups.some(compileGlobs(m.groups)))
  return { here, byKnown }
}

/** One rule audit cannot decide for this container, and why. */
export interface Undecided {
  readonly rule: AuditRule
  /** true: violated with what is known, but could be lifted; false: not violated, but could apply. */
  readonly violated: boolean
  readonly on: IdentityUse
}

/**
 * The rules whose outcome the unknown part of the identity could change: violated ones that the
 * unknown part could lift, and relevant ones not violated that the unknown part could select.
 */
export function undecidedRules(rules: readonly AuditRule[], violated: ReadonlySet<string>, id: KnownIdentity, input: CheckInput): Undecided[] {
  const namespace = input.requester.namespace
  const labels = input.pod.labels
  const unknown = unknownParts(id)
  if (!any(unknown)) return []
  const out: Undecided[] = []
  for (const r of rules) {
    if (violated.has(r.rule)) {
      const on = depends(r.lifts, unknown)
      if (any(on)) out.push({ rule: r, violated: true, on })
      continue
    }
    const on = depends(r.selects, unknown)
    if (!any(on)) continue
    const { here, byKnown } = selectedByKnown(r, namespace, labels, id)
    // Selected by someone it does not select now, but passed by the container anyway: decided.
    if (here && !byKnown && !(r.whenSelected !== undefined && r.whenSelected.run(input).length === 0)) out.push({ rule: r, violated: false, on })
  }
  return out
}

/** The note of an undecided rule: what it depends on and what the container does not say. */
export function undecidedNote(u: Undecided, id: KnownIdentity): string {
  const parts = [u.on.users ? 'username' : undefined, u.on.groups ? 'groups' : undefined].filter((x) => x !== undefined).join(' and ')
  const missing = id.username === undefined && id.groups === undefined
    ? 'this container carries no provenance'
    : [
      u.on.users ? 'no EPHEMERAL_GUARD_REQUESTED_BY' : undefined,
      u.on.groups ? (id.clipped ? 'EPHEMERAL_GUARD_REQUESTED_GROUPS is clipped' : 'no EPHEMERAL_GUARD_REQUESTED_GROUPS') : undefined,
    ].filter((x) => x !== undefined).join(', ')
  return u.violated
    ? `rule ${u.rule.rule} unverified: violated unless the requester's ${parts} lift it, and ${missing}`
    : `rule ${u.rule.rule} unverified: it applies to some requesters by ${parts}, and ${missing}`
}
