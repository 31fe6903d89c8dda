// Folders laid out as the kubelet mounts a Secret or ConfigMap volume, for tests of reloading.
import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A folder laid out as the kubelet mounts a Secret or ConfigMap: tls.crt -> ..data/tls.crt, ..data -> ..vN; publish()
 * writes a new version and swaps ..data atomically, as the kubelet does. Extra files (ca.crt) too.
 */
export function secretVolume(files: Record<string, string>): { dir: string; path: (name: string) => string; publish: (files: Record<string, string>) => void } {
  const dir = mkdtempSync(join(tmpdir(), 'eg-secret-'))
  let version = 0
  const publish = (next: Record<string, string>): void => {
    const name = `..v${++version}`
    mkdirSync(join(dir, name))
    for (const [file, text] of Object.entries(next)) writeFileSync(join(dir, name, file), text)
    symlinkSync(name, join(dir, '..data_tmp'))
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'))
  }
  publish(files)
  for (const file of Object.keys(files)) symlinkSync(join('..data', file), join(dir, file))
  return { dir, path: (name) => join(dir, name), publish }
}

/** A policy file with one rule, `privileged`, allowing privileged containers or not. */
export const policyText = (name: string, allowPrivileged: boolean): string =>
  `apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: ${name}}\nspec:\n  rules:\n  - name: privileged\n    securityContext: {allowPrivileged: ${allowPrivileged}}\n`

/** A policy ConfigMap volume: `file` is its policy.yaml, `publish` swaps in new text. */
export function policyVolume(text: string): { file: string; publish: (text: string) => void } {
  const volume = secretVolume({ 'policy.yaml': text })
  return { file: volume.path('policy.yaml'), publish: (next) => volume.publish({ 'policy.yaml': next }) }
}
