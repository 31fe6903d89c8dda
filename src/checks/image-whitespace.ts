// image-whitespace: no leading or trailing whitespace on the image (validation.go,
// validateContainerOnlyForPod, which validateEphemeralContainers calls after validateContainerCommon).
// Whitespace is Go's unicode.IsSpace, as strings.TrimSpace uses it: not JavaScript's \s (U+FEFF is no
// space to Go, U+0085 is).
import { containerCheck } from './container-check.js'
import { fieldsOf, text } from './support/fields.js'

/** unicode.IsSpace: \t \n \v \f \r, space, U+0085, U+00A0 and the Unicode category Zs. */
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u

export const isGoSpace = (ch: string): boolean => GO_SPACE.test(ch)

// Every Go space is one UTF-16 unit outside the surrogates: the first and last units of the image
// are its first and last characters as far as this test goes (half of a pair is no space either).
export const imageWhitespace = containerCheck('image-whitespace', (c) => {
  const image = text(fieldsOf(c)['image'])
  if (image === '' || (!isGoSpace(image[0]!) && !isGoSpace(image[image.length - 1]!))) return []
  return [{ field: 'image', type: 'Invalid', value: image, detail: 'must not have leading or trailing whitespace' }]
})
