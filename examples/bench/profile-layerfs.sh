#!/usr/bin/env bash
# Where layerfs's time goes, workload by workload (the unionbench workloads, on its fixture).
#
#   sudo examples/bench/profile-layerfs.sh [WORKLOAD...]     # default: walk readdir smallread create copyup delete
#
# For each workload, on a fresh mount over the harness's small fixture:
#   ops   mounted with -d: libfuse logs every request; counted per FUSE opcode (the debug log
#         itself slows the daemon, so no time is taken from this pass)
#   time  mounted plainly, caches dropped, the workload timed cold then (read workloads) warm
#   perf  in the timed pass (if perf is installed): CPU samples of the daemon with call graphs
#         (JIT frames named through -XX:+DumpPerfMapAtExit), summed into buckets: JIT compiler,
#         thread attach/detach, GC, kernel FUSE device, Java callbacks, system calls
#   jfr   mounted with LAYERFS_JAVA_OPTS=-XX:StartFlightRecording (profile settings): execution
#         samples of the daemon, aggregated by top frame and by layerfs method on the stack
# Output under $WORK (default /tmp/bench-profile): ops-W.txt, jfr-W.txt, times.txt.
# Needs the fixture (run layerfs-vs-peers.sh --scale small once) and jfr (in the JDK).
set -euo pipefail

WORK=${WORK:-/tmp/bench-profile}
FIX=${FIX:-/tmp/bench-ufs/fixture-small}
LAYERFS=${LAYERFS:-$(command -v layerfs || true)}
EXTRA=${LAYERFS_OPTS:-}          # e.g. attr_timeout=60 to profile an option variant
export LAYERFS_JAVA_OPTS=${JAVA_EXTRA:-}   # JVM options for every pass, e.g. -XX:TieredStopAtLevel=1
[ -d "$FIX/lower" ] || { echo "profile-layerfs: no fixture at $FIX (run layerfs-vs-peers.sh --scale small first)" >&2; exit 2; }
[ -n "$LAYERFS" ] && [ -x "$LAYERFS" ] || { echo "profile-layerfs: no layerfs launcher" >&2; exit 2; }
workloads=("$@"); [ ${#workloads[@]} -gt 0 ] || workloads=(walk readdir smallread create copyup delete)

MNT=$WORK/mnt UPPER=$WORK/upper LOWER=$WORK/lower-ro
cleanup() {
  mountpoint -q "$MNT" 2>/dev/null && { unmount || umount -l "$MNT"; }
  mountpoint -q "$LOWER" 2>/dev/null && umount "$LOWER"
  return 0
}
trap cleanup EXIT
cleanup
mkdir -p "$WORK" "$LOWER"
mount --bind -o ro "$FIX/lower" "$LOWER"

run_workload() { # name: the unionbench command, same paths
  case "$1" in
    walk) find "$MNT" -type f | wc -l >/dev/null; find "$MNT" -type f -printf '%P %s\n' >/dev/null ;;
    readdir) ls -lR "$MNT" >/dev/null ;;
    smallread) tar cf - -C "$MNT" tree flat | wc -c >/dev/null ;;
    create) tar xf "$FIX/create.tar" -C "$MNT" ;;
    copyup) while read -r f; do echo appended >> "$MNT/$f"; done < "$FIX/copyup.list" ;;
    delete) rm -rf "$MNT/tree/d3" ;;
    rename) mkdir "$MNT/flat/moved" && mv -t "$MNT/flat/moved" "$MNT"/flat/f* ;;
    *) echo "unknown workload $1" >&2; return 2 ;;
  esac
}
fresh_mount() { # [extra env assignments via env]
  rm -rf "$UPPER" && mkdir -p "$UPPER" "$MNT"
  "$LAYERFS" mount --log "$WORK/daemon.log" "$@" -o "dirs=$UPPER=rw:$LOWER=ro${EXTRA:+,$EXTRA}" "$MNT"
}
# DROP=0 keeps the host's page cache (e.g. while another benchmark runs): a fresh mount still
# starts with empty FUSE caches, so the op counts and the profile stay those of a first pass.
unmount() { # unmount, then wait for the daemon: on a loaded host its JVM may take longer than umount waits
  local pid; pid=$(daemon_pid)
  "$LAYERFS" umount "$MNT" || true
  for _ in $(seq 300); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  # seen here: a mount namespace created meanwhile (e.g. by an LXC container) keeps a copy of the
  # mount, so the FUSE connection stays open and libfuse never sees the unmount; end the daemon
  echo "profile-layerfs: daemon $pid still running 30 s after its unmount; killing it" >&2
  kill "$pid" 2>/dev/null || true
}
drop() { [ "${DROP:-1}" = 0 ] || { sync; echo 3 > /proc/sys/vm/drop_caches; sleep 2; }; }
daemon_pid() { ps -eo pid=,args= | awk -v m="$MNT" '$NF == m && / -f / {print $1; exit}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime, all threads
ticks() { awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b-a)/hz}'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", (b-a)/1e9}'; }

