// charts/ephemeral-guard as written (no helm needed): its default policy is policies/default.yaml
// byte for byte, and its version follows the package's. The e2e suite (test/e2e/helm.test.ts) lints
// and renders the chart with helm and compares it with `kubectl kustomize` object by object.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { REPO_ROOT } from './load.js'

const CHART = join(REPO_ROOT, 'charts/ephemeral-guard')
const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as { policy: { source: string; text: string; existingConfigMap: string } }
const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { version: string; appVersion: string; name: string }
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }

t.test('the chart\'s default policy is policies/default.yaml, byte for byte', async (t) => {
  t.equal(values.policy.text, readFileSync(join(REPO_ROOT, 'policies/default.yaml'), 'utf8'),
    'values.yaml policy.text = policies/default.yaml: copy the file again (indented by 4) after changing the default policy')
  t.equal(values.policy.existingConfigMap, '', 'with policy.source configMap, the chart renders its own ConfigMap by default')
  t.equal(values.policy.source, 'cluster', 'by default the cluster\'s policy objects are served, as manifests/base does')
})

t.test('the chart\'s version and appVersion (the default image tag) are the package\'s', async (t) => {
  t.equal(chart.name, 'ephemeral-guard')
  t.equal(chart.version, pkg.version)
  t.equal(chart.appVersion, pkg.version)
})

