// The one adapter to the Kubernetes API used by `audit` and `doctor`: @kubernetes/client-node's
// KubeConfig resolves the cluster, credentials and TLS settings (kubeconfig file, KUBECONFIG, in-cluster
// service account, exec plugins); requests go out raw so objects arrive exactly as the API server
// stores them (the webhook judges raw JSON too) and a list page is parsed once, then dropped.
import { request as httpsRequest, type RequestOptions } from 'node:https'
import { request as httpRequest } from 'node:http'
import { KubeConfig } from '@kubernetes/client-node'
import { ClusterError } from '../errors.js'
import { isJsonObject, type JsonObject, type JsonValue } from '../kube/types.js'

export interface KubeApiOptions {
  readonly kubeconfig?: string
  readonly context?: string
  /** Per request, milliseconds. */
  readonly timeoutMs?: number
  /** kubectl's --as and --as-group: every request impersonates this user and these groups. */
  readonly impersonate?: { readonly user?: string; readonly groups?: readonly string[] }
}

/** The Impersonate-* headers of `options.impersonate` (none without it). */
export function impersonationHeaders(options: KubeApiOptions): Record<string, string | string[]> {
  const { user, groups = [] } = options.impersonate ?? {}
  return { ...(user !== undefined ? { 'impersonate-user': user } : {}), ...(groups.length > 0 ? { 'impersonate-group': [...groups] } : {}) }
}

export interface KubeApi {
  readonly server: string
  /** GET a JSON object; throws ClusterError (with the HTTP status when there was one). */
  get(path: string): Promise<JsonObject>
  /** GET that answers undefined for 404 instead of throwing. */
  getOptional(path: string): Promise<JsonObject | undefined>
  /** Server-side apply of one object (PATCH application/apply-patch+yaml, force). */
  apply(path: string, object: JsonObject, fieldManager: string): Promise<JsonObject>
  delete(path: string): Promise<void>
  /** Any request with a JSON body (POST, PUT, merge PATCH); the HTTP status and the object answered. Throws ClusterError outside 2xx. */
  send(method: string, path: string, body: JsonObject, contentType?: string): Promise<{ status: number; object: JsonObject }>
  /**
   * A watch (`path` with watch=1): each event ({type, object}) to `onEvent` as it arrives, one line at a
   * time, until the server ends the stream (resolves) or `signal` aborts (resolves). Throws ClusterError
   * when the watch cannot be opened.
   */
  watch(path: string, onEvent: (event: JsonObject) => void, signal?: AbortSignal): Promise<void>
}

const REQUEST_TIMEOUT_MS = 30_000

/** Loads the kubeconfig as kubectl would: --kubeconfig, else $KUBECONFIG, ~/.kube/config, in-cluster. */
function loadKubeConfig(options: KubeApiOptions): KubeConfig {
  const kc = new KubeConfig()
  try {
    if (options.kubeconfig !== undefined) kc.loadFromFile(options.kubeconfig)
    else kc.loadFromDefault()
  } catch (e) {
    throw new ClusterError(`cannot load kubeconfig${options.kubeconfig ? ` ${options.kubeconfig}` : ''}: ${firstLine((e as Error).message)}`)
  }
  if (options.context !== undefined) {
    if (kc.getContextObject(options.context) === null) throw new ClusterError(`context ${JSON.stringify(options.context)} not found in the kubeconfig`)
    kc.setCurrentContext(options.context)
  }
  if (kc.getCurrentCluster() === null) throw new ClusterError('no cluster in the kubeconfig (set --kubeconfig or KUBECONFIG, or --context)')
  return kc
}

const firstLine = (s: string): string => s.split('\n')[0]!.trim()

function statusMessage(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown }
    // One line: Status messages may hold newlines (aggregated errors).
    if (typeof body.message === 'string' && body.message !== '') return body.message.split('\n').map((l) => l.trim()).filter(Boolean).join(' ')
  } catch { /* not a Status */ }
  return text.trim() === '' ? `HTTP ${status}` : firstLine(text).slice(0, 300)
}

export function createKubeApi(options: KubeApiOptions): KubeApi {
  return kubeApiFrom(loadKubeConfig(options), options)
}

