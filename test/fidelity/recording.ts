// The recordings of the fidelity corpus: per category, test/fixtures/fidelity/<category>.json maps each
// case id to what the real API server did with it. Written by the e2e suite (FIDELITY_RECORD=1),
// compared by it on every other run, and replayed without a cluster by test/fidelity/corpus.test.ts.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { JsonObject, JsonValue } from '../../src/kube/types.js'
import type { Category, FidelityCase } from './corpus/types.js'

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/fidelity/', import.meta.url))
export const recordingFile = (category: Category): string => `${FIXTURES_DIR}${category}.json`

/** The API server's answer to the dry-run PUT: 200, or the metav1.Status of the refusal as sent. */
export interface RecordedAnswer {
  readonly code: number
  readonly reason?: string
  readonly message?: string
  readonly causes?: readonly JsonObject[]
}

export interface Recording {
  /**
   * The AdmissionReview request every admission webhook was sent (captured by a mutating webhook,
   * which runs before Kubernetes' validation), without what varies from run to run (see
   * normalizeRequest); null when the API server refused the request before admission.
   */
  readonly request: JsonObject | null
  readonly answer: RecordedAnswer
}

export type RecordingFile = Record<string, Recording>

/** The command that rewrites the recordings of some categories (run from the repository root). */
export const recordCommand = (categories: readonly string[]): string =>
  `npm run build && bash test/e2e/build.sh && cd test/e2e && FIDELITY_RECORD=1 FIDELITY_CATEGORIES=${categories.join(',')} bash ../../scripts/loopback.sh npx tap --disable-coverage --timeout=900 fidelity.test.ts`

/** A case's pod name: stable across runs and corpus edits (a hash of the id), a DNS-1123 label. */
export const podNameOf = (c: Pick<FidelityCase, 'id'>): string => `fid-${createHash('sha256').update(c.id).digest('hex').slice(0, 12)}`

export function readRecordings(category: Category): RecordingFile | undefined {
  const file = recordingFile(category)
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as RecordingFile : undefined
}

/** Writes a category's recordings, keys in the corpus' order: the same input gives the same bytes. */
export function writeRecordings(category: Category, cases: readonly FidelityCase[], recorded: ReadonlyMap<string, Recording>): void {
  const out: Record<string, JsonValue> = {}
  for (const c of cases) {
    const r = recorded.get(c.id)
    if (r === undefined) throw new Error(`no recording made for ${c.id}`)
    out[c.id] = r as unknown as JsonValue
  }
  writeFileSync(recordingFile(category), `${formatRecordings(out)}\n`)
}

// Depth from which a value is written on one line: each container, volume, toleration is one line.
const ONE_LINE_DEPTH = 6

/** JSON, indented by two spaces down to ONE_LINE_DEPTH and on one line below it: reviewable and diffable. */
export function formatRecordings(value: JsonValue, depth = 0): string {
  if (typeof value !== 'object' || value === null || depth >= ONE_LINE_DEPTH) return JSON.stringify(value)
  const pad = '  '.repeat(depth + 1)
  const end = '  '.repeat(depth)
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    return `[\n${value.map((v) => `${pad}${formatRecordings(v, depth + 1)}`).join(',\n')}\n${end}]`
  }
  const entries = Object.entries(value)
  if (entries.length === 0) return '{}'
  return `{\n${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}: ${formatRecordings(v, depth + 1)}`).join(',\n')}\n${end}}`
}

const isObject = (v: JsonValue | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v)

// Assigned per run by the API server; no decision reads them.
const RUN_METADATA = ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields'] as const

function withoutRunMetadata(object: JsonValue | undefined): JsonValue | undefined {
  if (!isObject(object) || !isObject(object['metadata'])) return object
  const metadata = { ...object['metadata'] }
  for (const k of RUN_METADATA) delete metadata[k]
  return { ...object, metadata }
}

/**
 * The captured request without what varies from run to run: the request uid, the objects' uid,
 * resourceVersion, creationTimestamp and managedFields, and userInfo.extra (the client
 * certificate's fingerprint; the certificate is made per run). Everything else is kept as sent.
 */
export function normalizeRequest(request: JsonObject): JsonObject {
  const { uid: _uid, ...rest } = request
  const out: JsonObject = { ...rest }
  for (const k of ['object', 'oldObject'] as const) if (out[k] !== undefined) out[k] = withoutRunMetadata(out[k])!
  if (isObject(out['userInfo'])) {
    const { extra: _extra, ...userInfo } = out['userInfo']
    out['userInfo'] = userInfo
  }
  return out
}

/** The answer as recorded: the status code, and for a refusal the Status' reason, message and causes as sent. */
export function answerOf(code: number, body: JsonObject): RecordedAnswer {
  if (code === 200) return { code }
  const details = isObject(body['details']) ? body['details'] : {}
  const causes = Array.isArray(details['causes']) ? details['causes'] as JsonObject[] : undefined
  return {
    code,
    reason: String(body['reason'] ?? ''),
    message: String(body['message'] ?? ''),
    ...(causes === undefined ? {} : { causes }),
  }
}
