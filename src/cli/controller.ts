// `controller`: flags into a ControllerConfig (controller/run.ts assembles everything from it), and
// SIGTERM/SIGINT into a clean stop that hands the Lease over at once.
import { hostname } from 'node:os'
import { parseDuration } from '../duration.js'
import { UsageError } from '../errors.js'
import { createLogger } from '../log.js'
import { stringOf, type Io, type Parsed } from './command.js'
import { kubeApiOptions } from './cluster.js'
import { logDestination } from './serve.js'
import { parsePort } from './usage.js'

/** A Go duration flag from `min` up, in milliseconds. */
function durationFlag(flag: string, value: string, minMs: number): number {
  const parsed = parseDuration(value)
  if (!parsed.ok) throw new UsageError(`--${flag}: ${parsed.error}`)
  if (parsed.value < minMs) throw new UsageError(`--${flag} must be at least ${minMs >= 1000 ? `${minMs / 1000}s` : `${minMs}ms`}, got ${value}`)
  return parsed.value
}

export async function controller({ values }: Parsed, io: Io): Promise<undefined> {
  const flag = (name: string): string => stringOf(values, name)!
  const leaseDurationMs = durationFlag('lease-duration', flag('lease-duration'), 1000)
  const renewMs = durationFlag('renew-interval', flag('renew-interval'), 100)
  const retryMs = durationFlag('retry-interval', flag('retry-interval'), 100)
  if (renewMs * 3 > leaseDurationMs * 2) throw new UsageError('--renew-interval must be at most two thirds of --lease-duration (the holder stops writing when it could not renew for that long)')
  const resyncMs = durationFlag('resync-period', flag('resync-period'), 1000)
  const debounceMs = durationFlag('debounce', flag('debounce'), 0)
  const port = parsePort('--metrics-port', flag('metrics-port'))
  const identity = stringOf(values, 'identity') ?? io.env['POD_NAME'] ?? `${hostname()}_${process.pid}`
  if (identity === '') throw new UsageError('--identity must not be empty')
  const kube = kubeApiOptions(values, io.env)
  const destination = logDestination(io.stdout)
  const logger = createLogger({ env: io.env, ...(destination !== undefined ? { destination } : {}) })
  const { startController } = await import('../controller/run.js')
  const running = await startController({
    kube, identity, leaseNamespace: flag('lease-namespace'), leaseName: flag('lease-name'),
    leaseDurationMs, renewMs, retryMs, resyncMs, debounceMs, host: flag('metrics-host'), port, logger,
  })
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    running.stop().then(() => process.exit(0), (err: unknown) => {
      logger.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  return undefined
}
