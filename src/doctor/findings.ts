// What `doctor` reports: one line per finding, each with the fix.
export type Level = 'error' | 'warning' | 'ok'

export interface DoctorFinding {
  readonly level: Level
  /** The object concerned, kubectl style: `validatingwebhookconfiguration/kyverno (webhook validate.kyverno.svc)`. */
  readonly subject: string
  /** What is wrong, or for `ok` what was checked. */
  readonly message: string
  /** What to do; absent for `ok`. */
  readonly fix?: string
}

const LABEL: Readonly<Record<Level, string>> = { error: 'ERROR  ', warning: 'WARNING', ok: 'ok     ' }

export const formatFinding = (f: DoctorFinding): string => `${LABEL[f.level]} ${f.subject}: ${f.message}${f.fix ? `. Fix: ${f.fix}` : ''}`

/** 1 when anything is wrong (errors or warnings), else 0; errors reaching the cluster are 2, elsewhere. */
export const doctorExitCode = (findings: readonly DoctorFinding[]): 0 | 1 => (findings.some((f) => f.level !== 'ok') ? 1 : 0)
