// maxEphemeralContainers: limit, pod, violations (pod-level).
import t from 'tap'
import { maxEphemeralContainersCheck } from '../../../src/checks/policy/max-ephemeral-containers.js'
import { podInput } from '../../support/policy-checks.js'

const rows: Array<[name: string, max: number, pod: { ephemeral: number; legacy?: boolean }, field: string | undefined, detail?: string]> = [
  ['within, existing ones counted', 2, { ephemeral: 2 }, undefined],
  ['over, existing ones counted', 1, { ephemeral: 2 }, 'spec.ephemeralContainers', 'at most 1 ephemeral containers per pod; this request makes 2'],
  ['the legacy object: its own list field', 2, { ephemeral: 3, legacy: true }, 'ephemeralContainers', 'at most 2 ephemeral containers per pod; this request makes 3'],
]

t.test('maxEphemeralContainers', async (t) => {
  for (const [name, max, pod, field, detail] of rows) {
    const want = field === undefined ? [] : [{ origin: 'policy', rule: 'r', field, type: 'Forbidden', detail, containerIndex: -1 }]
    t.same(maxEphemeralContainersCheck(max, 'r').run(podInput(pod)), want, name)
  }
  t.equal(maxEphemeralContainersCheck(5, 'r').description, 'at most 5 per pod, existing ones included')
})
