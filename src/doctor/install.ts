// Checks ephemeral-guard's own installation against what manifests/base/webhooks.yaml recommends:
// the webhook configurations (every field the file sets, compared with the file's own values), the
// Service and its ready endpoints, the caBundle against the serving certificate, the certificate's
// expiry and names, and the policy ConfigMap. Pure: objects and the clock arrive as arguments.
import { X509Certificate } from 'node:crypto'
import { pemCertificates } from '../certs/pem.js'
import { isDeepStrictEqual } from 'node:util'
import type { JsonObject, JsonValue } from '../kube/types.js'
import { isJsonObject } from '../kube/types.js'
import { parsePolicy } from '../policy/load.js'
import { PolicyError } from '../errors.js'
import { formatAge } from '../duration.js'
import type { DoctorFinding } from './findings.js'
import type { PoliciesInForce } from '../policy/in-force.js'

export interface InstallNames {
  readonly namespace: string
  readonly service: string
  readonly secret: string
  readonly configMap: string
  readonly policyKey: string
}

export interface InstallFacts {
  readonly names: InstallNames
  /** The documents of manifests/base/webhooks.yaml, as parsed. */
  readonly manifest: readonly JsonObject[]
  /** Where the manifest came from, named in fixes. */
  readonly manifestFile: string
  readonly validating: readonly JsonObject[]
  readonly mutating: readonly JsonObject[]
  /** undefined: not found. */
  readonly service?: JsonObject
  readonly endpointSlices: readonly JsonObject[]
  /** undefined: not found; a string: why it could not be read (e.g. forbidden). */
  readonly secret?: JsonObject | string
  readonly configMap?: JsonObject
  /** The policy CRDs are served: the ConfigMap is then optional (the webhook reads the policy objects). */
  readonly policyCrds?: boolean
  readonly now: Date
  /** Warn when a certificate expires within this many milliseconds. */
  readonly expiryWarningMs: number
}

const obj = (v: JsonValue | undefined): JsonObject => (isJsonObject(v) ? v : {})
const nameOf = (o: JsonObject): string => String(obj(o['metadata'])['name'] ?? '')


// X509Certificate#checkIssued(other): "this certificate was issued by other" (names and key ids);
// verify() then checks the signature, returning false for a key that did not sign it.
const issued = (issuer: X509Certificate, cert: X509Certificate): boolean => cert.checkIssued(issuer) && cert.verify(issuer.publicKey)

/** True when `leaf` chains to a certificate of `bundle`, possibly through `intermediates`. */
export function verifiesAgainst(leaf: X509Certificate, intermediates: readonly X509Certificate[], bundle: readonly X509Certificate[]): boolean {
  if (bundle.some((ca) => ca.fingerprint256 === leaf.fingerprint256 || issued(ca, leaf))) return true
  return intermediates.some((i) => i !== leaf && issued(i, leaf) && bundle.some((ca) => ca.fingerprint256 === i.fingerprint256 || issued(ca, i)))
}

const b64 = (v: JsonValue | undefined): string => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '')

interface LiveWebhook { readonly kind: string; readonly configuration: string; readonly webhook: JsonObject }

