// README.md's shell commands, for the tests that run them as written (test/cli/readme.test.ts without
// a cluster, test/e2e/readme.test.ts against the harness), and the workspace an admin would type them in.
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ROOT = new URL('../..', import.meta.url).pathname
export const MAIN = join(ROOT, 'dist', 'main.js')

/** One command line of a README sh block, with the heading of the section it is in. */
export interface ReadmeCommand {
  readonly command: string
  readonly section: string
}

/** The command lines of README's sh blocks, in order: continuation lines joined, comments and blank lines dropped. */
export function readmeCommandLines(): ReadmeCommand[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const out: ReadmeCommand[] = []
  for (const m of readme.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) {
    const headings = [...readme.slice(0, m.index).matchAll(/^#{1,6} (.+)$/gm)]
    const section = headings.at(-1)?.[1] ?? ''
    let current = ''
    for (const line of m[1]!.split('\n')) {
      if (line.endsWith('\\')) { current += `${line.slice(0, -1)} `; continue }
      current += line
      const command = current.trim()
      current = ''
      if (command !== '' && !command.startsWith('#')) out.push({ command, section })
    }
  }
  return out
}

export const readmeCommands = (): string[] => readmeCommandLines().map((c) => c.command)

/**
 * A directory with README's placeholder files, the repository's example files, and `ephemeral-guard`
 * (and the kubectl plugin `kubectl-ephemeral_guard`) in its .bin. `manifests: true` copies manifests/
 * in (certs writes into manifests/overlays/self-managed/certs), so the repository is never written.
 */
export function readmeWorkspace(o: { manifests?: boolean } = {}): { dir: string; bin: string } {
  const dir = mkdtempSync(join(tmpdir(), 'eg-readme-'))
  for (const sub of ['test', 'policies']) symlinkSync(join(ROOT, sub), join(dir, sub))
  if (o.manifests === true) cpSync(join(ROOT, 'manifests'), join(dir, 'manifests'), { recursive: true, filter: (src) => !src.endsWith(join('self-managed', 'certs')) })
  copyFileSync(join(ROOT, 'policies', 'examples', 'production.yaml'), join(dir, 'my-policy.yaml'))
  copyFileSync(join(ROOT, 'policies', 'examples', 'production.yaml'), join(dir, 'candidate.yaml'))
  copyFileSync(join(ROOT, 'test', 'fixtures', 'admission-review', 'debug-general.json'), join(dir, 'review.json'))
  copyFileSync(join(ROOT, 'policies', 'tests', 'pod.yaml'), join(dir, 'pod.yaml'))
  writeFileSync(join(dir, 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n')
  const bin = join(dir, '.bin')
  mkdirSync(bin)
  for (const name of ['ephemeral-guard', 'kubectl-ephemeral_guard']) {
    writeFileSync(join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${MAIN}" "$@"\n`)
    chmodSync(join(bin, name), 0o755)
  }
  return { dir, bin }
}
