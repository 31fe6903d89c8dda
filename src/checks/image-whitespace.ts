// image-whitespace: no leading or trailing whitespace on the image (validation.go,
// validateContainerOnlyForPod, which validateEphemeralContainers calls after validateContainerCommon).
// Whitespace is Go's unicode.IsSpace, as strings.TrimSpace uses it: not JavaScript's \s (U+FEFF is no
// space to Go, U+0085 is).
import { containerCheck } from './container-check.js'
import { textAt } from './support/fields.js'

/** unicode.IsSpace: \t \n \v \f \r, space, U+0085, U+00A0 and the Unicode category Zs. */
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u

export const isGoSpace = (ch: string): boolean => GO_SPACE.test(ch)

export const imageWhitespace = containerCheck('image-whitespace', (c) => {
  const image = textAt(c, 'image')
  const chars = [...image]
  if (chars.length === 0 || (!isGoSpace(chars[0]!) && !isGoSpace(chars[chars.length - 1]!))) return []
  return [{ field: 'image', type: 'Invalid', value: image, detail: 'must not have leading or trailing whitespace' }]
})
