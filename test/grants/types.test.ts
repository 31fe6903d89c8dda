// Reading grants and approvals: the schema first, then what it cannot say.
import t from 'tap'
import { readGrant, readGrantObject } from '../../src/grants/types.js'
import type { JsonValue } from '../../src/kube/types.js'
import { approval, grant } from './fixtures.js'

const asJson = (v: unknown): JsonValue => JSON.parse(JSON.stringify(v)) as JsonValue

t.test('valid objects read as they are', async (t) => {
  t.same(readGrantObject(asJson(grant())), { ok: true, value: grant() })
  t.same(readGrantObject(asJson(approval('bob', 1))), { ok: true, value: approval('bob', 1) })
  t.same(readGrant(asJson(grant({ pods: { selector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } } }))).ok, true)
  t.same(readGrant(asJson(grant({ subjects: { groups: ['oncall'] }, profile: { images: ['docker.io/library/busybox'], capabilities: [], privileged: false } }))).ok, true)
})

t.test('refusals, each with the path', async (t) => {
  const cases: Array<{ name: string; obj: unknown; error: string | RegExp }> = [
    { name: 'not an object', obj: 'x', error: '(object): must be object' },
    { name: 'unknown spec field', obj: { ...grant(), spec: { ...grant().spec, extra: 1 } }, error: 'spec: must NOT have additional properties' },
    { name: 'missing reason', obj: { ...grant(), spec: { ...grant().spec, reason: undefined } }, error: "spec: must have required property 'reason'" },
    { name: 'both names and selector', obj: grant({ pods: { names: ['a'], selector: {} } }), error: 'spec.pods: exactly one of names and selector must be set' },
    { name: 'neither names nor selector', obj: grant({ pods: {} }), error: 'spec.pods: exactly one of names and selector must be set' },
    { name: 'no names', obj: grant({ pods: { names: [] } }), error: 'spec.pods.names: must name at least one pod' },
    { name: 'no subjects', obj: grant({ subjects: { users: [], groups: [] } }), error: 'spec.subjects: must name at least one user or group' },
    { name: 'a zero duration', obj: grant({ duration: '0s' }), error: 'spec.duration: must be more than 0' },
    { name: 'a duration out of range', obj: grant({ duration: '99999999999999999999h' }), error: /^spec\.duration: invalid duration .*too large/ },
    { name: 'a duration that is not Go syntax', obj: grant({ duration: '30 minutes' }), error: /^spec\.duration: must match pattern/ },
    { name: 'In without values', obj: grant({ pods: { selector: { matchExpressions: [{ key: 'a', operator: 'In' }] } } }), error: 'spec.pods.selector.matchExpressions[0].values: must be non-empty when operator is In' },
    { name: 'Exists with values', obj: grant({ pods: { selector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } } }), error: 'spec.pods.selector.matchExpressions[0].values: may not be specified when operator is Exists' },
    { name: 'an image pattern that does not parse', obj: grant({ profile: { images: ['Bad Image'] } }), error: /^spec\.profile\.images\[0\]: / },
    { name: 'an approval without generation', obj: { ...approval('bob', 1), spec: { grant: 'g', grantUID: 'u' } }, error: "spec: must have required property 'generation'" },
    { name: 'an approval without the grant\'s uid', obj: { ...approval('bob', 1), spec: { grant: 'g', generation: 1 } }, error: "spec: must have required property 'grantUID'" },
    { name: 'several problems, all listed', obj: grant({ pods: {}, duration: '0s' }), error: 'spec.pods: exactly one of names and selector must be set; spec.duration: must be more than 0' },
  ]
  for (const c of cases) {
    const r = readGrantObject(asJson(c.obj))
    t.equal(r.ok, false, c.name)
    if (!r.ok) t.match(r.error, c.error, c.name)
  }
  t.same(readGrant(asJson(approval('bob', 1))), { ok: false, error: 'kind: expected DebugGrant, got DebugGrantApproval' })
})
