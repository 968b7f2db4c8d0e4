#!/usr/bin/env bash
# Start-up time and memory of a layerfs mount beside fuse-overlayfs's, in one run.
#
#   sudo examples/bench/mount-footprint.sh [MOUNTS]          # default 50 concurrent mounts
#
# 1. Mount time: from starting the mount command until the mount is usable (a stat of a file
#    through it answers), JVM start included; 5 times each, interleaved.
# 2. Memory of one mount after a walk (find over the whole tree, stat of every file): the
#    daemon's RSS and PSS (PSS splits shared pages, e.g. the JDK's libraries, between processes).
# 3. MOUNTS mounts at once over the same lower tree, each with its own upper: total RSS and PSS
#    of the daemons after a walk of every mount, and the time to start them one after another.
# The lower tree is the harness's small fixture if present (/tmp/bench-ufs/fixture-small/lower),
# otherwise a generated 2,000-file tree. LAYERFS names the launcher (default: layerfs on PATH).
# SYSTEMS (default "fuse-overlayfs layerfs layerfs-host") may add layerfs-c1: layerfs whose JVMs
# (launcher and daemon) stop at the C1 JIT (LAYERFS_JAVA_OPTS=-XX:TieredStopAtLevel=1), an
# option-only variant. layerfs-host: every mount served by one `layerfs host` process (started
# here on its own socket, $WORK/host.sock), asked with `layerfs mount -o host=SOCKET,...`; its
# memory is the host's, its mount time still includes the `layerfs mount` launcher JVM. In 3.
# the host's own PSS before the first mount is printed too (the per-mount cost is the rest).
# layerfs-host-socket: the same host asked by a thin client (python3, the request written to the
# socket directly): the host's own mount time, without a JVM on the client side.
set -euo pipefail

MOUNTS=${1:-50}
WORK=${WORK:-/tmp/bench-footprint}
LAYERFS=${LAYERFS:-$(command -v layerfs || true)}
[ "$(id -u)" = 0 ] || { echo "mount-footprint: run as root" >&2; exit 2; }
[ -n "$LAYERFS" ] && [ -x "$LAYERFS" ] || { echo "mount-footprint: no layerfs launcher (run ./install.sh or set LAYERFS)" >&2; exit 2; }
command -v fuse-overlayfs >/dev/null || { echo "mount-footprint: needs fuse-overlayfs (apt-get install fuse-overlayfs)" >&2; exit 2; }

HOST_PID=
cleanup() {
  for m in "$WORK"/m*/mnt; do
    mountpoint -q "$m" 2>/dev/null || continue
    case "$(findmnt -no FSTYPE "$m")" in
      fuse.layerfs) "$LAYERFS" umount "$m" >/dev/null 2>&1 || umount -l "$m" ;;
      *) fusermount3 -u "$m" 2>/dev/null || umount -l "$m" ;;
    esac
  done
  if [ -n "$HOST_PID" ]; then kill "$HOST_PID" 2>/dev/null || true; wait "$HOST_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT
cleanup
rm -rf "$WORK" && mkdir -p "$WORK"
LOWER=${LOWER:-/tmp/bench-ufs/fixture-small/lower}
if [ ! -d "$LOWER" ]; then
  LOWER=$WORK/lower
  for d in $(seq 0 39); do mkdir -p "$LOWER/d$d"; for f in $(seq 0 49); do head -c $((1024 + f * 97)) /dev/urandom > "$LOWER/d$d/f$f"; done; done
fi
files=$(find "$LOWER" -type f | wc -l)
probe=$(cd "$LOWER" && find . -type f -print -quit)

prep() { rm -rf "$WORK/m$1" && mkdir -p "$WORK/m$1"/{upper,work,mnt}; }
mount_sys() { # system i
  local d=$WORK/m$2
  case "$1" in
    layerfs) "$LAYERFS" mount -o "dirs=$d/upper=rw:$LOWER=ro" "$d/mnt" ;;
    layerfs-host) "$LAYERFS" mount -o "host=$WORK/host.sock,dirs=$d/upper=rw:$LOWER=ro" "$d/mnt" ;;
    layerfs-host-socket) host_request "dirs=$d/upper=rw:$LOWER=ro,engine=wire" "$d/mnt" ;;
    layerfs-c1) LAYERFS_JAVA_OPTS=-XX:TieredStopAtLevel=1 "$LAYERFS" mount -o "dirs=$d/upper=rw:$LOWER=ro" "$d/mnt" ;;
    fuse-overlayfs) fuse-overlayfs -o "lowerdir=$LOWER,upperdir=$d/upper,workdir=$d/work" "$d/mnt" ;;
  esac
}
host_request() { # options mountpoint: one mount request as dev.layerfs.host.HostRequest spells it
  python3 - "$WORK/host.sock" "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(("mount\0%s\0%s\0quiet" % (sys.argv[2], sys.argv[3])).encode())
s.shutdown(socket.SHUT_WR)
answer = b"".join(iter(lambda: s.recv(4096), b"")).decode()
if not answer.startswith("ok"):
    sys.exit("layerfs host: " + answer.replace("\n", " "))
PY
}
umount_sys() { # system i
  local pid; pid=$(daemon_pid "$1" "$2")
  [[ $1 != layerfs-host* ]] || pid=   # the host stays; layerfs umount returns once it let go of the mount
  case "$1" in
    layerfs*) "$LAYERFS" umount "$WORK/m$2/mnt" || true ;;   # on a loaded host the JVM may exit late
    fuse-overlayfs) fusermount3 -u "$WORK/m$2/mnt" || true ;;
  esac
  for _ in $(seq 300); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  # seen here: fuse-overlayfs 1.10 daemons that stay after their mount is gone; end them
  echo "mount-footprint: daemon $pid of $1 #$2 still running 30 s after its unmount; killing it" >&2
  kill "$pid" 2>/dev/null || true
}
daemon_pid() { # system i
  local m=$WORK/m$2/mnt
  [[ $1 != layerfs-host* ]] || { echo "$HOST_PID"; return; }
  # the process that has this mount point as its last argument
  ps -eo pid=,args= | awk -v m="$m" '$NF == m && $0 !~ / umount / {print $1; exit}'
}
mem_kb() { # pid -> "rss pss"
  awk '/^Rss:/{r=$2} /^Pss:/{p=$2} END{print r, p}' "/proc/$1/smaps_rollup"
}
SYSTEMS=${SYSTEMS:-fuse-overlayfs layerfs layerfs-host}
if [[ " $SYSTEMS " == *" layerfs-host"* ]]; then
  # the launcher execs java: $! is the host JVM itself
  # the JVM options of examples/systemd/layerfs-host.service
  LAYERFS_JAVA_OPTS="-Dfile.encoding=ISO-8859-1 -Xms8m ${LAYERFS_JAVA_OPTS:-}" "$LAYERFS" host --socket "$WORK/host.sock" \
    > "$WORK/host.log" 2>&1 &
  HOST_PID=$!
  for _ in $(seq 300); do [ -S "$WORK/host.sock" ] && break; kill -0 "$HOST_PID" || { cat "$WORK/host.log" >&2; exit 1; }; sleep 0.1; done
