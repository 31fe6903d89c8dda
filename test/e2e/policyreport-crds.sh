#!/usr/bin/env bash
# Fetches the wgpolicyk8s.io PolicyReport and ClusterPolicyReport CRDs (v1alpha2) for the audit e2e
# test, from a Go module that ships them, through the Go module proxy (the only network the CI has).
# Kyverno's module carries them under config/crds/policyreport/; sigs.k8s.io/wg-policy-prototypes is
# not served by the proxy. Nothing is vendored: the files are copied into .bin/ (git-ignored).
#
# Prints the directory holding the two CRD files as its last line on stdout.
set -euo pipefail

module="github.com/kyverno/kyverno"
version="v1.13.4"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/.bin/crds/policyreport-$version"
files=(wgpolicyk8s.io_policyreports.yaml wgpolicyk8s.io_clusterpolicyreports.yaml)

die() { echo "policyreport-crds.sh: error: $*" >&2; exit 1; }

if [ -f "$out/${files[0]}" ] && [ -f "$out/${files[1]}" ]; then
  echo "$out"
  exit 0
fi
command -v go >/dev/null 2>&1 || die "'go' not found on PATH (needed to fetch $module@$version)"

# Outside any module, so the harness module's go.mod is neither read nor changed.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
json="$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "$module@$version")" || die "go mod download $module@$version failed"
dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1)"
[ -n "$dir" ] && [ -d "$dir" ] || die "go mod download gave no Dir for $module@$version: $json"

mkdir -p "$out"
for f in "${files[@]}"; do
  src="$dir/config/crds/policyreport/$f"
  [ -f "$src" ] || die "$module@$version has no config/crds/policyreport/$f"
  cp "$src" "$out/.$f.tmp" && mv -f "$out/.$f.tmp" "$out/$f"
done
echo "policyreport-crds.sh: copied ${files[*]} from $module@$version" >&2
echo "$out"