function webhookChecks(facts: InstallFacts, found: DoctorFinding[]): LiveWebhook[] {
  const { names, manifestFile } = facts
  const live: LiveWebhook[] = []
  const apply = `kubectl apply the webhook configurations of ${manifestFile} (with your clientConfig)`
  for (const doc of facts.manifest) {
    const kind = String(doc['kind'])
    const name = nameOf(doc)
    const subject = `${kind.toLowerCase()}/${name}`
    const pool = kind === 'ValidatingWebhookConfiguration' ? facts.validating : facts.mutating
    const config = pool.find((c) => nameOf(c) === name)
    if (config === undefined) {
      found.push({ level: 'error', subject, message: `not found: ${kind === 'ValidatingWebhookConfiguration' ? 'nothing checks debug containers' : 'debug containers are not mutated'}`, fix: apply })
      continue
    }
    const wanted = Array.isArray(doc['webhooks']) ? doc['webhooks'].filter(isJsonObject) : []
    const got = Array.isArray(config['webhooks']) ? config['webhooks'].filter(isJsonObject) : []
    let differences = 0
    for (const want of wanted) {
      const at = `${subject} (webhook ${String(want['name'])})`
      const w = got.find((g) => g['name'] === want['name'])
      if (w === undefined) {
        found.push({ level: 'error', subject: at, message: 'webhook missing from the configuration', fix: apply })
        differences++
        continue
      }
      live.push({ kind, configuration: name, webhook: w })
      // Every field the file sets, compared with the file's value; clientConfig is checked below.
      for (const [key, value] of Object.entries(want)) {
        if (key === 'clientConfig' || isDeepStrictEqual(w[key], value)) continue
        differences++
        found.push({ level: 'warning', subject: at, message: `${key} is ${JSON.stringify(w[key] ?? null)}; recommended ${JSON.stringify(value)}`, fix: `set ${key} as in ${manifestFile}` })
      }
      const selector = obj(w['objectSelector'])
      if (Object.keys(selector).length > 0 && !('objectSelector' in want)) {
        differences++
        found.push({ level: 'warning', subject: at, message: `objectSelector ${JSON.stringify(selector)} lets pod labels, which users set, skip the webhook`, fix: 'remove the objectSelector' })
      }
      const cc = obj(w['clientConfig'])
      const wantService = obj(obj(want['clientConfig'])['service'])
      const svc = obj(cc['service'])
      if (cc['url'] !== undefined) {
        found.push({ level: 'warning', subject: at, message: `clientConfig calls ${String(cc['url'])}, not the Service ${names.namespace}/${names.service}: the Service and endpoint checks below say nothing about it`, fix: `point clientConfig.service at ${names.namespace}/${names.service}` })
        differences++
      } else if (svc['namespace'] !== names.namespace || svc['name'] !== names.service || (svc['path'] ?? '/') !== (wantService['path'] ?? '/') || (svc['port'] ?? 443) !== (wantService['port'] ?? 443)) {
        differences++
        found.push({
          level: 'error', subject: at,
          message: `clientConfig.service is ${String(svc['namespace'])}/${String(svc['name'])}:${String(svc['port'] ?? 443)}${String(svc['path'] ?? '')}; expected ${names.namespace}/${names.service}:${String(wantService['port'] ?? 443)}${String(wantService['path'] ?? '')}`,
          fix: `point clientConfig.service at ${names.namespace}/${names.service} (or pass --namespace/--service)`,
        })
      }
    }
    if (differences === 0) found.push({ level: 'ok', subject, message: `present and as recommended in ${manifestFile}` })
  }
  return live
}

function serviceChecks(facts: InstallFacts, live: readonly LiveWebhook[], found: DoctorFinding[]): void {
  const { names } = facts
  const subject = `service/${names.service} -n ${names.namespace}`
  if (facts.service === undefined) {
    found.push({ level: 'error', subject, message: 'not found: the API server cannot call the webhook', fix: `install the Service, or pass --namespace/--service with the names you used` })
    return
  }
  const ports = (Array.isArray(obj(facts.service['spec'])['ports']) ? obj(facts.service['spec'])['ports'] as JsonValue[] : []).filter(isJsonObject)
  const wantedPorts = new Set(live.map((l) => Number(obj(obj(l.webhook['clientConfig'])['service'])['port'] ?? 443)).filter((p) => !Number.isNaN(p)))
  const missing = [...wantedPorts].filter((p) => !ports.some((sp) => sp['port'] === p))
  if (missing.length > 0) found.push({ level: 'error', subject, message: `has no port ${missing.join(', ')}, which the webhooks call`, fix: `add port ${missing.join(', ')} to the Service` })
  else found.push({ level: 'ok', subject, message: `exists with port ${[...wantedPorts].join(', ') || ports.map((p) => String(p['port'])).join(', ')}` })
  let ready = 0
  for (const slice of facts.endpointSlices) {
    for (const e of (Array.isArray(slice['endpoints']) ? slice['endpoints'] : []).filter(isJsonObject)) {
      const addresses = Array.isArray(e['addresses']) ? e['addresses'].length : 0
      // EndpointConditions.ready: nil means ready.
      if (addresses > 0 && obj(e['conditions'])['ready'] !== false) ready++
    }
  }
  if (ready === 0) found.push({ level: 'error', subject, message: 'no ready endpoints (EndpointSlices): no replica can answer; validating requests fail', fix: `check the Deployment's pods in ${names.namespace} (kubectl -n ${names.namespace} get pods; /readyz)` })
  else found.push({ level: 'ok', subject, message: `${ready} ready endpoint${ready === 1 ? '' : 's'}` })
}

