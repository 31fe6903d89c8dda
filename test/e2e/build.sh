#!/usr/bin/env bash
# Builds the e2e binaries from Go modules (no Docker, no downloads of prebuilt
# binaries):
#   .bin/<k8s version>/harness  - kube-apiserver + embedded etcd (harness/cmd/harness)
#   .bin/<k8s version>/kubectl  - k8s.io/kubernetes/cmd/kubectl, same version
# Idempotent: if both binaries exist and are newer than every input
# (harness/go.mod, go.sum, *.go, this script) it only says so and exits.
#
# Environment:
#   FORCE=1            rebuild even if up to date
#   BUILD_PARALLELISM  value for `go build -p` (default: Go's own, = CPU count)
#
# Prints the directory holding the binaries as its last line on stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
harness_dir="$here/harness"

die() { echo "build.sh: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

command -v go >/dev/null 2>&1 ||
  die "'go' not found on PATH. Install Go >= 1.26 (e.g. from the Go distribution or your package manager) and retry."

go_version="$(go env GOVERSION 2>/dev/null)" || die "'go env GOVERSION' failed; is the Go installation broken?"
case "$go_version" in
  go1.2[6-9]* | go1.[3-9][0-9]* | go[2-9]*) ;;
  *) die "need Go >= 1.26 (k8s.io/kubernetes v1.37 requires it), found '$go_version'." ;;
esac

[ -f "$harness_dir/go.mod" ] || die "missing $harness_dir/go.mod"
k8s_version="$(sed -n 's/^[[:space:]]*\(require[[:space:]]\{1,\}\)\{0,1\}k8s\.io\/kubernetes[[:space:]]\{1,\}\(v[0-9][^[:space:]]*\).*/\2/p' "$harness_dir/go.mod" | head -n1)"
[ -n "$k8s_version" ] || die "cannot find the k8s.io/kubernetes version in $harness_dir/go.mod"

out="$here/.bin/$k8s_version"
harness_bin="$out/harness"
kubectl_bin="$out/kubectl"

up_to_date() {
  local bin
  for bin in "$harness_bin" "$kubectl_bin"; do
    [ -x "$bin" ] || return 1
    # Any input newer than the binary means a rebuild.
    if [ -n "$(find "$harness_dir" "${BASH_SOURCE[0]}" \
        \( -name go.mod -o -name go.sum -o -name '*.go' -o -name build.sh \) \
        -newer "$bin" -print -quit)" ]; then
      return 1
    fi
  done
}

start="$(now)"
if [ "${FORCE:-0}" != 1 ] && up_to_date; then
  echo "build.sh: up to date: $out (harness, kubectl; $go_version) [$(elapsed "$start")]" >&2
  echo "$out"
  exit 0
fi

mkdir -p "$out"
pkg_cb=k8s.io/component-base/version
pkg_cg=k8s.io/client-go/pkg/version
minor="${k8s_version#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for p in "$pkg_cb" "$pkg_cg"; do
  ldflags+=" -X $p.gitVersion=$k8s_version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
done
build_flags=(-trimpath -buildvcs=false -mod=readonly -ldflags "$ldflags")
if [ -n "${BUILD_PARALLELISM:-}" ]; then
  build_flags+=(-p "$BUILD_PARALLELISM")
fi

cd "$harness_dir"
export CGO_ENABLED=0

echo "build.sh: building k8s $k8s_version binaries into $out with $go_version" >&2
t="$(now)"
go mod download || die "go mod download failed (needs the Go module proxy)"
echo "build.sh: go mod download: $(elapsed "$t")" >&2

build() { # name package
  local name="$1" pkg="$2" t
  t="$(now)"
  rm -f "$out/.$name.tmp"
  go build "${build_flags[@]}" -o "$out/.$name.tmp" "$pkg" || die "go build $pkg failed"
  mv -f "$out/.$name.tmp" "$out/$name"
  echo "build.sh: built $name: $(elapsed "$t") ($(du -h "$out/$name" | cut -f1))" >&2
}
build harness ./cmd/harness
build kubectl k8s.io/kubernetes/cmd/kubectl

"$kubectl_bin" version --client >/dev/null 2>&1 || die "built kubectl does not run"
echo "build.sh: done in $(elapsed "$start")" >&2
echo "$out"
