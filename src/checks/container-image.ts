// container-image: an image is required (validation.go, validateContainerCommon: `Required value`).
// Leading or trailing whitespace is judged later, by image-whitespace.
import { containerCheck } from './container-check.js'
import { stringAt } from './kube-validation.js'

export const containerImage = containerCheck('container-image', (c) => (stringAt(c, 'image') === '' ? [{ field: 'image', type: 'Required' }] : []))