function certificateChecks(facts: InstallFacts, live: readonly LiveWebhook[], found: DoctorFinding[]): void {
  const { names, now } = facts
  const subject = `secret/${names.secret} -n ${names.namespace}`
  if (typeof facts.secret === 'string') {
    found.push({ level: 'warning', subject, message: `cannot read it (${facts.secret}): caBundle and expiry not checked`, fix: 'run doctor with permission to get that Secret' })
    return
  }
  if (facts.secret === undefined) {
    found.push({ level: 'error', subject, message: 'not found: the webhook has no serving certificate', fix: 'create it (cert-manager or `ephemeral-guard certs`), or pass --secret with its name' })
    return
  }
  const { certs, bad } = pemCertificates(b64(obj(facts.secret['data'])['tls.crt']))
  const leaf = certs[0]
  if (leaf === undefined) {
    found.push({ level: 'error', subject, message: `tls.crt holds no certificate${bad > 0 ? ' that parses' : ''}`, fix: 'recreate the serving certificate' })
    return
  }
  const notAfter = new Date(leaf.validTo)
  const notBefore = new Date(leaf.validFrom)
  const left = notAfter.getTime() - now.getTime()
  if (left <= 0) found.push({ level: 'error', subject, message: `serving certificate expired ${notAfter.toISOString()}: the API server refuses it`, fix: 'renew the certificate (cert-manager renews on its own; else rerun `ephemeral-guard certs`)' })
  else if (notBefore.getTime() > now.getTime()) found.push({ level: 'error', subject, message: `serving certificate not valid before ${notBefore.toISOString()}`, fix: 'check the clocks, or reissue the certificate' })
  else if (left < facts.expiryWarningMs) found.push({ level: 'warning', subject, message: `serving certificate expires ${notAfter.toISOString()} (in ${formatAge(left)})`, fix: 'renew it before then' })
  else found.push({ level: 'ok', subject, message: `serving certificate valid until ${notAfter.toISOString()}` })
  const host = `${names.service}.${names.namespace}.svc`
  if (leaf.checkHost(host) === undefined) found.push({ level: 'error', subject, message: `serving certificate is not valid for ${host}, the name the API server calls`, fix: `reissue it with the DNS names ${host} and ${host}.cluster.local` })
  for (const l of live) {
    const at = `${l.kind.toLowerCase()}/${l.configuration} (webhook ${String(l.webhook['name'])})`
    const clientConfig = obj(l.webhook['clientConfig'])
    const bundle = pemCertificates(b64(clientConfig['caBundle'])).certs
    if (clientConfig['url'] !== undefined) {
      // Whatever listens at the URL serves its own certificate, which need not be this Secret's.
      found.push({ level: 'ok', subject: at, message: `caBundle not checked: clientConfig.url ${String(clientConfig['url'])} serves a certificate doctor cannot read (the Secret's need not be it)` })
    } else if (bundle.length === 0) {
      found.push({ level: 'error', subject: at, message: 'caBundle is empty or holds no certificate: the API server cannot verify the webhook', fix: 'set clientConfig.caBundle to the CA that signed the serving certificate (cert-manager CA injection, or the self-managed overlay)' })
    } else if (!verifiesAgainst(leaf, certs.slice(1), bundle)) {
      found.push({ level: 'error', subject: at, message: `caBundle does not verify the serving certificate in ${subject}: every call fails TLS`, fix: 'set clientConfig.caBundle to the CA that signed the current serving certificate' })
    } else {
      const expired = bundle.filter((c) => new Date(c.validTo).getTime() <= now.getTime())
      if (expired.length === bundle.length) found.push({ level: 'error', subject: at, message: 'every CA in caBundle has expired', fix: 'rotate the CA and caBundle' })
      else found.push({ level: 'ok', subject: at, message: 'caBundle verifies the serving certificate' })
    }
  }
}

