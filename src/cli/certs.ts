// `certs --namespace NS --service SVC --out DIR [--days N] [--new-ca]`: certificate material and a
// kustomize Component for manifests/overlays/self-managed (see src/certs/self-managed.ts).
import { parseArgs } from 'node:util'
import { CertsError, checkOptions, writeSelfManaged } from '../certs/self-managed.js'
import { UsageError } from './usage.js'

export async function certsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      namespace: { type: 'string' },
      service: { type: 'string' },
      out: { type: 'string' },
      days: { type: 'string' },
      'new-ca': { type: 'boolean', default: false },
    },
  })
  if (positionals.length > 0) throw new UsageError(`certs takes no arguments besides its flags, got ${JSON.stringify(positionals[0])}`)
  const { namespace, service, out } = values
  if (namespace === undefined || service === undefined || out === undefined) throw new UsageError('certs needs --namespace NS, --service SVC and --out DIR')
  const days = values.days === undefined ? undefined : Number(values.days)
  try {
    checkOptions({ namespace, service, ...(days === undefined ? {} : { days }) })
  } catch (e) {
    throw e instanceof CertsError ? new UsageError(e.message) : e
  }
  try {
    const r = await writeSelfManaged({ namespace, service, out, newCa: values['new-ca'], ...(days === undefined ? {} : { days }) })
    process.stdout.write([
      `${r.caCreated ? 'created a new CA' : 'kept the CA'} (valid until ${r.caNotAfter.toISOString()}); caBundle: ${r.caBundle.length} certificate${r.caBundle.length === 1 ? '' : 's'}`,
      `serving certificate for ${r.dnsNames.join(', ')}, valid until ${r.notAfter.toISOString()}`,
      ...r.files.map((f) => `wrote ${f}`),
      'Keep ca.key private: it is needed to renew. Apply with: kubectl apply -k <the overlay that includes this directory>',
      '',
    ].join('\n'))
    return 0
  } catch (e) {
    if (!(e instanceof CertsError)) throw e
    process.stderr.write(`ephemeral-guard: ${e.message}\n`)
    return 1
  }
}
