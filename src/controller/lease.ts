// Leader election through a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: the
// holder renews spec.renewTime every few seconds; a candidate takes the Lease over once the record it
// last saw has not changed for leaseDurationSeconds of its OWN clock (never comparing clocks between
// machines); every write carries the resourceVersion read, so of two candidates at most one wins.
// nextLease() is the pure decision; LeaderElector is the I/O edge and the loop.

export interface LeaseRecord {
  /** '' when released. */
  readonly holder: string
  readonly durationSeconds: number
  readonly acquireTime?: string
  readonly renewTime?: string
  readonly transitions: number
}

export interface ObservedLease {
  readonly record: LeaseRecord
  readonly resourceVersion: string
}

/** What this candidate saw last, and when by its own clock. */
export interface Observation {
  readonly key: string
  readonly atMs: number
}

export type LeaseAction =
  | { readonly kind: 'create'; readonly record: LeaseRecord }
  | { readonly kind: 'update'; readonly record: LeaseRecord; readonly resourceVersion: string }
  | { readonly kind: 'wait'; readonly holder: string }

/** metav1.MicroTime: RFC 3339 with six fractional digits. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')

export const recordKey = (r: LeaseRecord): string => JSON.stringify([r.holder, r.durationSeconds, r.acquireTime ?? '', r.renewTime ?? '', r.transitions])

/**
 * The next step for candidate `me` at `nowMs`, given the Lease as read (undefined: there is none) and
 * when this candidate first saw that exact record. A record unchanged for its leaseDurationSeconds
 * (or released: no holder) may be taken over.
 */
export function nextLease(current: ObservedLease | undefined, seen: Observation | undefined, me: string, nowMs: number, durationSeconds: number): LeaseAction {
  const now = microTime(nowMs)
  if (current === undefined) return { kind: 'create', record: { holder: me, durationSeconds, acquireTime: now, renewTime: now, transitions: 0 } }
  const r = current.record
  if (r.holder === me) return { kind: 'update', resourceVersion: current.resourceVersion, record: { ...r, durationSeconds, renewTime: now } }
  if (r.holder !== '') {
    // A record this candidate has not seen before counts from now.
    const unchangedSince = seen !== undefined && seen.key === recordKey(r) ? seen.atMs : nowMs
    if (nowMs - unchangedSince < r.durationSeconds * 1000) return { kind: 'wait', holder: r.holder }
  }
  return {
    kind: 'update',
    resourceVersion: current.resourceVersion,
    record: { holder: me, durationSeconds, acquireTime: now, renewTime: now, transitions: r.transitions + 1 },
  }
}

/** The Lease as stored, read and written by the elector. */
export interface LeaseIo {
  read(): Promise<ObservedLease | undefined>
  /** false: someone else created it first (409). */
  create(record: LeaseRecord): Promise<boolean>
  /** false: the resourceVersion is stale (409): someone else wrote in between. */
  update(record: LeaseRecord, resourceVersion: string): Promise<boolean>
}

export interface ElectorOptions {
  readonly identity: string
  readonly durationMs: number
  /** How often the holder renews. */
  readonly renewMs: number
  /** How often a candidate retries. */
  readonly retryMs: number
  readonly now?: () => number
  /** Called with true when this process starts leading, false when it stops. */
  readonly onChange?: (leading: boolean) => void
  /** A failed read or write (the loop goes on). */
  readonly onError?: (e: Error) => void
}

export class LeaderElector {
  private leading = false
  private lastRenewMs = 0
  private seen: Observation | undefined
  private readonly now: () => number

  constructor(private readonly io: LeaseIo, private readonly o: ElectorOptions) {
    this.now = o.now ?? Date.now
  }

  /**
   * True only while this process holds a Lease renewed within the renew deadline (two thirds of the
   * lease duration, client-go's default ratio): a holder that cannot renew stops writing before
   * anyone else may take over.
   */
  isLeader(): boolean {
    return this.leading && this.now() - this.lastRenewMs < this.renewDeadlineMs()
  }

  private renewDeadlineMs(): number {
    return Math.floor((this.o.durationMs * 2) / 3)
  }

  private set(leading: boolean): void {
    if (leading === this.leading) return
    this.leading = leading
    this.o.onChange?.(leading)
  }

  /** One round: read, decide, write. Returns whether this process leads afterwards. */
  async tryOnce(): Promise<boolean> {
    const started = this.now()
    try {
      const current = await this.io.read()
      if (current !== undefined) {
        const key = recordKey(current.record)
        if (this.seen?.key !== key) this.seen = { key, atMs: this.now() }
      }
      const action = nextLease(current, this.seen, this.o.identity, this.now(), Math.max(1, Math.round(this.o.durationMs / 1000)))
      if (action.kind === 'wait') {
        this.set(false)
        return false
      }
      const ok = action.kind === 'create' ? await this.io.create(action.record) : await this.io.update(action.record, action.resourceVersion)
      if (!ok) {
        this.set(false)
        return false
      }
      this.seen = { key: recordKey(action.record), atMs: this.now() }
      this.lastRenewMs = started
      this.set(true)
      return true
    } catch (e) {
      this.o.onError?.(e as Error)
      if (this.leading && !this.isLeader()) this.set(false)
      return this.leading
    }
  }

  /** Hands the Lease over at once (holder '', as client-go's ReleaseOnCancel); stops leading first. */
  async release(): Promise<void> {
    if (!this.leading) return
    this.set(false)
    try {
      const current = await this.io.read()
      if (current?.record.holder !== this.o.identity) return
      await this.io.update({ ...current.record, holder: '', durationSeconds: 1, renewTime: microTime(this.now()) }, current.resourceVersion)
    } catch (e) {
      this.o.onError?.(e as Error)
    }
  }

  /** Rounds until `signal` aborts: every renewMs while leading, retryMs otherwise; then releases. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const leading = await this.tryOnce()
      await sleep(leading ? this.o.renewMs : this.o.retryMs, signal)
    }
    await this.release()
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
