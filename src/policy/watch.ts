// Reloads the policy file when its content changes. A mounted ConfigMap changes by a symlink swap
// (..data), which keeps mtimes and inodes of the path unreliable, so the content is compared.
//
// Stable reads: a changed content is applied only when two consecutive polls, one interval apart,
// read the same text (a changed read arms, the next equal read applies). A file rewritten in place
// shows its prefixes while it is written, and most prefixes of a policy are valid, weaker policies;
// a writer that pauses for longer than the interval can still expose one, so writers must replace the
// file atomically (rename), as the kubelet does for a ConfigMap. A valid stable change is swapped in;
// requests in flight keep the policy they started with (the server reads the current policy once per
// request). An invalid stable change keeps the last good policy.
import { readFileSync } from 'node:fs'
import type { Logger } from 'pino'
import { parsePolicy, PolicyError, type LoadedPolicy } from './load.js'
import type { Policy } from '../decision/types.js'

export interface PolicyStatus {
  readonly name: string
  readonly hash: string
  readonly source: string
  readonly loadedAt: string
  /** The last reload that failed, while the file still holds that content. */
  readonly reloadError?: { readonly message: string; readonly problems: readonly string[]; readonly at: string }
}

/**
 * What a reload attempt did, for observers such as metrics: success (the new policy is in force) or
 * failure (the file is unreadable or invalid; `policy` is the last good one, still in force).
 */
export interface PolicyReloadEvent {
  readonly result: 'success' | 'failure'
  readonly policy: Policy
}

export type PolicyReloadListener = (event: PolicyReloadEvent) => void

export class PolicyWatcher {
  private loaded: LoadedPolicy
  private loadedAt = new Date().toISOString()
  /** The text last acted on: applied, or reported invalid. */
  private lastText: string
  /** A changed text read once, applied if the next poll reads it again. */
  private pending: string | undefined
  private reloadError: PolicyStatus['reloadError']
  private readFailed = false
  private timer: NodeJS.Timeout | undefined
  private readonly listeners: PolicyReloadListener[] = []

  /** Parses the initial text; throws PolicyError if it is invalid (serve then refuses to start). */
  constructor(private readonly file: string, initialText: string, private readonly logger: Logger) {
    this.loaded = parsePolicy(initialText, file)
    this.lastText = initialText
  }

  /** Reads the file once, so the first policy and the text later reads compare against are the same. */
  static open(file: string, logger: Logger): PolicyWatcher {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (e) {
      throw new PolicyError(file, [`(file): cannot read: ${(e as Error).message}`])
    }
    return new PolicyWatcher(file, text, logger)
  }

  readonly current = (): Policy => this.loaded.policy

  /** Called after each reload attempt that is also logged: once per changed content or read failure. */
  onReload(listener: PolicyReloadListener): void {
    this.listeners.push(listener)
  }

  private emit(result: PolicyReloadEvent['result']): void {
    for (const l of this.listeners) l({ result, policy: this.loaded.policy })
  }

  status(): PolicyStatus {
    const p = this.loaded.policy
    return { name: p.name, hash: p.hash, source: this.file, loadedAt: this.loadedAt, ...(this.reloadError ? { reloadError: this.reloadError } : {}) }
  }

  /**
   * Reads the file once. Returns what happened: unchanged; pending (a change read for the first time,
   * or different from the one read last time: nothing applied yet); reloaded (the same changed text
   * read twice in a row, now in force); invalid (unreadable, or a stable change that is not a valid
   * policy: the last good policy stays).
   */
  check(): 'unchanged' | 'pending' | 'reloaded' | 'invalid' {
    let text: string
    try {
      text = readFileSync(this.file, 'utf8')
    } catch (e) {
      // A swap in progress can briefly hide the file; keep serving and try again next time.
      if (!this.readFailed) this.fail(new PolicyError(this.file, [`(file): cannot read: ${(e as Error).message}`]), undefined)
      this.readFailed = true
      this.pending = undefined
      return 'invalid'
    }
    if (this.readFailed) {
      this.readFailed = false
      if (text === this.lastText) this.reloadError = undefined
    }
    if (text === this.lastText) {
      this.pending = undefined
      return 'unchanged'
    }
    if (text !== this.pending) {
      this.pending = text
      return 'pending'
    }
    this.pending = undefined
    let next: LoadedPolicy
    try {
      next = parsePolicy(text, this.file)
    } catch (e) {
      this.fail(e, text)
      return 'invalid'
    }
    this.loaded = next
    this.lastText = text
    this.loadedAt = new Date().toISOString()
    this.reloadError = undefined
    this.logger.info({ policy: next.policy.name, hash: next.policy.hash, source: this.file }, 'policy reloaded')
    this.emit('success')
    return 'reloaded'
  }

  private fail(e: unknown, text: string | undefined): void {
    const problems = e instanceof PolicyError ? e.problems : [(e as Error).message]
    if (text !== undefined) this.lastText = text // report a bad version once, not every poll
    this.reloadError = { message: 'policy file is invalid; the last good policy stays in force', problems, at: new Date().toISOString() }
    this.logger.error({ source: this.file, problems, policy: this.loaded.policy.name, hash: this.loaded.policy.hash }, 'policy reload failed; keeping the last good policy')
    this.emit('failure')
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.check(), intervalMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }
}
