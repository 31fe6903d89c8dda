// A kubeconfig naming an API server that is not there: https://127.0.0.1:1 on loopback, where nothing
// listens, so a list fails at once with ECONNREFUSED (informers' failure paths, never off this machine).
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const UNREACHABLE_SERVER = 'https://127.0.0.1:1'

/** Writes the kubeconfig to a fresh temporary directory; returns its path. */
export function unreachableKubeconfig(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'eg-kubeconfig-')), 'kubeconfig')
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'k', cluster: { server: UNREACHABLE_SERVER, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
  }))
  return file
}
