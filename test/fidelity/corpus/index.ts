// Every case of the fidelity corpus, category by category, in the order of types.ts' Category.
import type { Category, FidelityCase } from './types.js'
import { cases as whitespaceQuoting } from './whitespace-quoting.js'
import { cases as messages } from './messages.js'
import { cases as order } from './order.js'
import { cases as whichContainers } from './which-containers.js'
import { cases as validatedThenForbidden } from './validated-then-forbidden.js'
import { cases as subpath } from './subpath.js'
import { cases as ephemeralRules } from './ephemeral-rules.js'
import { cases as refusedBeforeAdmission } from './refused-before-admission.js'
import { cases as env } from './env.js'
import { cases as volumeMounts } from './volume-mounts.js'
import { cases as volumeDevices } from './volume-devices.js'
import { cases as securityContext } from './security-context.js'
import { cases as podLevel } from './pod-level.js'

export const CATEGORIES: readonly Category[] = [
  'whitespace-quoting', 'messages', 'order', 'which-containers', 'validated-then-forbidden', 'subpath', 'ephemeral-rules',
  'refused-before-admission', 'env', 'volume-mounts', 'volume-devices', 'security-context', 'pod-level',
]

export const byCategory: Readonly<Record<Category, readonly FidelityCase[]>> = {
  'whitespace-quoting': whitespaceQuoting,
  messages,
  order,
  'which-containers': whichContainers,
  'validated-then-forbidden': validatedThenForbidden,
  subpath,
  'ephemeral-rules': ephemeralRules,
  'refused-before-admission': refusedBeforeAdmission,
  env,
  'volume-mounts': volumeMounts,
  'volume-devices': volumeDevices,
  'security-context': securityContext,
  'pod-level': podLevel,
}

/** All cases, category by category. */
export const allCases: readonly FidelityCase[] = CATEGORIES.flatMap((c) => byCategory[c])
