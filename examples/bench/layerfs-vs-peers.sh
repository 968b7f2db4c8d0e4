#!/usr/bin/env bash
# layerfs beside its peers, in one interleaved run of the shared union benchmark harness.
#
#   sudo examples/bench/layerfs-vs-peers.sh [--harness PATH] [unionbench options...]
#   sudo examples/bench/layerfs-vs-peers.sh --scale small --rounds 1     # smoke test, ~10 min
#   sudo examples/bench/layerfs-vs-peers.sh --rounds 3                   # the published run
#
# 1. Installs the peers from Debian: fuse-overlayfs, unionfs-fuse, mergerfs (kernel overlay is
#    built in), after an apt-get update. SKIP_APT=1 skips this.
# 2. Runs unionbench.sh --peers plus layerfs, mounted through the installed launcher exactly as
#    a user would: `layerfs mount -o dirs=$UPPER=rw:$LOWER=ro $MNT` / `layerfs umount $MNT`.
#    Every other argument goes to unionbench.sh (--rounds, --scale, --workloads, ...).
#
# The harness lives outside the repository; its path is --harness or, by default,
# ../shared/bench/unionbench.sh next to the repository root. LAYERFS names the launcher
# (default: `layerfs` on PATH; `PREFIX=/tmp/p ./install.sh` then LAYERFS=/tmp/p/bin/layerfs).
# LAYERFS_OPTS adds mount options (e.g. "attr_timeout=60") and LAYERFS_NAME renames the system,
# so option experiments run beside the default in the same run:
#   LAYERFS_VARIANTS="layerfs-attr60:attr_timeout=60" adds a second layerfs system;
#   "layerfs-c1:attr_timeout=60:-XX:TieredStopAtLevel=1" also sets the daemon's JVM options.
# Results go to the harness's results directory (printed at the end; summary.md is the table).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
harness="$repo/../shared/bench/unionbench.sh"
if [ ! -e "$harness" ] && main=$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir 2>/dev/null); then
  harness="$(dirname "$main")/../shared/bench/unionbench.sh"   # in a git worktree: beside the main checkout
fi
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --harness) harness=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

[ "$(id -u)" = 0 ] || { echo "layerfs-vs-peers: run as root (the harness bind-mounts and drops caches)" >&2; exit 2; }
[ -x "$harness" ] || { echo "layerfs-vs-peers: no harness at $harness (give --harness PATH)" >&2; exit 2; }
LAYERFS=${LAYERFS:-$(command -v layerfs || true)}
[ -n "$LAYERFS" ] && [ -x "$LAYERFS" ] || { echo "layerfs-vs-peers: no layerfs launcher (run ./install.sh or set LAYERFS)" >&2; exit 2; }

if [ "${SKIP_APT:-0}" != 1 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    fuse-overlayfs unionfs-fuse mergerfs >/dev/null
fi

# One --name/--mount/--umount triple per layerfs variant; the default first.
systems=()
add_layerfs() { # name extra-options [jvm-options]
  local opts="dirs=\$UPPER=rw:\$LOWER=ro${2:+,$2}" env=""
  [ -n "${3:-}" ] && env="LAYERFS_JAVA_OPTS='${3//+/ }' "
  systems+=(--name "$1"
            --mount "$env'$LAYERFS' mount -o $opts \$MNT"
            --umount "'$LAYERFS' umount \$MNT")
}
add_layerfs "${LAYERFS_NAME:-layerfs}" "${LAYERFS_OPTS:-}"
for v in ${LAYERFS_VARIANTS:-}; do   # NAME:MOUNT-OPTIONS[:JVM-OPTIONS, '+' for spaces]
  IFS=: read -r name opts jvm <<<"$v"
  add_layerfs "$name" "$opts" "$jvm"
done

echo "layerfs-vs-peers: harness $harness, launcher $LAYERFS"
echo "layerfs-vs-peers: load before start: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cpus"
exec "$harness" --peers "${systems[@]}" "${args[@]}"
