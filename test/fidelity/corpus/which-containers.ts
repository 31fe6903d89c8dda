import { category, ec } from './helpers.js'
import type { FidelityCase } from './types.js'

const { cases: built, add } = category('which-containers')

const OLD = ec('old', { stdin: true })
add('existing-kept-new-ok', 'an existing container kept, a valid new one', { existing: [OLD], added: [ec('dbg')] })
add('existing-kept-new-bad', 'an existing container kept, an invalid new one', { existing: [OLD], added: [ec('dbg', { image: '' })] })
add('two-new-same-name', 'two new containers with the same name', { added: [ec('dbg'), ec('dbg')] })
add('two-new-same-name-different', 'two new containers, one name, different images', { added: [ec('dbg'), ec('dbg', { image: 'alpine:3' })] })
add('three-new-same-name', 'three new containers with one name', { added: [ec('dbg'), ec('dbg'), ec('dbg')] })
add('same-name-as-existing-identical', 'a second copy of an existing container', { existing: [OLD], added: [OLD] })
add('same-name-as-existing-different-last', 'an existing container, then a different one of its name', { existing: [OLD], added: [ec('old', { image: 'alpine:3' })] })
add('same-name-as-existing-different-first', 'a different one of its name, then the existing container', { existing: [OLD], added: [], list: [ec('old', { image: 'alpine:3' }), OLD] })
add('same-name-as-existing-invalid-first', 'an invalid one of its name, then the existing container', { existing: [OLD], added: [], list: [ec('old', { ports: [{ containerPort: 80 }] }), OLD] })
add('same-name-as-existing-invalid-last', 'the existing container, then an invalid one of its name', { existing: [OLD], added: [ec('old', { ports: [{ containerPort: 80 }] })] })
add('existing-changed-invalid', 'an existing container changed into an invalid one', { existing: [OLD], added: [], list: [{ ...OLD, ports: [{ containerPort: 80 }] }] })
add('existing-changed-invalid-image', 'an existing container changed, image emptied', { existing: [OLD], added: [], list: [{ ...OLD, image: '' }] })
add('existing-changed-name-bad', 'an existing container renamed to an invalid name', { existing: [OLD], added: [], list: [{ ...OLD, name: 'Old' }] })
add('existing-target-changed', 'an existing container changed to target nothing', { existing: [OLD], added: [], list: [{ ...OLD, targetContainerName: 'nope' }] })
add('two-existing-one-new', 'two existing, one new invalid', { existing: [OLD, ec('old2')], added: [ec('dbg', { targetContainerName: 'nope' })] })
add('new-between-existing', 'a new container between two existing ones', { existing: [OLD, ec('old2')], added: [], list: [OLD, ec('dbg', { lifecycle: { preStop: { exec: { command: ['x'] } } } }), ec('old2')] })
add('new-named-like-init', 'a new container named like the init container', { added: [ec('migrate')] })
add('new-named-like-init-and-dup', 'two new containers named like the init container', { added: [ec('migrate'), ec('migrate')] })
add('many-new', 'five new containers, two invalid', { added: [ec('a'), ec('b', { image: '' }), ec('c'), ec('d', { targetContainerName: 'x' }), ec('e')] })
add('existing-removed-new-same-index', 'an existing container replaced at its index by a new one', { existing: [OLD], added: [], list: [ec('dbg')] })
add('duplicate-existing-twice-changed', 'two changed copies of an existing container', { existing: [OLD], added: [], list: [ec('old', { image: 'a:1' }), ec('old', { image: 'b:1' })] })

add('two-nameless', 'two containers without a name', { added: [{ image: 'busybox:1.36' }, { image: 'busybox:1.36' }] })
add('existing-twice-identical', 'an existing container listed twice, unchanged', { existing: [OLD], added: [], list: [OLD, OLD] })
add('existing-changed-and-new-duplicate', 'an existing container changed, a new one of the same name after it', { existing: [OLD], added: [], list: [{ ...OLD, tty: true }, ec('old', { tty: true })] })
add('existing-kept-invalid-copy-before', 'an invalid copy before the existing container, then a new invalid one', { existing: [OLD], added: [], list: [ec('old', { image: '' }), OLD, ec('Bad')] })
add('existing-two-changed-order', 'two existing containers changed, listed in reverse', { existing: [OLD, ec('old2')], added: [], list: [ec('old2', { image: 'a:1' }), { ...OLD, image: 'b:1' }] })
add('new-duplicate-of-init-and-existing', 'new containers named like the init container and an existing one', { existing: [OLD], added: [ec('migrate'), ec('old', { image: 'x:1' })] })

/** Category 'which-containers' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = built
