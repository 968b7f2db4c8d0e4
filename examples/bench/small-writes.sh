#!/usr/bin/env bash
# Small writes through a union, layerfs beside its peers in one interleaved run: what a process
# that appends a line at a time (a log, a journal) pays per write(2).
#
#   sudo examples/bench/small-writes.sh [ROUNDS]        # default 5 rounds
#
# Each round mounts every system afresh over the same lower file (copied up by the first write,
# untimed) and times, one system after the other in an order rotated every round:
#   1-byte    dd bs=1 count=$N1 conv=notrunc oflag=append      (N1=20000 write(2) calls of 1 byte)
#   4-KiB     dd bs=4096 count=$N4 conv=notrunc oflag=append   (N4=5000, 20 MB)
# Systems: layerfs (the default mount), layerfs-nokillpriv (-Dlayerfs.wire.killpriv=false: the
# kernel asks for security.capability before every write, as before HANDLE_KILLPRIV_V2),
# fuse-overlayfs, unionfs-fuse, kernel overlay. Prints microseconds per write(2), medians, and
# each system's ratio to kernel overlay and to the best FUSE peer; raw rows in $WORK/results.csv.
# Needs root, the layerfs launcher (./install.sh, or LAYERFS=/path/to/layerfs) and the peers
# (apt-get install fuse-overlayfs unionfs-fuse). Env: WORK (/tmp/bench-small-writes), N1, N4.
set -euo pipefail
ROUNDS=${1:-5}
N1=${N1:-20000}
N4=${N4:-5000}
WORK=${WORK:-/tmp/bench-small-writes}
LAYERFS=${LAYERFS:-$(command -v layerfs || true)}
[ "$(id -u)" = 0 ] || { echo "small-writes: run as root (it mounts)" >&2; exit 2; }
[ -n "$LAYERFS" ] && [ -x "$LAYERFS" ] || { echo "small-writes: no layerfs launcher (run ./install.sh or set LAYERFS)" >&2; exit 2; }
for tool in fuse-overlayfs unionfs-fuse dd; do
  command -v "$tool" >/dev/null || { echo "small-writes: needs $tool" >&2; exit 2; }
done

SYSTEMS=(layerfs layerfs-nokillpriv fuse-overlayfs unionfs-fuse overlay)
MNT=$WORK/mnt
cleanup() { mountpoint -q "$MNT" && umount "$MNT" 2>/dev/null || true; }
trap cleanup EXIT
cleanup
rm -rf "$WORK" && mkdir -p "$WORK/lower" "$MNT"
printf 'the first line\n' > "$WORK/lower/log"
CSV=$WORK/results.csv
echo "round,system,workload,writes,seconds,us_per_write" > "$CSV"

mount_system() { # system; fresh upper and work directories each time
  rm -rf "$WORK/upper" "$WORK/work" && mkdir -p "$WORK/upper" "$WORK/work"
  case $1 in
    layerfs) "$LAYERFS" mount -o "dirs=$WORK/upper=rw:$WORK/lower=ro" "$MNT" ;;
    layerfs-nokillpriv) LAYERFS_JAVA_OPTS=-Dlayerfs.wire.killpriv=false "$LAYERFS" mount -o "dirs=$WORK/upper=rw:$WORK/lower=ro" "$MNT" ;;
    fuse-overlayfs) fuse-overlayfs -o "lowerdir=$WORK/lower,upperdir=$WORK/upper,workdir=$WORK/work" "$MNT" 2>/dev/null ;;
    unionfs-fuse) unionfs-fuse -o cow,allow_other "$WORK/upper=RW:$WORK/lower=RO" "$MNT" ;;
    overlay) mount -t overlay overlay -o "lowerdir=$WORK/lower,upperdir=$WORK/upper,workdir=$WORK/work" "$MNT" ;;
  esac
}
umount_system() {
  case $1 in
    layerfs*) "$LAYERFS" umount "$MNT" ;;
    *) umount "$MNT" ;;
  esac
}
timed() { # round system workload writes bs
  local t0 t1 s
  t0=$(date +%s%N)
  dd if=/dev/zero of="$MNT/log" bs="$5" count="$4" conv=notrunc oflag=append status=none
  t1=$(date +%s%N)
  s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
  echo "$1,$2,$3,$4,$s,$(awk -v s="$s" -v n="$4" 'BEGIN { printf "%.2f", s * 1e6 / n }')" >> "$CSV"
}

for r in $(seq 1 "$ROUNDS"); do
  order=("${SYSTEMS[@]:$(( (r - 1) % ${#SYSTEMS[@]} ))}" "${SYSTEMS[@]:0:$(( (r - 1) % ${#SYSTEMS[@]} ))}")
  for sys in "${order[@]}"; do
    mount_system "$sys"
    printf 'x' >> "$MNT/log"   # the copy-up, untimed
    sync
    timed "$r" "$sys" 1-byte "$N1" 1
    timed "$r" "$sys" 4-KiB "$N4" 4096
    expected=$(( 15 + 1 + N1 + N4 * 4096 ))
    size=$(stat -c %s "$MNT/log")
    [ "$size" = "$expected" ] || { echo "small-writes: $sys: the file has $size bytes, expected $expected" >&2; exit 1; }
    umount_system "$sys"
  done
  echo "round $r done"
done

echo
echo "microseconds per write(2), median of $ROUNDS rounds (ratio: to kernel overlay; to the best FUSE peer of fuse-overlayfs and unionfs-fuse)"
python3 - "$CSV" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
med = {}
for w in ("1-byte", "4-KiB"):
    for s in ("layerfs", "layerfs-nokillpriv", "fuse-overlayfs", "unionfs-fuse", "overlay"):
        v = [float(r["us_per_write"]) for r in rows if r["system"] == s and r["workload"] == w]
        med[s, w] = (statistics.median(v), min(v), max(v))
for w in ("1-byte", "4-KiB"):
    best = min(med["fuse-overlayfs", w][0], med["unionfs-fuse", w][0])
    print(f"{w} writes:")
    for s in ("layerfs", "layerfs-nokillpriv", "fuse-overlayfs", "unionfs-fuse", "overlay"):
        m, lo, hi = med[s, w]
        print(f"  {s:20} {m:8.2f} us  ({lo:.2f}-{hi:.2f})  x{m / med['overlay', w][0]:6.1f} overlay  x{m / best:5.2f} best FUSE peer")
EOF
echo "raw: $CSV"
