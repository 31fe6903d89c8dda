// subjects: rule spec, requester, violations (pod-level).
import t from 'tap'
import { subjectsCheck, type SubjectsSpec } from '../../../src/checks/policy/subjects.js'
import { podInput } from '../../support/policy-checks.js'

const rows: Array<[name: string, spec: SubjectsSpec, requester: { username: string; groups: string[] }, detail: string | undefined]> = [
  ['a listed group', { groups: ['sre'] }, { username: 'alice', groups: ['dev', 'sre'] }, undefined],
  ['a listed user, by glob', { users: ['*@example.com'] }, { username: 'carol@example.com', groups: [] }, undefined],
  ['anyone else', { users: ['root'], groups: ['sre'] }, { username: 'mallory', groups: ['dev'] }, 'user "mallory" may not add ephemeral containers here'],
  ['{}: nobody', {}, { username: 'root', groups: ['system:masters'] }, 'user "root" may not add ephemeral containers here'],
]

t.test('subjects', async (t) => {
  for (const [name, spec, requester, detail] of rows) {
    const want = detail === undefined ? [] : [{ origin: 'policy', rule: 'r', field: 'spec.ephemeralContainers', type: 'Forbidden', detail, containerIndex: -1 }]
    t.same(subjectsCheck(spec, 'r').run(podInput(requester)), want, name)
  }
  t.equal(subjectsCheck({ groups: ['sre'] }, 'r').description, "requester's username matches none or a group matches sre")
})
