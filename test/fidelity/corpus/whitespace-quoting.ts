import { category, ec } from './helpers.js'
import type { FidelityCase } from './types.js'

const { cases: built, add } = category('whitespace-quoting')

// Leading and trailing characters on an image: Go's unicode.IsSpace decides, not JavaScript's \s.
const EDGES: ReadonlyArray<readonly [string, string]> = [
  ['space', ' '], ['tab', '\t'], ['newline', '\n'], ['vtab', '\v'], ['formfeed', '\f'], ['cr', '\r'],
  ['nel-u0085', '\u0085'], ['nbsp-u00a0', '\u00a0'], ['ogham-u1680', '\u1680'], ['enquad-u2000', '\u2000'],
  ['hairspace-u200a', '\u200a'], ['zwsp-u200b', '\u200b'], ['lsep-u2028', '\u2028'], ['psep-u2029', '\u2029'],
  ['nnbsp-u202f', '\u202f'], ['mmsp-u205f', '\u205f'], ['ideographic-u3000', '\u3000'], ['bom-ufeff', '\ufeff'],
  ['mongolian-u180e', '\u180e'], ['x1c-filesep', '\u001c'],
]
for (const [slug, ch] of EDGES) {
  add(`image-leading-${slug}`, `an image with a leading ${slug}`, { added: [ec('dbg', { image: `${ch}busybox:1.36` })] })
  add(`image-trailing-${slug}`, `an image with a trailing ${slug}`, { added: [ec('dbg', { image: `busybox:1.36${ch}` })] })
}
// The rest of Unicode's Zs category, and characters JavaScript's \s and Go disagree on.
for (const cp of [0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009]) {
  const hex = cp.toString(16)
  add(`image-leading-u${hex}`, `an image with a leading U+${hex.toUpperCase()}`, { added: [ec('dbg', { image: `${String.fromCodePoint(cp)}busybox:1.36` })] })
}
for (const [slug, ch] of [['u0000-nul', '\u0000'], ['u001f-unit-sep', '\u001f'], ['u00ad-soft-hyphen', '\u00ad'], ['u061c-alm', '\u061c'], ['u2060-word-joiner', '\u2060']] as const) {
  add(`image-trailing-${slug}`, `an image with a trailing ${slug} (no whitespace to Go)`, { added: [ec('dbg', { image: `busybox:1.36${ch}` })] })
}
add('image-only-space', 'an image of one space', { added: [ec('dbg', { image: ' ' })] })
add('image-inner-space', 'a space inside an image', { added: [ec('dbg', { image: 'busy box' })] })

// Go's %q of the offending value.
const NAMES: ReadonlyArray<readonly [string, string]> = [
  ['control-x01', 'a\u0001b'], ['tab', 'a\tb'], ['nbsp', 'a\u00a0b'], ['e-acute', 'caf\u00e9'], ['emoji', 'dbg\u{1F600}'],
  ['quote', 'a"b'], ['backslash', 'a\\b'], ['del-x7f', 'a\u007fb'], ['lsep', 'a\u2028b'], ['bom', '\ufeffdbg'],
  ['angle-amp', 'a<b>&c'], ['c1-x9b', 'a\u009bb'], ['zwj', 'a\u200db'], ['replacement', 'a\ufffdb'],
]
for (const [slug, name] of NAMES) add(`name-${slug}`, `a name holding ${slug}`, { added: [ec(name)] })

for (const [slug, name] of [['astral-private', 'a\u{F0000}b'], ['tag-char', 'a\u{E0001}'], ['u0000', 'a\u0000b'], ['esc', 'a\u001bb'], ['u00ad', 'a\u00adb']] as const) {
  add(`name-${slug}`, `a name holding ${slug}`, { added: [ec(name)] })
}

const ODD: ReadonlyArray<readonly [string, string]> = [
  ['angle-amp', '<File>&'], ['control', 'File\u0001'], ['nbsp', 'File\u00a0'], ['quote', 'Fi"le'], ['lowercase', 'file'], ['emoji', '\u{1F600}'],
  ['lsep', 'File\u2028'], ['newline-tab', 'File\n\t'], ['backslash', 'Fi\\le'], ['del', 'File\u007f'],
]
for (const [slug, v] of ODD) {
  add(`termination-policy-${slug}`, `terminationMessagePolicy holding ${slug}`, { added: [ec('dbg', { terminationMessagePolicy: v })] })
  add(`pull-policy-${slug}`, `imagePullPolicy holding ${slug}`, { added: [ec('dbg', { imagePullPolicy: v })] })
}
add('target-angle-amp', 'targetContainerName holding <>&', { added: [ec('dbg', { targetContainerName: 'a<b>&c' })] })
add('target-control', 'targetContainerName holding a control character', { added: [ec('dbg', { targetContainerName: 'ca\u0001rt' })] })
add('target-unicode', 'targetContainerName holding non-ASCII', { added: [ec('dbg', { targetContainerName: 'c\u00e4rt' })] })
add('target-trailing-space', 'targetContainerName with a trailing space', { added: [ec('dbg', { targetContainerName: 'cart ' })] })
add('image-control-inside', 'an image holding a control character inside (no whitespace rule)', { added: [ec('dbg', { image: 'busy\u0001box' })] })

/** Category 'whitespace-quoting' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = built
