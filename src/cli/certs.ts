// `certs --namespace NS --service SVC --out DIR [--days N] [--new-ca]`: certificate material and a
// kustomize Component for manifests/overlays/self-managed (see src/certs/self-managed.ts).
import { checkOptions, writeSelfManaged } from '../certs/self-managed.js'
import { CertsError, UsageError } from '../errors.js'
import { fail, flagOf, stringOf, type Io, type Parsed } from './command.js'

export async function certsCommand({ values }: Parsed, io: Io): Promise<number> {
  const namespace = stringOf(values, 'namespace')
  const service = stringOf(values, 'service')
  const out = stringOf(values, 'out')
  if (namespace === undefined || service === undefined || out === undefined) throw new UsageError('needs --namespace NS, --service SVC and --out DIR')
  const daysText = stringOf(values, 'days')
  const days = daysText === undefined ? undefined : Number(daysText)
  try {
    checkOptions({ namespace, service, ...(days === undefined ? {} : { days }) })
  } catch (e) {
    throw e instanceof CertsError ? new UsageError(e.message) : e
  }
  try {
    const r = await writeSelfManaged({ namespace, service, out, newCa: flagOf(values, 'new-ca'), ...(days === undefined ? {} : { days }) })
    io.stdout.write([
      `${r.caCreated ? 'created a new CA' : 'kept the CA'} (valid until ${r.caNotAfter.toISOString()}); caBundle: ${r.caBundle.length} certificate${r.caBundle.length === 1 ? '' : 's'}`,
      `serving certificate for ${r.dnsNames.join(', ')}, valid until ${r.notAfter.toISOString()}`,
      ...r.files.map((f) => `wrote ${f}`),
      'Keep ca.key private: it is needed to renew. Apply with: kubectl apply -k <the overlay that includes this directory>',
      '',
    ].join('\n'))
    return 0
  } catch (e) {
    if (!(e instanceof CertsError)) throw e
    fail(io, 'certs', e.message)
    return 1
  }
}