echo "# layerfs profile $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), opts: ${EXTRA:-default}, JVM: ${JAVA_EXTRA:-default}" | tee -a "$WORK/times.txt"
for w in "${workloads[@]}"; do
  # ops: one debug pass
  : > "$WORK/daemon.log"
  fresh_mount -d; drop; run_workload "$w"; unmount
  grep -o 'opcode: [A-Z_]*' "$WORK/daemon.log" | sort | uniq -c | sort -rn > "$WORK/ops-$w.txt"
  grep -m1 -i 'proto\|INIT' "$WORK/daemon.log" > "$WORK/init-$w.txt" || true
  # time: plain, cold then warm
  LAYERFS_JAVA_OPTS="${JAVA_EXTRA:-} -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit" fresh_mount; drop
  pid=$(daemon_pid)
  perf_pid=""
  if command -v perf >/dev/null; then
    perf record -q -F 499 -g -p "$pid" -o "$WORK/perf-$w.data" >/dev/null 2>&1 & perf_pid=$!
    sleep 0.5
  fi
  c0=$(cpu_ticks "$pid"); t0=$(date +%s%N); run_workload "$w"; t1=$(date +%s%N); c1=$(cpu_ticks "$pid")
  line="$w cold $(secs "$t0" "$t1") s (daemon CPU $(ticks "$c0" "$c1") s)"
  case "$w" in walk|readdir|smallread)
    c0=$(cpu_ticks "$pid"); t0=$(date +%s%N); run_workload "$w"; t1=$(date +%s%N); c1=$(cpu_ticks "$pid")
    line+=", warm $(secs "$t0" "$t1") s (daemon CPU $(ticks "$c0" "$c1") s)" ;;
  esac
  [ -n "$perf_pid" ] && { kill -INT "$perf_pid" 2>/dev/null || true; wait "$perf_pid" || true; }
  unmount
  if [ -n "$perf_pid" ]; then
    perf report -i "$WORK/perf-$w.data" --children --sort sym --stdio -g none 2>/dev/null | python3 -c '
import re, sys
buckets = [("JIT compiler (C1/C2 threads)", "CompileBroker::compiler_thread_loop"),
           ("native thread attach to the JVM", "attach_current_thread"),
           ("native thread detach (thread exit)", "jni_DetachCurrentThread"),
           ("garbage collection", "VM_GenCollectForAllocation::doit"),
           ("FUSE callbacks: native-to-Java upcalls (all Java work)", "jni_CallIntMethodA"),
           ("kernel: /dev/fuse read (waiting for requests)", "fuse_dev_do_read"),
           ("kernel: /dev/fuse write (replies)", "fuse_dev_do_write"),
           ("kernel: all system calls", "do_syscall_64"),
           ("kernel: context switches", "finish_task_switch")]
rows = {}
for line in sys.stdin:
    m = re.match(r"\s+([\d.]+)%\s+([\d.]+)%\s+\[.\]\s+(.*)", line)
    if not m: continue
    for label, key in buckets:
        if key in m.group(3) and label not in rows:
            rows[label] = float(m.group(1))
print("perf: share of the daemon CPU samples (inclusive; buckets overlap)")
for label, _ in buckets:
    print(f"  {rows.get(label, 0.0):5.1f}%  {label}")
' > "$WORK/perf-$w.txt"
  fi
  echo "$line" | tee -a "$WORK/times.txt"
  # jfr: profile settings (execution samples every 10-20 ms per thread), cold + warm pass
  rm -f "$WORK/$w.jfr"
  LAYERFS_JAVA_OPTS="${JAVA_EXTRA:-} -XX:StartFlightRecording=settings=profile" fresh_mount; drop
  run_workload "$w"
  case "$w" in walk|readdir|smallread) run_workload "$w" ;; esac
  # dump from the live daemon: the recording written at exit can be cut short by the unmount
  pid=$(daemon_pid)
  jcmd "$pid" JFR.dump name=1 filename="$WORK/$w.jfr" >/dev/null
  unmount
  jfr print --events jdk.ExecutionSample,jdk.NativeMethodSample "$WORK/$w.jfr" | python3 -c '
import re, sys, collections
kinds = {"jdk.ExecutionSample": "running Java", "jdk.NativeMethodSample": "in native code"}
top = {k: collections.Counter() for k in kinds}
incl = {k: collections.Counter() for k in kinds}
n = collections.Counter()
kind, frames = None, []
def flush():
    if kind and frames:
        n[kind] += 1
        top[kind][frames[0]] += 1
        for f in set(frames):
            if f.startswith(("dev.layerfs", "ru.serce")):
                incl[kind][f] += 1
for line in sys.stdin:
    s = line.strip()
    if s.split(" ")[0] in kinds:
        flush(); kind, frames = s.split(" ")[0], []
    m = re.match(r"([\w$.<>/]+)\(", s)
    if m and "line:" in s:
        frames.append(m.group(1))
flush()
for k, label in kinds.items():
    print(f"{n[k]} samples {label}")
    print("  top frames:")
    for f, c in top[k].most_common(10): print(f"    {100*c/max(n[k],1):5.1f}%  {f}")
    print("  layerfs / jnr-fuse methods on the stack:")
    for f, c in incl[k].most_common(12): print(f"    {100*c/max(n[k],1):5.1f}%  {f}")
' > "$WORK/jfr-$w.txt"
  echo "== $w: FUSE ops"; head -12 "$WORK/ops-$w.txt"
  [ -f "$WORK/perf-$w.txt" ] && { echo "== $w: perf"; cat "$WORK/perf-$w.txt"; }
  echo "== $w: JFR"; head -40 "$WORK/jfr-$w.txt"
done
