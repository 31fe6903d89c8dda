// The two steps almost every decision test takes: a policy from a few lines of YAML, and a review
// answered as the webhook answers one that arrived over the wire (a JSON round trip, then decoded).
import { admit, type Decision } from '../../src/admission/admit.js'
import { decodeReview } from '../../src/admission/decode.js'
import type { DecisionContext, Policy, Webhook } from '../../src/decision/types.js'
import type { AdmissionReview } from '../../src/kube/types.js'
import { parsePolicy } from '../../src/policy/load.js'

const HEAD = 'apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: test}\n'

/** A policy from the lines of its spec (each indented two spaces, as in a file). */
export const policyOfSpec = (spec: string): Policy => parsePolicy(`${HEAD}spec:\n${spec}`, 'test.yaml').policy

/** A policy from its rules (YAML list items, indented as in a file) and optional other spec lines. */
export const policyOfRules = (rules: string, spec = ''): Policy => policyOfSpec(`${spec}  rules:\n${rules}`)

/** The webhook's answer to `review`, as if it had been sent over HTTP. */
export const answer = (review: AdmissionReview, webhook: Webhook, policy: Policy, context: DecisionContext = {}): Decision =>
  admit(decodeReview(JSON.parse(JSON.stringify(review))), webhook, policy, context)
