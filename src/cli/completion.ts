// `completion bash|zsh`: a shell completion script generated from the command table, so it knows
// exactly the commands and flags that `--help` lists. zsh loads the same function through
// bashcompinit (zsh's own emulation of bash's `complete`).
import { UsageError } from '../errors.js'
import type { CommandSpec, Io, Parsed } from './command.js'

/** Values a flag takes from a fixed list, completed after the flag. */
const CHOICES: Readonly<Record<string, readonly string[]>> = {
  webhook: ['validate', 'mutate'],
  profile: ['legacy', 'general', 'baseline', 'restricted', 'netadmin', 'sysadmin'],
  'audit --output': ['table', 'json', 'yaml', 'policyreport'],
  'doctor --output': ['text', 'json', 'yaml'],
  'test --output': ['table', 'json', 'junit'],
  'review --output': ['json', 'yaml'],
  'grant --output': ['table', 'json'],
  'grant --privileged': ['true', 'false'],
}
const choicesOf = (command: string, flag: string): readonly string[] | undefined => CHOICES[`${command} --${flag}`] ?? CHOICES[flag]

const shellWord = (s: string): string => (/^[A-Za-z0-9_.,=/:+-]*$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)

/** The bash function `_ephemeral_guard` and its `complete` lines for both program names. */
export function bashCompletion(specs: readonly CommandSpec[]): string {
  const names = [...specs.map((s) => s.name), 'help']
  const cases = specs.map((s) => {
    const flags = ['--help', ...Object.entries(s.options).flatMap(([n, o]) => [`--${n}`, ...(o.short ? [`-${o.short}`] : [])])]
    const valued = Object.entries(s.options).filter(([, o]) => o.type === 'string').flatMap(([n, o]) => [`--${n}`, ...(o.short ? [`-${o.short}`] : [])])
    const choices = Object.entries(s.options)
      .flatMap(([n, o]) => {
        const words = choicesOf(s.name, n)
        return words === undefined ? [] : [`        ${[`--${n}`, ...(o.short ? [`-${o.short}`] : [])].join('|')}) words=${shellWord(words.join(' '))} ;;`]
      })
    return [
      `    ${s.name})`,
      `      flags=${shellWord(flags.join(' '))}`,
      `      valued=${shellWord(` ${valued.join(' ')} `)}`,
      '      case "$prev" in',
      ...choices,
      '      esac',
      '      ;;',
    ].join('\n')
  })
  return `# ephemeral-guard shell completion (bash). Load it with
#   source <(ephemeral-guard completion bash)
_ephemeral_guard() {
  local cur prev flags valued words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local first=1
  # kubectl ephemeral-guard ...: the command is one word further on.
  if [[ "\${COMP_WORDS[0]}" == kubectl* && "\${COMP_WORDS[1]}" == ephemeral-guard ]]; then first=2; fi
  if [[ $COMP_CWORD -eq $first ]]; then
    COMPREPLY=($(compgen -W ${shellWord(`${names.join(' ')} --help --version`)} -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[first]}" in
${cases.join('\n')}
    help)
      [[ $COMP_CWORD -eq $((first + 1)) ]] && COMPREPLY=($(compgen -W ${shellWord(specs.map((s) => s.name).join(' '))} -- "$cur"))
      return
      ;;
    *) return ;;
  esac
  if [[ -n "$words" ]]; then
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  elif [[ "$valued" == *" $prev "* ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _ephemeral_guard ephemeral-guard
complete -o filenames -F _ephemeral_guard kubectl-ephemeral_guard
`
}

/** zsh: the bash function through bashcompinit. */
export function zshCompletion(specs: readonly CommandSpec[]): string {
  return `#compdef ephemeral-guard kubectl-ephemeral_guard
# ephemeral-guard shell completion (zsh). Load it with
#   source <(ephemeral-guard completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(specs).split('\n').filter((l) => !l.startsWith('#')).join('\n')}`
}

export function completion({ positionals }: Parsed, io: Io, specs: readonly CommandSpec[]): number {
  const [shell, ...rest] = positionals
  if ((shell !== 'bash' && shell !== 'zsh') || rest.length > 0) throw new UsageError(`takes bash or zsh${shell === undefined ? '' : `, got ${JSON.stringify([shell, ...rest].join(' '))}`}`)
  io.stdout.write(shell === 'bash' ? bashCompletion(specs) : zshCompletion(specs))
  return 0
}
