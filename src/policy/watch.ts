// Reloads the policy file when its content changes, through the content poller (src/content-poller.ts:
// content compared, a change applied after two equal reads one poll apart, an invalid one keeps the
// last good policy and is reported once). Requests in flight keep the policy they started with (the
// server reads the current policy once per request).
//
// Compiling a large policy takes seconds (a 3,000-rule policy with a custom schema per rule: about
// 3 s on an idle core). The timer compiles with parsePolicyAsync: the YAML parsed on a worker thread,
// then the rules compiled in slices of about 10 ms between which requests are answered with the
// policy still in force; the new one takes over when it is whole. The first policy is compiled the
// same way before serve listens. check() (tests, one-off use) compiles at once.
import { performance } from 'node:perf_hooks'
import { readFileSync } from 'node:fs'
import type { Logger } from 'pino'
import { ContentPoller, type PollResult } from '../content-poller.js'
import { parsePolicy, parsePolicyAsync, type LoadedPolicy } from './load.js'
import { PolicyError } from '../errors.js'
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

const unreadable = (file: string, e: Error): PolicyError => new PolicyError(file, [`(file): cannot read: ${e.message}`])

const problemsOf = (e: Error): readonly string[] => (e instanceof PolicyError ? e.problems : [e.message])

/** A loaded policy and how long its compile took (the reload log shows it). */
type Compiled = LoadedPolicy & { readonly compileMs: number }

const timed = (started: number, loaded: LoadedPolicy): Compiled => ({ ...loaded, compileMs: Math.round(performance.now() - started) })

/** Reads a policy file; an unreadable one is a PolicyError. */
function readPolicy(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    throw unreadable(file, e as Error)
  }
}

export class PolicyWatcher {
  private readonly poller: ContentPoller<Compiled>

  /** Parses the initial text unless given compiled; throws PolicyError if it is invalid (serve then refuses to start). */
  constructor(private readonly file: string, initialText: string, logger: Logger, clock?: () => Date, initial?: LoadedPolicy) {
    const started = performance.now()
    this.poller = new ContentPoller<Compiled>({
      files: [file],
      unreadable: (_i, f, e) => unreadable(f, e),
      parse: ([text]) => {
        const t0 = performance.now()
        return timed(t0, parsePolicy(text!.toString('utf8'), file))
      },
      parseAsync: async ([text]) => {
        logger.info({ source: file, bytes: text!.length }, 'policy changed; compiling it while the policy in force keeps serving')
        const t0 = performance.now()
        return timed(t0, await parsePolicyAsync(text!.toString('utf8'), file))
      },
      initial: { contents: [Buffer.from(initialText)], value: timed(started, initial ?? parsePolicy(initialText, file)) },
      logger,
      log: {
        reloaded: ({ policy, compileMs }) => [{ policy: policy.name, hash: policy.hash, source: file, compileMs }, 'policy reloaded'],
        failed: (e, { policy }) => [{ source: file, problems: problemsOf(e), policy: policy.name, hash: policy.hash }, 'policy reload failed; keeping the last good policy'],
      },
      ...(clock ? { clock } : {}),
    })
  }

  /** Reads the file once, so the first policy and the text later reads compare against are the same. */
  static open(file: string, logger: Logger): PolicyWatcher {
    return new PolicyWatcher(file, readPolicy(file), logger)
  }

  /** open(), compiling the first policy without holding the event loop (serve starts this way). */
  static async load(file: string, logger: Logger): Promise<PolicyWatcher> {
    const text = readPolicy(file)
    const started = performance.now()
    const loaded = await parsePolicyAsync(text, file)
    logger.info({ policy: loaded.policy.name, hash: loaded.policy.hash, source: file, rules: loaded.rules.length, compileMs: Math.round(performance.now() - started) }, 'policy compiled')
    return new PolicyWatcher(file, text, logger, undefined, loaded)
  }

  readonly current = (): Policy => this.poller.value.policy

  /** Called after each reload attempt that is also logged: once per changed content or read failure. */
  onReload(listener: PolicyReloadListener): void {
    this.poller.onReload((e) => listener({ result: e.result, policy: e.value.policy }))
  }

  status(): PolicyStatus {
    const { name, hash } = this.poller.value.policy
    const failed = this.poller.lastFailure
    return {
      name, hash, source: this.file, loadedAt: this.poller.since.toISOString(),
      ...(failed ? { reloadError: { message: 'policy file is invalid; the last good policy stays in force', problems: problemsOf(failed.error), at: failed.at.toISOString() } } : {}),
    }
  }

  /**
   * Reads the file once. Returns what happened: unchanged; pending (a change read for the first time,
   * or different from the one read last time: nothing applied yet); reloaded (the same changed text
   * read twice in a row, now in force); invalid (unreadable, or a stable change that is not a valid
   * policy: the last good policy stays).
   */
  check(): PollResult {
    return this.poller.check()
  }

  /**
   * check() as the timer runs it: a stable change is compiled in slices, and the policy in force
   * keeps answering until the new one is whole. While one compile runs, another call returns
   * 'unchanged' without reading.
   */
  checkAsync(): Promise<PollResult> {
    return this.poller.checkAsync()
  }

  start(intervalMs: number): void {
    this.poller.start(intervalMs)
  }

  stop(): void {
    this.poller.stop()
  }
}