/** The API of a kubeconfig already loaded (serve: --kubeconfig, or in-cluster). */
export function kubeApiFrom(kc: KubeConfig, options: Omit<KubeApiOptions, 'kubeconfig' | 'context'> = {}): KubeApi {
  const server = kc.getCurrentCluster()!.server.replace(/\/+$/, '')
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS

  /** The request options with the kubeconfig's credentials applied (client certificate, token, CA). */
  const authenticated = async (opts: RequestOptions): Promise<RequestOptions> => {
    try {
      await kc.applyToHTTPSOptions(opts)
    } catch (e) {
      throw new ClusterError(`cannot authenticate to ${server}: ${firstLine((e as Error).message)}`)
    }
    return opts
  }

  const call = async (method: string, path: string, body?: string, contentType?: string): Promise<{ status: number; text: string }> => {
    const opts = await authenticated({ method, headers: { accept: 'application/json', ...(contentType ? { 'content-type': contentType } : {}), ...impersonationHeaders(options) }, timeout: timeoutMs })
    const url = new URL(`${server}${path}`)
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest
    return new Promise((resolve, reject) => {
      const req = send(url, opts, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', (e) => reject(new ClusterError(`${method} ${server}${path}: ${e.message}`)))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
      })
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)))
      req.on('error', (e: NodeJS.ErrnoException) => reject(new ClusterError(`cannot reach the API server at ${server}: ${e.code ? `${e.code} ` : ''}${firstLine(e.message)}`)))
      req.end(body)
    })
  }

  const json = (method: string, path: string, status: number, text: string): JsonObject => {
    if (status < 200 || status > 299) {
      throw new ClusterError(`${method} ${path}: ${status === 401 ? 'unauthorized (check the kubeconfig credentials): ' : ''}${statusMessage(status, text)}`, status)
    }
    let parsed: JsonValue
    try {
      parsed = JSON.parse(text) as JsonValue
    } catch {
      throw new ClusterError(`${method} ${path}: the API server answered ${status} with a body that is not JSON`, status)
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ClusterError(`${method} ${path}: expected a JSON object`, status)
    return parsed
  }

  return {
    server,
    get: async (path) => {
      const r = await call('GET', path)
      return json('GET', path, r.status, r.text)
    },
    getOptional: async (path) => {
      const r = await call('GET', path)
      return r.status === 404 ? undefined : json('GET', path, r.status, r.text)
    },
    apply: async (path, object, fieldManager) => {
      const q = `${path}?fieldManager=${encodeURIComponent(fieldManager)}&force=true`
      const r = await call('PATCH', q, JSON.stringify(object), 'application/apply-patch+yaml')
      return json('PATCH', path, r.status, r.text)
    },
    delete: async (path) => {
      const r = await call('DELETE', path)
      if (r.status !== 404) json('DELETE', path, r.status, r.text)
    },
    send: async (method, path, body, contentType = 'application/json') => {
      const r = await call(method, path, JSON.stringify(body), contentType)
      return { status: r.status, object: json(method, path, r.status, r.text) }
    },
    watch: async (path, onEvent, signal) => {
      const opts = await authenticated({ method: 'GET', headers: { accept: 'application/json', ...impersonationHeaders(options) } })
      const url = new URL(`${server}${path}`)
      const send = url.protocol === 'http:' ? httpRequest : httpsRequest
      if (signal?.aborted === true) return
      await new Promise<void>((resolve, reject) => {
        const req = send(url, opts, (res) => {
          if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) > 299) {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () => reject(new ClusterError(`GET ${path}: ${statusMessage(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))}`, res.statusCode)))
            return
          }
          let buffered = ''
          res.setEncoding('utf8')
          res.on('data', (text: string) => {
            buffered += text
            let nl: number
            while ((nl = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, nl).trim()
              buffered = buffered.slice(nl + 1)
              if (line === '') continue
              let event: JsonValue
              try {
                event = JSON.parse(line) as JsonValue
              } catch {
                req.destroy(new Error('a watch event that is not JSON'))
                return
              }
              if (isJsonObject(event)) onEvent(event)
            }
          })
          res.on('end', () => resolve())
          res.on('error', () => resolve())
        })
        const abort = (): void => { req.destroy(); resolve() }
        signal?.addEventListener('abort', abort, { once: true })
        req.on('close', () => signal?.removeEventListener('abort', abort))
        req.on('error', (e: NodeJS.ErrnoException) => {
          if (signal?.aborted === true) resolve()
          else reject(new ClusterError(`watch ${path}: ${e.code ? `${e.code} ` : ''}${firstLine(e.message)}`))
        })
        req.end()
      })
    },
  }
}

/**
 * Every item of a list, page by page (limit/continue), so only one page is held at a time.
 * `onPage` sees each page's items; the caller keeps what it needs.
 */
export async function forEachPage(api: Pick<KubeApi, 'get'>, path: string, limit: number, onPage: (items: readonly JsonObject[]) => void): Promise<void> {
  let token: string | undefined
  do {
    const sep = path.includes('?') ? '&' : '?'
    const page = await api.get(`${path}${sep}limit=${limit}${token ? `&continue=${encodeURIComponent(token)}` : ''}`)
    const items = Array.isArray(page['items']) ? page['items'].filter(isJsonObject) : []
    onPage(items)
    const meta = page['metadata']
    const next = isJsonObject(meta) ? meta['continue'] : undefined
    token = typeof next === 'string' && next !== '' ? next : undefined
  } while (token !== undefined)
}
