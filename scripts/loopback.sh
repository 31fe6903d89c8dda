#!/usr/bin/env bash
# Usage: bash scripts/loopback.sh CMD [ARGS...]
#
# Runs CMD in a fresh network namespace that holds nothing but `lo` (brought up): loopback
# (127.0.0.0/8, ::1) works, and a connect to any other address fails at once with ENETUNREACH, so
# nothing CMD or its children do (kube-apiserver dialing a Service, a stray URL in a test) can leave
# this machine. Used by `npm run test:e2e`, `npm run bench` and `.ci/run`; build first, outside: Go
# modules and npm packages cannot be fetched in here.
#
# As root it uses `unshare -n`, otherwise `unshare -rn` (a user namespace mapping you to root).
# If neither works, or if the namespace it got is not loopback-only, it refuses: it prints why and
# exits 125 without running CMD. It never runs CMD outside the namespace.
set -euo pipefail

self="${BASH_SOURCE[0]}"
REFUSED=125

refuse() {
  echo "loopback.sh: refusing to run ${cmd_text:-the command}: $*" >&2
  exit "$REFUSED"
}

if [ "${1:-}" != --in-namespace ]; then
  [ $# -ge 1 ] || { echo "usage: bash scripts/loopback.sh CMD [ARGS...]" >&2; exit 2; }
  cmd_text="'$*'"
  command -v unshare >/dev/null 2>&1 || refuse "'unshare' (util-linux) is not installed"
  if [ "$(id -u)" -eq 0 ]; then flags=(-n); else flags=(-rn); fi
  # Probe first, so that a failure of CMD is never mistaken for a failure to unshare.
  if ! probe=$(unshare "${flags[@]}" true 2>&1); then
    refuse "cannot create a network namespace with 'unshare ${flags[*]}': ${probe:-no reason given}" \
      "(needs root, or unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces > 0)"
  fi
  exec unshare "${flags[@]}" -- bash "$self" --in-namespace "$@"
fi

# Inside the new namespace.
shift
cmd_text="'$*'"
[ $# -ge 1 ] || refuse "no command given"
command -v ip >/dev/null 2>&1 || refuse "'ip' (iproute2) is not installed; it is needed to bring up lo"
ip link set lo up 2>/dev/null || refuse "cannot bring up lo in the new namespace"

# Loopback only: no interface but lo, and no route anywhere else (IPv4 main table empty, no IPv6
# route through anything but lo). Checked, not dialed: a connect test that went wrong would leave.
# /proc/net is this process's namespace (/sys/class/net would show the namespace sysfs was mounted in).
others=$(awk -F: 'NR > 2 { gsub(/ /, "", $1); if ($1 != "lo") print $1 }' /proc/net/dev | tr '\n' ' ')
[ -z "$others" ] || refuse "interfaces other than lo exist in the namespace (${others% }): not loopback-only"
if [ "$(sed 1d /proc/net/route | grep -c .)" -ne 0 ]; then
  refuse "the namespace has IPv4 routes: $(sed 1d /proc/net/route | tr '\n' ';')"
fi
if [ -r /proc/net/ipv6_route ] && awk '$10 != "lo" { bad = 1 } END { exit !bad }' /proc/net/ipv6_route; then
  refuse "the namespace has IPv6 routes through another interface than lo"
fi
ip -o link show dev lo 2>/dev/null | grep -q '[<,]UP[,>]' || refuse "lo is still down"
ip -o -4 addr show dev lo 2>/dev/null | grep -q ' 127\.0\.0\.1/' || refuse "lo has no 127.0.0.1"

echo "loopback.sh: loopback-only network namespace (lo up, no other interface or route): $*" >&2
exec "$@"
