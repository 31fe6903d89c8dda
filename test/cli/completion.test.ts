// `completion bash|zsh`: the script is run in a real bash, with the variables bash's completion sets.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cli } from '../support/cli.js'
import { COMMANDS } from '../../src/cli/commands.js'

t.setTimeout(120_000)

const dir = mkdtempSync(join(tmpdir(), 'eg-completion-'))

/** What bash completes for `words` (the last one being typed), through the generated function. */
function complete(script: string, words: readonly string[]): string[] {
  const file = join(dir, 'completion.bash')
  writeFileSync(file, script)
  const quoted = words.map((w) => `'${w}'`).join(' ')
  const r = spawnSync('bash', ['--norc', '-c', `source ${file}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _ephemeral_guard; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8', cwd: dir, timeout: 60_000 })
  if (r.status !== 0) throw new Error(r.stderr)
  return r.stdout.split('\n').filter(Boolean).sort()
}

t.test('bash: commands, flags, choices, for both program names', async (t) => {
  const r = await cli(['completion', 'bash'])
  t.equal(r.status, 0)
  t.match(r.stdout, /complete -o filenames -F _ephemeral_guard ephemeral-guard\n/)
  t.match(r.stdout, /complete -o filenames -F _ephemeral_guard kubectl-ephemeral_guard\n/)
  t.same(complete(r.stdout, ['ephemeral-guard', '']), [...COMMANDS.map((c) => c.name), 'help', '--help', '--version'].sort(), 'every command of the table')
  t.same(complete(r.stdout, ['ephemeral-guard', 'rev']), ['review'])
  t.same(complete(r.stdout, ['ephemeral-guard', 'review', '--web']), ['--webhook'])
  t.same(complete(r.stdout, ['ephemeral-guard', 'review', '--webhook', '']), ['mutate', 'validate'])
  t.same(complete(r.stdout, ['ephemeral-guard', 'audit', '-o', '']), ['json', 'policyreport', 'table', 'yaml'], "audit's formats only")
  t.same(complete(r.stdout, ['ephemeral-guard', 'audit', '--all']), ['--all-namespaces'])
  t.same(complete(r.stdout, ['ephemeral-guard', 'help', 'do']), ['doctor'])
  t.same(complete(r.stdout, ['kubectl', 'ephemeral-guard', 'aud']), ['audit'], 'as a kubectl plugin, the command is the third word')
  writeFileSync(join(dir, 'pol.yaml'), '')
  t.same(complete(r.stdout, ['ephemeral-guard', 'policy', 'check', 'pol']), ['pol.yaml'], 'files where a FILE goes')
  t.same(complete(r.stdout, ['ephemeral-guard', 'review', '--policy', 'pol']), ['pol.yaml'], 'files after a flag that takes a value')
})

t.test('zsh: the same function through bashcompinit', async (t) => {
  const r = await cli(['completion', 'zsh'])
  t.equal(r.status, 0)
  t.match(r.stdout, /^#compdef ephemeral-guard kubectl-ephemeral_guard\n/)
  t.match(r.stdout, /autoload -U \+X bashcompinit && bashcompinit\n/)
  const bash = (await cli(['completion', 'bash'])).stdout
  t.ok(r.stdout.includes(bash.split('\n').filter((l) => !l.startsWith('#')).join('\n')), 'the bash function, comments aside')
})

t.test('a shell other than bash or zsh is a usage error', async (t) => {
  for (const args of [[], ['fish'], ['bash', 'zsh']]) {
    const r = await cli(['completion', ...args])
    t.equal(r.status, 2)
    t.match(r.stderr, /^ephemeral-guard completion: takes bash or zsh/)
  }
})
