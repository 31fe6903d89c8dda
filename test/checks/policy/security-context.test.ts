// securityContext: rule spec, container, violations.
import t from 'tap'
import { securityContextCheck, type SecurityContextSpec } from '../../../src/checks/policy/security-context.js'
import { judge, type Row } from '../../support/policy-checks.js'

const MUST_BOTH = 'must set runAsNonRoot: true and capabilities.drop: [ALL]'
const sc = (securityContext: unknown) => ({ securityContext })
const rows: Array<[name: string, spec: SecurityContextSpec, container: unknown, violations: Row[]]> = [
  // allowPrivileged, allowPrivilegeEscalation
  ['allowPrivileged: false refuses privileged', { allowPrivileged: false }, sc({ privileged: true }), [['.securityContext.privileged', 'Forbidden', 'privileged debug containers are not allowed', true]]],
  ['allowPrivileged: false passes privileged: false', { allowPrivileged: false }, sc({ privileged: false }), []],
  ['allowPrivileged: true allows', { allowPrivileged: true }, sc({ privileged: true }), []],
  ['allowPrivilegeEscalation: false refuses true', { allowPrivilegeEscalation: false }, sc({ allowPrivilegeEscalation: true }), [['.securityContext.allowPrivilegeEscalation', 'Forbidden', 'privilege escalation is not allowed in debug containers', true]]],
  ['allowPrivilegeEscalation: false passes unset', { allowPrivilegeEscalation: false }, sc({}), []],
  // requireNoPrivilegeEscalation: must be set, to false (restricted's semantics)
  ['requireNoPrivilegeEscalation: false passes', { requireNoPrivilegeEscalation: true }, sc({ allowPrivilegeEscalation: false }), []],
  ['requireNoPrivilegeEscalation: unset', { requireNoPrivilegeEscalation: true }, sc({}), [['.securityContext.allowPrivilegeEscalation', 'Required', 'must be false']]],
  ['requireNoPrivilegeEscalation: null is unset', { requireNoPrivilegeEscalation: true }, sc({ allowPrivilegeEscalation: null }), [['.securityContext.allowPrivilegeEscalation', 'Required', 'must be false']]],
  ['requireNoPrivilegeEscalation: true', { requireNoPrivilegeEscalation: true }, sc({ allowPrivilegeEscalation: true }), [['.securityContext.allowPrivilegeEscalation', 'Invalid', 'must be false', true]]],
  ['requireNoPrivilegeEscalation with allowPrivilegeEscalation: false: true said once', { requireNoPrivilegeEscalation: true, allowPrivilegeEscalation: false }, sc({ allowPrivilegeEscalation: true }),
    [['.securityContext.allowPrivilegeEscalation', 'Invalid', 'must be false', true]]],
  ['requireNoPrivilegeEscalation: a string', { requireNoPrivilegeEscalation: true }, sc({ allowPrivilegeEscalation: 'false' }), [['.securityContext.allowPrivilegeEscalation', 'Invalid', 'must be false', 'false']]],
  ['requireNoPrivilegeEscalation: no securityContext', { requireNoPrivilegeEscalation: true }, {}, [['.securityContext', 'Required', 'must set allowPrivilegeEscalation: false']]],
  ['requireNoPrivilegeEscalation: false does nothing', { requireNoPrivilegeEscalation: false }, sc({}), []],
  ['every requirement: no securityContext', { requireNoPrivilegeEscalation: true, requireRunAsNonRoot: true, requireDropAll: true }, {},
    [['.securityContext', 'Required', 'must set allowPrivilegeEscalation: false, runAsNonRoot: true and capabilities.drop: [ALL]']]],
  // allowedCapabilities
  ['allowedCapabilities: listed', { allowedCapabilities: ['NET_ADMIN', 'NET_RAW'] }, sc({ capabilities: { add: ['NET_ADMIN'] } }), []],
  ['allowedCapabilities: not listed', { allowedCapabilities: ['NET_ADMIN', 'NET_RAW'] }, sc({ capabilities: { add: ['NET_ADMIN', 'SYS_ADMIN'] } }),
    [['.securityContext.capabilities.add[1]', 'Forbidden', 'capability "SYS_ADMIN" is not allowed; allowed: NET_ADMIN, NET_RAW', 'SYS_ADMIN']]],
  ['allowedCapabilities: [] allows none', { allowedCapabilities: [] }, sc({ capabilities: { add: ['SYS_PTRACE', 3] } }), [
    ['.securityContext.capabilities.add[0]', 'Forbidden', 'capability "SYS_PTRACE" is not allowed; allowed: none', 'SYS_PTRACE'],
    ['.securityContext.capabilities.add[1]', 'Forbidden', 'capability 3 is not allowed; allowed: none', 3],
  ]],
  ['allowedCapabilities: add null or capabilities null', { allowedCapabilities: [] }, sc({ capabilities: { add: null } }), []],
  ['allowedCapabilities: capabilities null', { allowedCapabilities: [] }, sc({ capabilities: null }), []],
  ['allowedCapabilities: add no list', { allowedCapabilities: [] }, sc({ capabilities: { add: 'SYS_PTRACE' } }), [['.securityContext.capabilities.add', 'Invalid', 'must be array,null', 'SYS_PTRACE']]],
  ['allowedCapabilities: capabilities no object', { allowedCapabilities: [] }, sc({ capabilities: 'x' }), [['.securityContext.capabilities', 'Required', 'must drop "ALL"', 'x']]],
  // requireRunAsNonRoot
  ['requireRunAsNonRoot: true passes', { requireRunAsNonRoot: true }, sc({ runAsNonRoot: true }), []],
  ['requireRunAsNonRoot: no securityContext', { requireRunAsNonRoot: true }, {}, [['.securityContext', 'Required', 'must set runAsNonRoot: true']]],
  ['requireRunAsNonRoot: securityContext null', { requireRunAsNonRoot: true }, sc(null), [['.securityContext', 'Required', 'must set runAsNonRoot: true', null]]],
  ['requireRunAsNonRoot: unset', { requireRunAsNonRoot: true }, sc({}), [['.securityContext.runAsNonRoot', 'Required', 'must be true']]],
  ['requireRunAsNonRoot: false', { requireRunAsNonRoot: true }, sc({ runAsNonRoot: false }), [['.securityContext.runAsNonRoot', 'Invalid', 'must be true', false]]],
  // requireDropAll
  ['requireDropAll: drops ALL', { requireDropAll: true }, sc({ capabilities: { drop: ['NET_RAW', 'ALL'] } }), []],
  ['requireDropAll: no capabilities', { requireDropAll: true }, sc({}), [['.securityContext.capabilities', 'Required', 'must drop "ALL"']]],
  ['requireDropAll: capabilities null', { requireDropAll: true }, sc({ capabilities: null }), [['.securityContext.capabilities', 'Required', 'must drop "ALL"', null]]],
  ['requireDropAll: no drop', { requireDropAll: true }, sc({ capabilities: {} }), [['.securityContext.capabilities.drop', 'Required', 'must include "ALL"']]],
  ['requireDropAll: drop without ALL', { requireDropAll: true }, sc({ capabilities: { drop: ['NET_RAW'] } }), [['.securityContext.capabilities.drop', 'Invalid', 'must include "ALL"', ['NET_RAW']]]],
  ['requireDropAll: drop no list', { requireDropAll: true }, sc({ capabilities: { drop: 'ALL' } }), [['.securityContext.capabilities.drop', 'Invalid', 'must include "ALL"', 'ALL']]],
  ['requireDropAll: no securityContext', { requireDropAll: true }, {}, [['.securityContext', 'Required', 'must set capabilities.drop: [ALL]']]],
  // together: missing fields first, then privileged, allowPrivilegeEscalation, runAsNonRoot, capabilities (add, drop)
  ['everything, in order', { allowPrivileged: false, allowPrivilegeEscalation: false, allowedCapabilities: ['SYS_PTRACE'], requireRunAsNonRoot: true, requireDropAll: true },
    sc({ privileged: true, allowPrivilegeEscalation: true, capabilities: { add: ['NET_ADMIN'] } }), [
      ['.securityContext.runAsNonRoot', 'Required', 'must be true'],
      ['.securityContext.privileged', 'Forbidden', 'privileged debug containers are not allowed', true],
      ['.securityContext.allowPrivilegeEscalation', 'Forbidden', 'privilege escalation is not allowed in debug containers', true],
      ['.securityContext.capabilities.drop', 'Required', 'must include "ALL"'],
      ['.securityContext.capabilities.add[0]', 'Forbidden', 'capability "NET_ADMIN" is not allowed; allowed: SYS_PTRACE', 'NET_ADMIN'],
    ]],
  ['both required, nothing set', { requireRunAsNonRoot: true, requireDropAll: true }, {}, [['.securityContext', 'Required', MUST_BOTH]]],
  ['nothing required: securityContext null passes', { allowPrivileged: false }, sc(null), []],
  ['nothing required: securityContext no object', {}, sc('x'), [['.securityContext', 'Required', 'must set ', 'x']]],
  ['not an object: nothing to judge here', { requireRunAsNonRoot: true }, 'x', []],
]

t.test('securityContext', async (t) => {
  for (const [name, spec, container, want] of rows) t.same(judge(securityContextCheck(spec, 'r'), container as never), want, name)
})

t.test('descriptions say what is required', async (t) => {
  t.equal(securityContextCheck({}, 'r').description, 'securityContext, if set, is an object')
  t.equal(securityContextCheck({ allowPrivileged: false, allowPrivilegeEscalation: false, allowedCapabilities: [], requireRunAsNonRoot: true, requireDropAll: true }, 'r').description,
    'not privileged; no privilege escalation; capabilities added only from: none; runAsNonRoot: true; capabilities.drop includes ALL')
  t.equal(securityContextCheck({ allowPrivilegeEscalation: false, requireNoPrivilegeEscalation: true }, 'r').description, 'allowPrivilegeEscalation: false, set explicitly')
})
