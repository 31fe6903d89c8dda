// container-image: an image is required (validation.go, validateContainerCommon: `Required value`).
// Leading or trailing whitespace is judged later, by image-whitespace.
import { containerCheck } from './container-check.js'
import { textAt } from './support/fields.js'

export const containerImage = containerCheck('container-image', (c) => (textAt(c, 'image') === '' ? [{ field: 'image', type: 'Required' }] : []))
