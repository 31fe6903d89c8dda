import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// This file sits one level below the package root both as src/paths.ts and as dist/paths.js.
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const SCHEMAS_DIR = join(PACKAGE_ROOT, 'schemas')

/** The version in package.json (for --version and the build_info metric). */
export const packageVersion = (): string =>
  (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version