fi
PARTS=" ${PARTS:-1 2 3} "   # which of the three measurements to run
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

echo "lower: $LOWER ($files files); load $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cpus"
if [[ $PARTS == *" 1 "* ]]; then
echo "== 1. mount time (ms until a stat through the mount answers), 5 each, interleaved"
declare -A times=()
for round in 1 2 3 4 5; do
  for sys in $SYSTEMS; do
    prep 0
    t0=$(date +%s%N)
    mount_sys "$sys" 0
    until stat "$WORK/m0/mnt/$probe" >/dev/null 2>&1; do sleep 0.005; done
    times[$sys]+="$(ms_since "$t0") "
    umount_sys "$sys" 0
  done
done
for sys in $SYSTEMS; do
  med=$(tr ' ' '\n' <<<"${times[$sys]}" | grep . | sort -n | sed -n 3p)
  echo "| $sys | mount ms: ${times[$sys]}| median $med |"
done
if [ -n "$HOST_PID" ]; then
  live=$(grep -o 'live [0-9]* ms after the request' "$WORK/host.log" | awk '{print $2}' | tr '\n' ' ')
  med=$(tr ' ' '\n' <<<"$live" | grep . | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  echo "| the host itself (its log: request to live mount) | ms: $live| median $med |"
fi

fi
if [[ $PARTS == *" 2 "* ]]; then
echo "== 2. one mount after a walk: daemon RSS / PSS (KiB)"
for sys in $SYSTEMS; do
  prep 0; mount_sys "$sys" 0
  find "$WORK/m0/mnt" -type f -printf '%s\n' | wc -l >/dev/null
  pid=$(daemon_pid "$sys" 0)
  read -r rss pss < <(mem_kb "$pid")
  echo "| $sys | pid $pid | RSS $rss KiB | PSS $pss KiB |"
  umount_sys "$sys" 0
done

fi
[[ $PARTS == *" 3 "* ]] || exit 0
echo "== 3. $MOUNTS mounts at once, each walked; totals over the daemons"
for sys in $SYSTEMS; do
  if [[ $sys == layerfs-host* ]]; then
    read -r rss pss < <(mem_kb "$HOST_PID")
    echo "| $sys: the host before these mounts | RSS $((rss / 1024)) MiB | PSS $((pss / 1024)) MiB |"
  fi
  t0=$(date +%s%N)
  for i in $(seq 1 "$MOUNTS"); do prep "$i"; mount_sys "$sys" "$i"; done
  start_ms=$(ms_since "$t0")
  for i in $(seq 1 "$MOUNTS"); do find "$WORK/m$i/mnt" -type f | wc -l >/dev/null; done
  rss_total=0 pss_total=0 n=0
  for pid in $(for i in $(seq 1 "$MOUNTS"); do daemon_pid "$sys" "$i"; done | sort -u); do
    read -r rss pss < <(mem_kb "$pid")   # one host serves them all: counted once
    rss_total=$((rss_total + rss)); pss_total=$((pss_total + pss)); n=$((n + 1))
  done
  free_mb=$(awk '/MemAvailable/{print int($2/1024)}' /proc/meminfo)
  served=$(for i in $(seq 1 "$MOUNTS"); do findmnt -no FSTYPE "$WORK/m$i/mnt"; done | grep -c fuse || true)
  echo "| $sys | $served mounts, $n processes | started in $start_ms ms | total RSS $((rss_total / 1024)) MiB | total PSS $((pss_total / 1024)) MiB | per mount PSS $((pss_total / (served > 0 ? served : 1))) KiB | MemAvailable now $free_mb MiB |"
  for i in $(seq 1 "$MOUNTS"); do umount_sys "$sys" "$i"; done
done
