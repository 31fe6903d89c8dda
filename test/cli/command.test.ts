// Commands as data: the table both parses and prints help, so every flag a command takes is in its
// help; -h/--help work for every command; an unknown flag or command names the nearest one.
import t from 'tap'
import { commandHelp, editDistance, nearest, parseCommand } from '../../src/cli/command.js'
import { COMMANDS, PROGRAM } from '../../src/cli/commands.js'
import { UsageError } from '../../src/errors.js'
import { cli } from '../support/cli.js'

t.test('every command answers --help and -h with its synopsis and every flag of its table', async (t) => {
  for (const spec of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      const r = await cli([spec.name, flag])
      t.equal(r.status, 0, `${spec.name} ${flag}`)
      t.equal(r.stderr, '')
      t.match(r.stdout, `Usage:\n  ${PROGRAM} ${spec.name} ${spec.synopsis}`.trimEnd())
      for (const [name, o] of Object.entries(spec.options)) {
        t.match(r.stdout, `--${name}`, `${spec.name} --help names --${name}`)
        if (o.short) t.match(r.stdout, `-${o.short}, --${name}`)
        if (o.default !== undefined) t.match(r.stdout, `(default ${o.default})`)
      }
    }
    t.equal((await cli(['help', spec.name])).stdout, commandHelp(spec, PROGRAM), `help ${spec.name} is ${spec.name} --help`)
  }
})

t.test('--help wins over other flags, even invalid values, and runs nothing', async (t) => {
  const r = await cli(['serve', '--port', 'x', '--help'])
  t.equal(r.status, 0)
  t.match(r.stdout, /ephemeral-guard serve:/)
})

t.test('the top-level help lists every command from the table', async (t) => {
  const r = await cli([])
  t.equal(r.status, 0)
  for (const spec of COMMANDS) {
    t.match(r.stdout, `${PROGRAM} ${spec.name} ${spec.synopsis}`.trimEnd())
    t.match(r.stdout, new RegExp(`^  ${spec.name} +${spec.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'))
  }
  t.equal((await cli(['help'])).stdout, r.stdout)
})

t.test('unknown flags and commands: exit 2, the nearest name, a pointer to the right help', async (t) => {
  const cases: Array<[string[], string]> = [
    [['review', '--webhok', 'mutate'], 'ephemeral-guard review: unknown option --webhok; did you mean --webhook?\nRun ephemeral-guard review --help for usage.\n'],
    [['audit', '--all-namespace'], 'ephemeral-guard audit: unknown option --all-namespace; did you mean --all-namespaces?\nRun ephemeral-guard audit --help for usage.\n'],
    [['doctor', '--expiry=1h'], 'ephemeral-guard doctor: unknown option --expiry; did you mean --expiry-warning?\nRun ephemeral-guard doctor --help for usage.\n'],
    [['serve', '--frobnicate'], 'ephemeral-guard serve: unknown option --frobnicate\nRun ephemeral-guard serve --help for usage.\n'],
    [['reveiw'], 'ephemeral-guard: unknown command "reveiw"; did you mean review?\nRun ephemeral-guard --help for usage.\n'],
    [['help', 'nope'], 'ephemeral-guard: unknown command "nope"\nRun ephemeral-guard --help for usage.\n'],
    [['certs', 'x'], 'ephemeral-guard certs: unexpected argument "x": certs takes only flags\nRun ephemeral-guard certs --help for usage.\n'],
  ]
  for (const [argv, stderr] of cases) {
    const r = await cli(argv)
    t.equal(r.status, 2, argv.join(' '))
    t.equal(r.stderr, stderr, argv.join(' '))
    t.equal(r.stdout, '')
  }
})

t.test('review refuses to wait on a terminal', async (t) => {
  const r = await cli(['review'], { stdinTTY: true })
  t.equal(r.status, 2)
  t.match(r.stderr, /^ephemeral-guard review: reads an AdmissionReview from FILE or from standard input, which is a terminal here/)
})

t.test('parseCommand: values, defaults and positionals by the table', async (t) => {
  const review = COMMANDS.find((c) => c.name === 'review')!
  t.same(parseCommand(review, ['--policy', 'p.yaml', 'r.json']), { values: { webhook: 'validate', policy: 'p.yaml' }, positionals: ['r.json'], help: false })
  const audit = COMMANDS.find((c) => c.name === 'audit')!
  t.same(parseCommand(audit, ['-A', '-o', 'json']).values, { 'all-namespaces': true, output: 'json' })
  t.throws(() => parseCommand(audit, ['-n']), UsageError)
})

t.test('nearest and editDistance', async (t) => {
  t.equal(editDistance('', 'abc'), 3)
  t.equal(editDistance('kitten', 'sitting'), 3)
  t.equal(editDistance('same', 'same'), 0)
  t.equal(nearest('--polcy', ['--policy', '--port']), '--policy')
  t.equal(nearest('--all', ['--all-namespaces']), '--all-namespaces', 'a prefix is near')
  t.equal(nearest('--zzzzzz', ['--policy']), undefined, 'nothing near')
  t.equal(nearest('x', []), undefined)
})
