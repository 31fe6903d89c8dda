import { category, ec } from './helpers.js'
import type { FidelityCase } from './types.js'

const { cases: built, add } = category('subpath')

const mount = (extra: Record<string, string>): { volumeMounts: Array<Record<string, string>> } => ({ volumeMounts: [{ name: 'data', mountPath: '/d', ...extra }] })
const PATHS: ReadonlyArray<readonly [string, string]> = [
  ['plain', 'logs'], ['nested', 'a/b/c'], ['dotdot', '..'], ['dotdot-start', '../etc'], ['dotdot-middle', 'a/../b'],
  ['dotdot-end', 'a/..'], ['dotdot-many', '../../..'], ['absolute', '/etc'], ['absolute-dotdot', '/../x'], ['dot', '.'],
  ['dotdot-name', '..a'], ['trailing-slash', 'a/'], ['backslash-dotdot', '..\\x'], ['double-slash', 'a//b'],
]
for (const [slug, p] of PATHS) {
  add(`subpath-${slug}`, `subPath ${JSON.stringify(p)}`, { added: [ec('dbg', mount({ subPath: p }))] })
  add(`subpathexpr-${slug}`, `subPathExpr ${JSON.stringify(p)}`, { added: [ec('dbg', mount({ subPathExpr: p }))] })
}
add('both-set', 'subPath and subPathExpr both set', { added: [ec('dbg', mount({ subPath: 'a', subPathExpr: 'b' }))] })
add('both-set-bad', 'both set, both with ..', { added: [ec('dbg', mount({ subPath: '../a', subPathExpr: '/b' }))] })
add('expr-with-var', 'subPathExpr with a variable', { added: [ec('dbg', mount({ subPathExpr: '$(POD_NAME)' }))] })
add('unknown-volume', 'subPath on an unknown volume', { added: [ec('dbg', { volumeMounts: [{ name: 'nope', mountPath: '/d', subPath: '/x' }] })] })
add('second-mount', 'subPath on the second mount', { added: [ec('dbg', { volumeMounts: [{ name: 'data', mountPath: '/d' }, { name: 'data', mountPath: '/e', subPath: '..' }] })] })
add('two-mounts-bad', 'bad subPaths on two mounts', { added: [ec('dbg', { volumeMounts: [{ name: 'data', mountPath: '/d', subPath: '..' }, { name: 'data', mountPath: '/e', subPath: '/x' }] })] })
add('two-containers', 'bad subPaths in two containers', { added: [ec('a', mount({ subPath: '..' })), ec('b', mount({ subPathExpr: '/x' }))] })
add('both-set-expr-abs-dotdot', 'both set, subPathExpr absolute with ..', { added: [ec('dbg', mount({ subPath: 'ok', subPathExpr: '/../x' }))] })
add('unknown-volume-both', 'an unknown volume with both set', { added: [ec('dbg', { volumeMounts: [{ name: 'nope', mountPath: '/d', subPath: 'a', subPathExpr: 'b' }] })] })
add('three-mounts-mixed', 'three mounts: ok, bad subPath, unknown volume with subPathExpr', {
  added: [ec('dbg', { volumeMounts: [{ name: 'data', mountPath: '/a' }, { name: 'data', mountPath: '/b', subPath: '/x' }, { name: 'nope', mountPath: '/c', subPathExpr: '..' }] })],
})
add('empty-strings', 'subPath and subPathExpr empty', { added: [ec('dbg', mount({ subPath: '', subPathExpr: '' }))] })

/** Category 'subpath' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = built
