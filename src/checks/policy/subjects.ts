// subjects: who may add ephemeral containers where the rule applies.
//
//   subjects: {users: [GLOB...], groups: [GLOB...]}
//
// The requester's username must match one of users, or one of its groups one of groups (globs: `*`
// is any run of characters); anyone else is Forbidden at the ephemeral container list, once per
// request: `user "<username>" may not add ephemeral containers here`.
import { compileGlobs } from '../../glob.js'
import { listOrNone, podViolation, type PodCheck } from './types.js'

export interface SubjectsSpec {
  readonly users?: readonly string[]
  readonly groups?: readonly string[]
}

export function subjectsCheck(spec: SubjectsSpec, rule: string): PodCheck {
  const users = compileGlobs(spec.users ?? [])
  const groups = compileGlobs(spec.groups ?? [])
  return {
    name: 'subjects',
    description: `requester's username matches ${listOrNone(spec.users ?? [])} or a group matches ${listOrNone(spec.groups ?? [])}`,
    run: (input) => (users(input.requester.username) || input.requester.groups.some(groups) ? []
      : [podViolation(rule, input, `user ${JSON.stringify(input.requester.username)} may not add ephemeral containers here`)]),
  }
}
