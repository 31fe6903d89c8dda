// env: what a new container may read into its environment, and what it must carry.
//
//   env: {forbidSecretRefs: BOOL, require: [{name: NAME, pattern: RE2}...]}
//
//   forbidSecretRefs: true  .env[i].valueFrom.secretKeyRef and .envFrom[i].secretRef (set, not null)
//                           are Forbidden: `secrets may not be read into debug containers`
//   require                 .env is Required: `must set NAME[ matching PATTERN]`, once per required
//                           name whose value the container does not get
// require judges what the container will see: the kubelet applies env entries in order, so the last
// entry of a name wins, and a later valueFrom replaces an earlier plain value. A required name passes
// only when its last entry sets a plain string `value` (matching the pattern, if any). A value holding
// a `$(VAR)` reference is expanded by the kubelet into something not judged here, so it never matches
// a pattern. Without an env list every required name is missing: one violation names them all.
// Malformed lists under forbidSecretRefs: `must be array,null` (env, envFrom), `must be object` (an
// entry), `must be object,null` (valueFrom), each Invalid. A rule lists forbidSecretRefs findings with
// its field checks, and require's after them (policy/compile.ts).
import { isJsonObject, type JsonValue } from '../../kube/types.js'
import type { Violation } from '../../decision/types.js'
import { safeRegExp } from '../../re2.js'
import { containerViolation, isArrayOrNull, isObjectOrNull, own, type ContainerAt, type ContainerCheck } from './types.js'

export interface EnvSpec {
  readonly forbidSecretRefs?: boolean
  readonly require?: ReadonlyArray<{ readonly name: string; readonly pattern?: string }>
}

const SECRET = 'secrets may not be read into debug containers'

/** undefined unless forbidSecretRefs is true. */
export function envSecretRefsCheck(spec: EnvSpec, rule: string): ContainerCheck | undefined {
  if (spec.forbidSecretRefs !== true) return undefined
  /** env or envFrom: each entry an object whose secret reference (`refAt`) is unset or null. */
  const list = (container: JsonValue, at: ContainerAt, field: 'env' | 'envFrom', refAt: (entry: { [key: string]: JsonValue }, i: number) => Violation[]): Violation[] => {
    const entries = own(container, field)
    if (entries === undefined || entries === null) return []
    if (!isArrayOrNull(entries)) return [containerViolation(rule, at, [field], 'Invalid', 'must be array,null', entries)]
    return (entries as JsonValue[]).flatMap((entry, i) => (isJsonObject(entry) ? refAt(entry, i) : [containerViolation(rule, at, [field, i], 'Invalid', 'must be object', entry)]))
  }
  return {
    name: 'env.forbidSecretRefs',
    description: 'no env valueFrom.secretKeyRef and no envFrom secretRef',
    run: (container, at) => [
      ...list(container, at, 'env', (entry, i) => {
        const from = own(entry, 'valueFrom')
        if (from === undefined) return []
        if (!isObjectOrNull(from)) return [containerViolation(rule, at, ['env', i, 'valueFrom'], 'Invalid', 'must be object,null', from)]
        const ref = own(from, 'secretKeyRef')
        return ref === undefined || ref === null ? [] : [containerViolation(rule, at, ['env', i, 'valueFrom', 'secretKeyRef'], 'Forbidden', SECRET, ref)]
      }),
      ...list(container, at, 'envFrom', (entry, i) => {
        const ref = own(entry, 'secretRef')
        return ref === undefined || ref === null ? [] : [containerViolation(rule, at, ['envFrom', i, 'secretRef'], 'Forbidden', SECRET, ref)]
      }),
    ],
  }
}

/** undefined unless require lists a name. */
export function envRequireCheck(spec: EnvSpec, rule: string): ContainerCheck | undefined {
  const wanted = spec.require ?? []
  if (wanted.length === 0) return undefined
  const compiled = wanted.map((q) => ({ name: q.name, want: `${q.name}${q.pattern ? ` matching ${q.pattern}` : ''}`, re: q.pattern === undefined ? undefined : safeRegExp(q.pattern, 'u') }))
  const all = compiled.map((c) => c.want).join(', ')
  return {
    name: 'env.require',
    description: `the last env entry named ${all} sets a plain value (the kubelet uses the last entry of a name)`,
    run: (container, at) => {
      const env = own(container, 'env')
      if (!Array.isArray(env)) return [containerViolation(rule, at, ['env'], 'Required', `must set ${all}`)]
      const last = new Map<string, JsonValue>()
      for (const entry of env) if (isJsonObject(entry) && typeof entry['name'] === 'string') last.set(entry['name'], entry)
      const out: Violation[] = []
      for (const c of compiled) {
        const entry = last.get(c.name)
        const v = isJsonObject(entry) && (entry['valueFrom'] === undefined || entry['valueFrom'] === null) ? entry['value'] : undefined
        const ok = typeof v === 'string' && (c.re === undefined || (!v.includes('$(') && c.re.test(v)))
        if (!ok) out.push(containerViolation(rule, at, ['env'], 'Required', `must set ${c.want}`))
      }
      return out
    },
  }
}
