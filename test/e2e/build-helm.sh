#!/usr/bin/env bash
# Builds the Helm 3 CLI used by helm.test.ts from its Go module (no prebuilt
# binaries are downloaded):
#   .bin/helm-<version>/helm  - `go install helm.sh/helm/v3/cmd/helm@<version>`
# The build runs OUTSIDE the harness module: harness/go.mod pins the Kubernetes
# modules with replace lines that do not fit Helm's own requirements, so the
# install is done in module mode from a scratch directory (GOFLAGS=-mod=mod).
# Idempotent: if the binary exists, is newer than this script, runs and reports
# the wanted version, it only says so and exits.
#
# Environment:
#   HELM_VERSION       Helm version to build (default v3.22.0)
#   HELM_K8S_MINOR     Kubernetes minor Helm assumes offline (default 37, from
#                      the k8s.io/client-go v0.37.0 that Helm v3.22.0 requires)
#   FORCE=1            rebuild even if present
#   BUILD_PARALLELISM  value for `go build -p` (default: Go's own, = CPU count)
#
# Prints the directory holding the binary as its last line on stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="${HELM_VERSION:-v3.22.0}"

die() { echo "build-helm.sh: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

case "$version" in
  v3.*) ;;
  *) die "HELM_VERSION must be a Helm 3 release tag like v3.22.0, got '$version'." ;;
esac

command -v go >/dev/null 2>&1 ||
  die "'go' not found on PATH. Install Go (see build.sh for the version the e2e suite needs) and retry."

out="$here/.bin/helm-$version"
helm_bin="$out/helm"

up_to_date() {
  [ -x "$helm_bin" ] || return 1
  # A change to this script (e.g. its link flags) means a rebuild.
  [ -z "$(find "${BASH_SOURCE[0]}" -newer "$helm_bin" -print -quit)" ] || return 1
  # `helm version --template` prints the version linked in below.
  [ "$("$helm_bin" version --template '{{.Version}}' 2>/dev/null)" = "$version" ]
}

start="$(now)"
if [ "${FORCE:-0}" != 1 ] && up_to_date; then
  echo "build-helm.sh: up to date: $helm_bin ($version) [$(elapsed "$start")]" >&2
  echo "$out"
  exit 0
fi

mkdir -p "$out"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# The same link-time settings as Helm's release Makefile: the version string
# (otherwise `helm version` says only "v3.22") and the Kubernetes version Helm
# assumes for .Capabilities and lint's deprecation check when no cluster is
# asked (the Makefile takes it from the k8s.io/client-go v0.X.Y Helm requires:
# 1.X; v3.22.0 requires v0.37.0, which is also the harness's Kubernetes minor).
k8s_minor="${HELM_K8S_MINOR:-37}"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X $p.k8sVersionMajor=1 -X $p.k8sVersionMinor=$k8s_minor"
done
build_flags=(-trimpath -buildvcs=false -ldflags "$ldflags")
if [ -n "${BUILD_PARALLELISM:-}" ]; then
  build_flags+=(-p "$BUILD_PARALLELISM")
fi

echo "build-helm.sh: building helm $version into $out with $(go env GOVERSION)" >&2
# From a directory outside any module, so no go.mod (and none of the harness's
# replace lines) applies; `go install pkg@version` then uses Helm's go.mod.
cd "$scratch"
export CGO_ENABLED=0 GO111MODULE=on GOFLAGS=-mod=mod GOWORK=off
# Install into a temporary GOBIN first so a failed build never leaves a
# half-written binary behind.
GOBIN="$scratch/bin" go install "${build_flags[@]}" "helm.sh/helm/v3/cmd/helm@$version" ||
  die "go install helm.sh/helm/v3/cmd/helm@$version failed (needs the Go module proxy)"
mv -f "$scratch/bin/helm" "$helm_bin"

up_to_date || die "built helm does not run or does not report $version: $("$helm_bin" version 2>&1 || true)"
echo "build-helm.sh: done in $(elapsed "$start") ($(du -h "$helm_bin" | cut -f1))" >&2
echo "$out"
