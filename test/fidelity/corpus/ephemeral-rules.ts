import { category, ec, staticPod } from './helpers.js'
import type { FidelityCase } from './types.js'

const { cases: built, add } = category('ephemeral-rules')

add('plain', 'a plain debug container is accepted', { added: [ec('dbg')] })
add('target-ok', 'targetContainerName naming a container', { added: [ec('dbg', { targetContainerName: 'cart' })] })
add('target-missing', 'targetContainerName naming no container', { added: [ec('dbg', { targetContainerName: 'nope' })] })
add('name-missing', 'no name', { added: [{ image: 'busybox' }] })
add('image-missing', 'no image', { added: [{ name: 'dbg' }] })
add('duplicate-with-container', 'the name of a container', { added: [ec('cart')] })
add('probe-forbidden', 'a livenessProbe', { added: [ec('dbg', { livenessProbe: { exec: { command: ['true'] } } })] })
add('static-pod', 'a static pod', { ...staticPod, added: [ec('dbg')] })
add('removed', 'an existing container removed', { existing: [ec('old')], added: [], list: [ec('dbg')] })
add('changed', 'an existing container changed', { existing: [ec('old')], added: [], list: [ec('old', { image: 'alpine' })] })

/** Category 'ephemeral-rules' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = built