function policyChecks(facts: InstallFacts, found: DoctorFinding[]): void {
  const { names } = facts
  const subject = `configmap/${names.configMap} -n ${names.namespace}`
  if (facts.configMap === undefined) {
    if (facts.policyCrds === true) return
    found.push({ level: 'error', subject, message: 'not found: the webhook has no policy to load', fix: 'create it from your policy file, or pass --configmap with its name' })
    return
  }
  const text = obj(facts.configMap['data'])[names.policyKey]
  if (typeof text !== 'string') {
    found.push({ level: 'error', subject, message: `has no key ${names.policyKey}`, fix: `put the policy under data.${names.policyKey} (or pass --policy-key)` })
    return
  }
  try {
    const { policy, rules } = parsePolicy(text, `${subject} key ${names.policyKey}`)
    found.push({ level: 'ok', subject, message: `policy ${policy.name} (${policy.hash}) loads: ${rules.length} rule${rules.length === 1 ? '' : 's'}; compare the hash with the webhook's /readyz` })
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e
    found.push({ level: 'error', subject, message: `policy does not load: ${e.problems.join('; ')}`, fix: 'fix it (ephemeral-guard policy check FILE); the webhook keeps its last good policy meanwhile' })
  }
}

export function installationFindings(facts: InstallFacts): DoctorFinding[] {
  const found: DoctorFinding[] = []
  const live = webhookChecks(facts, found)
  serviceChecks(facts, live, found)
  certificateChecks(facts, live, found)
  policyChecks(facts, found)
  return found
}

export { policyConfigMapOf } from '../policy/in-force.js'

const kindSubject = (s: { kind: string; name: string; namespace?: string }): string => `${s.kind.toLowerCase()}/${s.name}${s.namespace === undefined ? '' : ` -n ${s.namespace}`}`

/**
 * The policy objects: which are in force, and which are not served or served only from their last
 * good version (design note §2, §6), each with what is wrong.
 */
export function policyObjectFindings(p: Pick<PoliciesInForce, 'source' | 'inForce' | 'states' | 'conflicting'>): DoctorFinding[] {
  const found: DoctorFinding[] = []
  const fix = 'fix it (ephemeral-guard policy check FILE shows every problem) and apply it again'
  for (const s of p.states) {
    if (s.problems.length === 0) continue
    const subject = kindSubject(s)
    if (s.servedFrom === 'lastGood') {
      found.push({ level: 'warning', subject, message: `Invalid: its last good version (${s.served!.ref.hash}) is served instead: ${s.problems.join('; ')}`, fix })
    } else {
      found.push({ level: 'error', subject, message: `Invalid and never valid: not served: ${s.problems.join('; ')}`, fix })
    }
  }
  const mutating = p.states.find((s) => s.served?.mutations !== undefined && !p.conflicting.some((c) => c.name === s.name && c.kind === s.kind))
  for (const c of p.conflicting) {
    found.push({
      level: 'error', subject: kindSubject(c),
      message: `ConflictingMutations: defines spec.mutations, as ${mutating === undefined ? 'an older policy' : `${kindSubject(mutating)} (older)`} does: not served at all`,
      fix: 'keep spec.mutations in one cluster policy only',
    })
  }
  found.push({ level: 'ok', subject: 'policies in force', message: `${p.inForce.join(', ')} (${p.source}); compare with the webhook's /readyz` })
  return found
}
