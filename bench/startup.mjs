// Whole-process start-up, timed from spawn: the CLI commands to their exit, and `serve` to its first
// `/readyz` 200 over HTTPS (with a policy file and no kubeconfig). Each against `node -e 0` on the same
// machine at the same time: the commands are run in turn, round after round, and medians are shown.
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'

const root = new URL('..', import.meta.url).pathname
const main = join(root, 'dist/main.js')

/** Runs a command to its exit; resolves with the wall time from spawn, in ms. */
function timeExit(args) {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (c) => { stderr += c })
    child.on('error', reject)
    child.on('exit', (code) => {
      const ms = performance.now() - start
      if (code !== 0) reject(new Error(`${args.join(' ')}: exit ${code}: ${stderr.trim()}`))
      else resolve(ms)
    })
  })
}

const get = (port, path, ca) => new Promise((resolve, reject) => {
  const req = request({ host: '127.0.0.1', port, path, ca, servername: 'localhost', agent: false }, (res) => {
    res.resume()
    res.on('end', () => resolve(res.statusCode))
  })
  req.on('error', reject)
  req.end()
})

/**
 * Starts `serve` on a free port and resolves with the ms from spawn to the first 200 of GET /readyz
 * (asked as soon as the "serving" log line names the port), then kills it.
 */
function timeServe({ certFile, keyFile, caCert, policyFile }) {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(process.execPath, [main, 'serve', '--host', '127.0.0.1', '--port', '0', '--metrics-host', '127.0.0.1', '--metrics-port', '0',
      '--tls-cert', certFile, '--tls-key', keyFile, '--policy', policyFile], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBERNETES_SERVICE_HOST: '' } })
    let out = ''
    let err = ''
    let asked = false
    child.stderr.on('data', (c) => { err += c })
    child.on('error', reject)
    child.on('exit', (code, signal) => { if (!asked) reject(new Error(`serve exited (${code ?? signal}) before serving: ${err.trim()}${out.trim()}`)) })
    child.stdout.on('data', (c) => {
      out += c
      if (asked) return
      const line = out.split('\n').find((l) => l.includes('"ephemeral-guard serving"'))
      if (line === undefined) return
      asked = true
      const port = JSON.parse(line).addresses.find((a) => a.family === 'IPv4' || a.family === 4)?.port ?? JSON.parse(line).addresses[0].port
      const ask = () => get(port, '/readyz', caCert).then((status) => {
        if (status !== 200) return ask()
        const ms = performance.now() - start
        child.kill('SIGKILL')
        resolve(ms)
      }, (e) => { child.kill('SIGKILL'); reject(e) })
      ask()
    })
  })
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/**
 * Times every command `runs` times, interleaved; resolves with { name: { median, min, max, goal } }.
 * `certs`: PEM strings from generateCertificates (written to a temporary folder for serve).
 */
export async function startupTimes({ certs, runs = 7 }) {
  const dir = mkdtempSync(join(tmpdir(), 'eg-bench-'))
  const certFile = join(dir, 'tls.crt')
  const keyFile = join(dir, 'tls.key')
  writeFileSync(certFile, certs.cert)
  writeFileSync(keyFile, certs.key)
  const review = join(root, 'test/fixtures/admission-review/debug-general.json')
  const policyFile = join(root, 'policies/default.yaml')
  const commands = [
    { name: 'node -e 0', run: () => timeExit(['-e', '0']) },
    { name: '--version', goal: 150, run: () => timeExit([main, '--version']) },
    { name: '--help', goal: 150, run: () => timeExit([main, '--help']) },
    { name: 'review FILE', goal: 300, run: () => timeExit([main, 'review', review]) },
    { name: 'policy check FILE', goal: 300, run: () => timeExit([main, 'policy', 'check', policyFile]) },
    { name: 'serve to /readyz 200', goal: 400, run: () => timeServe({ certFile, keyFile, caCert: certs.caCert, policyFile }) },
  ]
  const times = Object.fromEntries(commands.map((c) => [c.name, []]))
  for (const c of commands) await c.run() // warm the file cache once
  for (let i = 0; i < runs; i++) for (const c of commands) times[c.name].push(await c.run())
  return Object.fromEntries(commands.map((c) => [c.name, { median: median(times[c.name]), min: Math.min(...times[c.name]), max: Math.max(...times[c.name]), goal: c.goal }]))
}
