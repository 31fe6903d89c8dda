import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// This file sits one level below the package root both as src/paths.ts and as dist/paths.js.
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const SCHEMAS_DIR = join(PACKAGE_ROOT, 'schemas')
