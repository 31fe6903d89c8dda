// Name globs for namespaces, users and groups: `*` matches any run of characters, everything else is
// literal. Compiled once; matching is a prefix test, a suffix test and one indexOf per middle piece,
// never a regular expression built from policy or request data.

export type NameMatcher = (name: string) => boolean

export function compileGlob(pattern: string): NameMatcher {
  if (!pattern.includes('*')) return (name) => name === pattern
  const pieces = pattern.split('*')
  const first = pieces[0]!
  const last = pieces[pieces.length - 1]!
  const middle = pieces.slice(1, -1).filter((p) => p !== '')
  const minLength = first.length + last.length + middle.reduce((n, p) => n + p.length, 0)
  return (name) => {
    if (name.length < minLength || !name.startsWith(first) || !name.endsWith(last)) return false
    // Leftmost matches are always safe for `*`-only globs: any later match leaves less room.
    let at = first.length
    const end = name.length - last.length
    for (const piece of middle) {
      const found = name.indexOf(piece, at)
      if (found < 0 || found + piece.length > end) return false
      at = found + piece.length
    }
    return true
  }
}

/** Matches when any of the globs matches; an empty list matches nothing. */
export function compileGlobs(patterns: readonly string[]): NameMatcher {
  const matchers = patterns.map(compileGlob)
  return (name) => matchers.some((m) => m(name))
}
