// README's own overlay, as an admin writes it (README "Upgrade": the ConfigMap component with a
// component of yours replacing its policy): my-install/ next to the repository's overlays.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Writes manifests/my-install with `policy` as my-policy.yaml (and in the my-policy component), and its kustomization; returns the directory. */
export function writeMyInstall(manifests: string, policy: string, kustomization: readonly string[]): string {
  const mine = join(manifests, 'my-install')
  mkdirSync(join(mine, 'my-policy'), { recursive: true })
  writeFileSync(join(mine, 'my-policy.yaml'), policy)
  writeFileSync(join(mine, 'my-policy', 'my-policy.yaml'), policy)
  writeFileSync(join(mine, 'my-policy', 'kustomization.yaml'), [
    'apiVersion: kustomize.config.k8s.io/v1alpha1',
    'kind: Component',
    'configMapGenerator:',
    '  - name: ephemeral-guard-policy',
    '    namespace: ephemeral-guard',
    '    behavior: replace',
    '    files:',
    '      - policy.yaml=my-policy.yaml',
    '',
  ].join('\n'))
  writeFileSync(join(mine, 'kustomization.yaml'), [...kustomization, ''].join('\n'))
  return mine
}
