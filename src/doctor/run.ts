// `doctor` against a cluster: read the admission configuration and ephemeral-guard's own objects,
// then judge them with the pure functions of rules.ts and install.ts.
import { forEachPage, type KubeApi } from '../cluster/api.js'
import { ClusterError } from '../errors.js'
import type { JsonObject } from '../kube/types.js'
import type { DoctorFinding } from './findings.js'
import { installationFindings, policyObjectFindings, type InstallNames } from './install.js'
import { clusterPolicies, policyConfigMapNames, policyCrdsServed } from '../policy/in-force.js'
import { readManifest } from './manifest.js'
import { blindPolicies, blindWebhooks } from './rules.js'

const AR = '/apis/admissionregistration.k8s.io/v1'

async function listAll(api: Pick<KubeApi, 'get'>, path: string): Promise<JsonObject[]> {
  const out: JsonObject[] = []
  await forEachPage(api, path, 500, (items) => out.push(...items))
  return out
}

export interface DoctorOptions {
  /** configMap and policyKey undefined: taken from the Deployment's --policy mount, else the defaults. */
  readonly names: Omit<InstallNames, 'configMap' | 'policyKey'> & { readonly configMap?: string; readonly policyKey?: string }
  /** The Deployment that runs the webhook, read to find its policy ConfigMap. */
  readonly deployment: string
  readonly manifestFile: string
  readonly now: () => Date
  readonly expiryWarningMs: number
}

/** Reads a namespaced object; undefined when absent, a reason string when forbidden. */
async function readObject(api: KubeApi, path: string): Promise<JsonObject | string | undefined> {
  try {
    return await api.getOptional(path)
  } catch (e) {
    if (e instanceof ClusterError && e.status === 403) return 'forbidden'
    throw e
  }
}

/** Names given on the command line win; otherwise the Deployment says which ConfigMap it mounts. */
async function resolvePolicyConfigMap(api: KubeApi, options: DoctorOptions): Promise<InstallNames> {
  const { names } = options
  const { name, key } = await policyConfigMapNames(api, { namespace: names.namespace, deployment: options.deployment, ...(names.configMap !== undefined ? { configMap: names.configMap } : {}), ...(names.policyKey !== undefined ? { policyKey: names.policyKey } : {}) })
  return { ...names, configMap: name, policyKey: key }
}

/** What doctor read, counted; the policy counts are null when the server has no ValidatingAdmissionPolicy API. */
export interface DoctorChecked {
  readonly validatingWebhookConfigurations: number
  readonly mutatingWebhookConfigurations: number
  readonly validatingAdmissionPolicies: number | null
  readonly validatingAdmissionPolicyBindings: number | null
}

/** The counts as the last line of the text output says them. */
export const checkedText = (c: DoctorChecked): string =>
  `${c.validatingWebhookConfigurations} validating and ${c.mutatingWebhookConfigurations} mutating webhook configurations, ` +
  (c.validatingAdmissionPolicies !== null && c.validatingAdmissionPolicyBindings !== null
    ? `${c.validatingAdmissionPolicies} validating admission policies and ${c.validatingAdmissionPolicyBindings} bindings`
    : 'no ValidatingAdmissionPolicy API (admissionregistration.k8s.io/v1) on this server')

export async function runDoctor(api: KubeApi, options: DoctorOptions): Promise<{ findings: DoctorFinding[]; checked: DoctorChecked }> {
  const ns = `/api/v1/namespaces/${encodeURIComponent(options.names.namespace)}`
  const names = await resolvePolicyConfigMap(api, options)
  const manifest = readManifest(options.manifestFile)
  const [validating, mutating] = await Promise.all([
    listAll(api, `${AR}/validatingwebhookconfigurations`),
    listAll(api, `${AR}/mutatingwebhookconfigurations`),
  ])
  // ValidatingAdmissionPolicy is GA in admissionregistration.k8s.io/v1 since Kubernetes 1.30.
  const vapServed = (await api.getOptional(`${AR}/validatingadmissionpolicies?limit=1`)) !== undefined
  const [policies, bindings] = vapServed
    ? await Promise.all([listAll(api, `${AR}/validatingadmissionpolicies`), listAll(api, `${AR}/validatingadmissionpolicybindings`)])
    : [[], []]
  const [service, secret, configMap, slices] = await Promise.all([
    readObject(api, `${ns}/services/${encodeURIComponent(names.service)}`),
    readObject(api, `${ns}/secrets/${encodeURIComponent(names.secret)}`),
    readObject(api, `${ns}/configmaps/${encodeURIComponent(names.configMap)}`),
    listAll(api, `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(names.namespace)}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${names.service}`)}`),
  ])
  const policyCrds = await policyCrdsServed(api)
  const findings = [
    ...blindWebhooks('ValidatingWebhookConfiguration', validating),
    ...blindWebhooks('MutatingWebhookConfiguration', mutating),
    ...blindPolicies(policies, bindings),
    ...installationFindings({
      names, manifest, manifestFile: options.manifestFile, validating, mutating,
      ...(typeof service === 'object' ? { service } : {}),
      endpointSlices: slices,
      ...(secret !== undefined ? { secret } : {}),
      ...(typeof configMap === 'object' ? { configMap } : {}),
      policyCrds,
      now: options.now(),
      expiryWarningMs: options.expiryWarningMs,
    }),
    ...(policyCrds ? policyObjectFindings(await clusterPolicies(api)) : []),
  ]
  const checked: DoctorChecked = {
    validatingWebhookConfigurations: validating.length,
    mutatingWebhookConfigurations: mutating.length,
    validatingAdmissionPolicies: vapServed ? policies.length : null,
    validatingAdmissionPolicyBindings: vapServed ? bindings.length : null,
  }
  return { findings, checked }
}
