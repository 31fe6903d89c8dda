// The YAML parse of a policy on a worker thread (issue 18). Parsing is the one step of a compile that
// cannot pause between rules: a 1.3 MB policy (3,000 rules) takes about a second, which on the event
// loop would hold every admission request for as long. On a worker it holds none; the result crosses
// back as plain data (the document as JSON-like values, or the parser's messages), and the rules are
// then compiled on the event loop in slices (load.ts parsePolicyAsync): Ajv's compiled functions
// cannot cross threads.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/** How a policy's YAML is read, on the event loop (parsePolicy) and on the worker alike. */
export const YAML_PARSE_OPTIONS = { uniqueKeys: true, prettyErrors: false } as const
/** Aliases are bounded: a "billion laughs" document is refused, not expanded. */
export const YAML_TO_JS_OPTIONS = { maxAliasCount: 100 } as const
/** The worker's heap limit: far above what a policy of MAX_POLICY_BYTES needs, far below the pod's memory limit. */
export const YAML_WORKER_HEAP_MB = 192

/** A parser message (its first line) and the character offset where the problem starts. */
export interface YamlProblem { readonly message: string; readonly offset: number }

/** The document, the parser's problems, or what toJS threw. */
export type YamlResult =
  | { readonly value: unknown }
  | { readonly errors: readonly YamlProblem[] }
  | { readonly thrown: string }

// Plain JavaScript (eval: no loader, no TypeScript), needing only the yaml package, whose file is passed in.
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads')
const { parseDocument } = require(workerData.yaml)
const doc = parseDocument(workerData.text, workerData.parse)
if (doc.errors.length > 0) {
  parentPort.postMessage({ errors: doc.errors.map((e) => ({ message: e.message.split('\\n')[0], offset: e.pos[0] })) })
} else {
  let result
  try {
    result = { value: doc.toJS(workerData.toJS) }
  } catch (e) {
    result = { thrown: e instanceof Error ? e.message : String(e) }
  }
  parentPort.postMessage(result)
}
`

const YAML_MODULE = createRequire(import.meta.url).resolve('yaml')

/**
 * Parses YAML on a new worker thread and ends it. Rejects if the worker fails (out of memory: it is
 * limited to heapMb) or ends without an answer.
 */
export function parseYamlOffThread(text: string, heapMb: number = YAML_WORKER_HEAP_MB): Promise<YamlResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(SCRIPT, {
      eval: true,
      workerData: { text, yaml: YAML_MODULE, parse: YAML_PARSE_OPTIONS, toJS: YAML_TO_JS_OPTIONS },
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: Math.min(32, heapMb) },
      stdout: true,
      stderr: true,
    })
    let answered = false
    worker.once('message', (result: YamlResult) => {
      answered = true
      resolve(result)
      void worker.terminate()
    })
    worker.once('error', (e) => reject(e))
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the YAML parser's thread ended (code ${code}) without an answer`))
    })
  })
}
