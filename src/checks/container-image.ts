// container-image: an image is required (validation.go, validateContainerCommon: `Required value`).
// Leading or trailing whitespace is judged later, by image-whitespace.
import { containerCheck } from './container-check.js'
import { fieldsOf, text } from './support/fields.js'

export const containerImage = containerCheck('container-image', (c) => (text(fieldsOf(c)['image']) === '' ? [{ field: 'image', type: 'Required' }] : []))
