#!/usr/bin/env bash
# Smoke test of the e2e harness: builds (if needed), starts the harness in a
# temp dir, adds an ephemeral container with `kubectl debug` (no -i/-t), checks
# spec.ephemeralContainers and the audit log, then stops it with SIGTERM. Runs inside
# scripts/loopback.sh (loopback-only network namespace) once built.
# Usage: test/e2e/harness/smoke.sh     (KEEP=1 keeps the temp dir)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Build outside (Go modules need the proxy), then run the rest in a loopback-only network namespace.
if [ -z "${SMOKE_BIN:-}" ]; then
  bin="$("$here/../build.sh" | tail -n1)"
  exec bash "$here/../../../scripts/loopback.sh" env SMOKE_BIN="$bin" bash "${BASH_SOURCE[0]}" "$@"
fi
bin="$SMOKE_BIN"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/ephemeral-guard-smoke.XXXXXX")"
data="$tmp/data"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "smoke: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
fail() { echo "smoke: FAIL: $*" >&2; [ -f "$data/apiserver.log" ] && tail -n 20 "$data/apiserver.log" >&2; exit 1; }

t0=$(date +%s.%N)
"$bin/harness" --data-dir "$data" >"$tmp/harness.stdout" 2>"$tmp/harness.stderr" &
pid=$!
for _ in $(seq 1 600); do
  [ -f "$data/ready" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/harness.stderr" >&2; fail "harness exited before ready"; }
  sleep 0.2
done
[ -f "$data/ready" ] || fail "not ready after 120s"
echo "smoke: ready in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }')"

export KUBECONFIG="$data/kubeconfig"
k() { "$bin/kubectl" "$@"; }
k get ns default >/dev/null || fail "kubectl get ns"
k create namespace smoke >/dev/null
k -n smoke create serviceaccount default >/dev/null # no controller-manager: create it ourselves
k -n smoke apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: target}
spec:
  containers: [{name: app, image: busybox}]
EOF
k -n smoke debug pod/target --image=busybox --profile=general -c dbg >/dev/null 2>&1 || fail "kubectl debug"
ec="$(k -n smoke get pod target -o jsonpath='{.spec.ephemeralContainers[*].name}')"
[ "$ec" = dbg ] || fail "spec.ephemeralContainers names = '$ec', want 'dbg'"
grep -q '"subresource":"ephemeralcontainers"' "$data/audit.log" || fail "no ephemeralcontainers audit event"
echo "smoke: kubectl debug ok, audit event present"

t1=$(date +%s.%N)
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=""
echo "smoke: harness exited with code $rc after $(awk -v a="$t1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }')"
[ "$rc" = 0 ] || fail "harness exit code $rc"
echo "smoke: PASS"
