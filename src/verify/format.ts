// `ephemeral-guard test` output: a table with a diff under each failure, JSON, or JUnit XML for CI.
import { relative } from 'node:path'
import { stringify } from 'yaml'
import type { CaseResult, Difference } from './cases.js'

/** Scalars and lists on one line (JSON), objects as YAML. */
const show = (v: unknown): string => (typeof v === 'object' && v !== null && !Array.isArray(v) ? stringify(v, { lineWidth: 0 }).trimEnd() : JSON.stringify(v))

/** `- expected` / `+ actual` lines of one difference, indented under its case. */
function diffLines(d: Difference): string[] {
  const block = (sign: string, v: unknown): string[] => show(v).split('\n').map((l, i) => `${i === 0 ? `${sign} ` : '  '}${l}`)
  return [`${d.field}:`, ...block('-', d.expected), ...block('+', d.actual)].map((l) => `      ${l}`)
}

export const summaryLine = (results: readonly CaseResult[]): string => {
  const failed = results.filter((r) => !r.passed).length
  return `${results.length - failed} passed, ${failed} failed`
}

export function formatTable(results: readonly CaseResult[], cwd: string): string {
  const rows = results.map((r) => [r.passed ? 'PASS' : 'FAIL', relative(cwd, r.file) || r.file, r.name] as const)
  const width = Math.max(4, ...rows.map(([, f]) => f.length))
  const lines = [`RESULT  ${'FILE'.padEnd(width)}  CASE`]
  results.forEach((r, i) => {
    const [status, file, name] = rows[i]!
    lines.push(`${status}    ${file.padEnd(width)}  ${name}`)
    if (!r.passed) for (const d of r.differences) lines.push(...diffLines(d))
  })
  lines.push('', summaryLine(results))
  return `${lines.join('\n')}\n`
}

export const formatJson = (results: readonly CaseResult[]): string => {
  const failed = results.filter((r) => !r.passed).length
  return `${JSON.stringify({ passed: results.length - failed, failed, results }, null, 2)}\n`
}

const xml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** JUnit XML: one testsuite per file, one testcase per case, a failure with the diff. */
export function formatJunit(results: readonly CaseResult[], cwd: string): string {
  const files = [...new Set(results.map((r) => r.file))]
  const failures = results.filter((r) => !r.passed).length
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="ephemeral-guard test" tests="${results.length}" failures="${failures}">`]
  for (const file of files) {
    const mine = results.filter((r) => r.file === file)
    const name = xml(relative(cwd, file) || file)
    out.push(`  <testsuite name="${name}" tests="${mine.length}" failures="${mine.filter((r) => !r.passed).length}">`)
    for (const r of mine) {
      if (r.passed) {
        out.push(`    <testcase classname="${name}" name="${xml(r.name)}"/>`)
        continue
      }
      out.push(`    <testcase classname="${name}" name="${xml(r.name)}">`)
      out.push(`      <failure message="${xml(r.differences.map((d) => d.field).join(', '))} differ">${xml(r.differences.flatMap(diffLines).map((l) => l.trim()).join('\n'))}</failure>`)
      out.push('    </testcase>')
    }
    out.push('  </testsuite>')
  }
  out.push('</testsuites>')
  return `${out.join('\n')}\n`
}
