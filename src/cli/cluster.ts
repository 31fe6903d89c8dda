// The cluster flags of `audit` and `doctor` (--kubeconfig, --context, --as, --as-group) into the
// options of the Kubernetes client, and a plain error when there is no kubeconfig to read at all.
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'
import { ClusterError, UsageError } from '../errors.js'
import type { KubeApiOptions } from '../cluster/api.js'
import { listOf, stringOf, type Values } from './command.js'

/**
 * kubectl's search: --kubeconfig, else $KUBECONFIG (a list of files), else ~/.kube/config, else the
 * pod's service account. With none of them the client would fall back to http://localhost:8080;
 * say so instead.
 */
export function requireKubeconfig(explicit: string | undefined, env: Readonly<Record<string, string | undefined>>): void {
  if (explicit !== undefined) {
    if (!existsSync(explicit)) throw new ClusterError(`--kubeconfig ${explicit}: no such file`)
    return
  }
  const listed = (env['KUBECONFIG'] ?? '').split(delimiter).filter((f) => f !== '')
  if (listed.length > 0) {
    if (!listed.some((f) => existsSync(f))) throw new ClusterError(`no kubeconfig: none of the files in KUBECONFIG (${listed.join(delimiter)}) exists`)
    return
  }
  const home = join(env['HOME'] ?? homedir(), '.kube', 'config')
  if (existsSync(home) || env['KUBERNETES_SERVICE_HOST'] !== undefined) return
  throw new ClusterError(`no kubeconfig: KUBECONFIG is not set, ${home} does not exist and this is not a pod; pass --kubeconfig FILE or set KUBECONFIG`)
}

export function kubeApiOptions(values: Values, env: Readonly<Record<string, string | undefined>>): KubeApiOptions {
  const kubeconfig = stringOf(values, 'kubeconfig')
  const context = stringOf(values, 'context')
  const user = stringOf(values, 'as')
  const groups = listOf(values, 'as-group')
  if (user === '') throw new UsageError('--as needs a user name')
  if (groups.length > 0 && user === undefined) throw new UsageError('--as-group needs --as (Kubernetes impersonates groups only together with a user)')
  requireKubeconfig(kubeconfig, env)
  return {
    ...(kubeconfig !== undefined ? { kubeconfig } : {}),
    ...(context !== undefined ? { context } : {}),
    ...(user !== undefined ? { impersonate: { user, groups } } : {}),
  }
}
