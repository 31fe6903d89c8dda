// podSecurity: the new container must pass a Pod Security level, with Kubernetes' own checks
// (./pod-security/, one file per check of k8s.io/pod-security-admission/policy), at a policy version.
//
//   podSecurity: {level: baseline|restricted, version: latest|v1.N, exceptions: {capabilities: [CAP...], checks: [ID...]}}
//
// The container is judged as it will run: its securityContext, and the pod's securityContext for the
// fields it inherits when it leaves them unset. exceptions.capabilities may be added besides the
// level's own (capabilities_baseline, capabilities_restricted); exceptions.checks are not run.
// Each finding names the field, PSA's check and the level, e.g.
//   .securityContext.privileged: Forbidden `must not be true (Pod Security baseline:latest, check privileged)`
//   .securityContext.seccompProfile.type: Forbidden
//     `must be "RuntimeDefault" or "Localhost", not "Unconfined" (Pod Security baseline:latest, check seccompProfile_baseline)`
//   .securityContext.runAsNonRoot: Required
//     `must be true, here or in the pod's securityContext (Pod Security restricted:latest, check runAsNonRoot)`
// A value inherited from the pod adds `; inherited from spec.securityContext.<field>`. Required
// findings are listed with the rule's other missing fields, first; the rest in PSA's check order.
// The legacy EphemeralContainers object carries no pod spec: only the container's own fields count.
import { isJsonObject, type JsonObject, type JsonValue } from '../../kube/types.js'
import type { CheckInput, Violation } from '../../decision/types.js'
import { checksAt } from './pod-security/registry.js'
import type { PsaLevel, PsaSubject, PsaVersion } from './pod-security/types.js'
import { containerViolation, type ContainerAt, type ContainerCheck } from './types.js'

export interface PodSecuritySpec {
  readonly level: PsaLevel
  /** `latest` (the default) or `v1.N`, as the pod-security.kubernetes.io/*-version labels. */
  readonly version?: string
  readonly exceptions?: { readonly capabilities?: readonly string[]; readonly checks?: readonly string[] }
}

/** `v1.N` → N, `latest` or absent → latest (the schema admits nothing else). */
export const parsePsaVersion = (v: string | undefined): PsaVersion => (v === undefined || v === 'latest' ? 'latest' : Number(v.slice('v1.'.length)))

const objectOr = (v: JsonValue | undefined): JsonObject => (isJsonObject(v) ? v : {})

const NO_CAPABILITIES: ReadonlySet<string> = new Set()

/** The container and what it inherits from its pod (nothing for the legacy object). */
export function psaSubject(container: JsonValue, input: CheckInput, extraCapabilities: ReadonlySet<string> = NO_CAPABILITIES): PsaSubject {
  const spec = input.pod.spec
  return {
    sc: objectOr(isJsonObject(container) ? container['securityContext'] : undefined),
    podSc: spec === undefined ? undefined : objectOr(spec['securityContext']),
    userNamespace: spec?.['hostUsers'] === false,
    windows: isJsonObject(spec?.['os']) && spec['os']['name'] === 'windows',
    extraCapabilities,
  }
}

export function podSecurityCheck(spec: PodSecuritySpec, rule: string): ContainerCheck {
  const version = parsePsaVersion(spec.version)
  const label = `${spec.level}:${spec.version ?? 'latest'}`
  const skipped = new Set(spec.exceptions?.checks ?? [])
  const extra = new Set(spec.exceptions?.capabilities ?? [])
  const checks = checksAt(spec.level, version).filter((c) => !skipped.has(c.id))
  const findings = (container: JsonValue, at: ContainerAt, input: CheckInput): Violation[] => {
    if (!isJsonObject(container)) return []
    const subject = psaSubject(container, input, extra)
    return checks.flatMap((c) => c.run(subject).map((f) =>
      containerViolation(rule, at, f.path, f.type, `${f.detail} (Pod Security ${label}, check ${c.id})`, f.value)))
  }
  const exceptions = [
    extra.size > 0 ? `capabilities ${[...extra].join(', ')}` : '',
    skipped.size > 0 ? `checks ${[...skipped].join(', ')}` : '',
  ].filter(Boolean)
  // A rule asks for a container's missing fields, then, for the same container, for the rest: the
  // findings of the first call serve the second (once; every other call judges afresh).
  let kept: { container: JsonValue; at: ContainerAt; input: CheckInput; found: Violation[] } | undefined
  return {
    name: 'podSecurity',
    description: `passes Pod Security ${label} (${checks.map((c) => c.id).join(', ') || 'no check'})${exceptions.length > 0 ? `; exceptions: ${exceptions.join('; ')}` : ''}`,
    missing: (container, at, input) => {
      const found = findings(container, at, input)
      kept = { container, at, input, found }
      return found.filter((v) => v.type === 'Required')
    },
    run: (container, at, input) => {
      const same = kept !== undefined && kept.container === container && kept.at === at && kept.input === input
      const found = same ? kept!.found : findings(container, at, input)
      kept = undefined
      return found.filter((v) => v.type !== 'Required')
    },
  }
}
