// The controller's metrics: names, labels present at zero, the leader gauge, process metrics.
import t from 'tap'
import { ControllerMetrics } from '../../src/controller/metrics.js'

t.test('every series is exported from the start; leader state and scans recorded', async (t) => {
  const m = new ControllerMetrics({ processMetrics: false })
  let text = (await m.text()).body
  t.match(text, /ephemeral_guard_controller_leader 0/)
  t.match(text, /ephemeral_guard_controller_report_writes_total\{action="created"\} 0/)
  t.match(text, /ephemeral_guard_controller_scans_total\{scope="all",result="failure"\} 0/)
  t.notMatch(text, /process_resident_memory_bytes/)
  m.leading(true)
  m.scan('all', true, 0.5, 1000)
  m.reportWrite('created')
  text = (await m.text()).body
  t.match(text, /ephemeral_guard_controller_leader 1/)
  t.match(text, /ephemeral_guard_controller_leader_transitions_total 1/)
  t.match(text, /ephemeral_guard_controller_scan_duration_seconds_bucket\{le="0.5",scope="all"\} 1/)
  t.match(text, /ephemeral_guard_controller_scanned_pods_total 1000/)
  m.leading(false)
  t.match((await m.text()).body, /ephemeral_guard_controller_leader 0/)
  t.match((await new ControllerMetrics().text()).body, /process_resident_memory_bytes/, 'process metrics by default')
})
