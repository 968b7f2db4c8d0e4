#!/usr/bin/env bash
# The first download of a large blob after a registry restart, imaged beside the reference
# registry (Debian's docker-registry), in one run:
#
#   examples/bench/registry-restart-read.sh [ROUNDS]        # default 3 rounds, 500 MB blob
#
# Each round uploads a fresh blob to both (curl POST + PUT), stops both registries (SIGTERM),
# starts them again on the same data, drops the page cache (so neither serves from memory), and
# times with curl the first GET of the blob and then a second one. A registry that re-reads and
# re-hashes a blob before its first byte after a restart shows it in the first row.
# Prints seconds per row with medians; raw rows in $WORK/results.csv. Needs root (drop_caches),
# docker-registry, curl, python3 and the imaged launcher (IMAGED=/path/to/imaged for another).
# Env: SIZE_MB (500), WORK (/tmp/bench-restart), REF_PORT (15110), IMAGED_PORT (15210).
set -euo pipefail

ROUNDS=${1:-3}
SIZE_MB=${SIZE_MB:-500}
WORK=${WORK:-/tmp/bench-restart}
REF_PORT=${REF_PORT:-15110}
IMAGED_PORT=${IMAGED_PORT:-15210}
IMAGED=${IMAGED:-$(command -v imaged || true)}
for tool in docker-registry curl python3; do
  command -v "$tool" >/dev/null || { echo "registry-restart-read: needs $tool" >&2; exit 2; }
done
[ -n "$IMAGED" ] && [ -x "$IMAGED" ] || { echo "registry-restart-read: no imaged launcher (run ./install.sh or set IMAGED)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "registry-restart-read: needs root to drop the page cache" >&2; exit 2; }

declare -A pid=()
start() { # system
  if [ "$1" = reference ]; then
    docker-registry serve "$WORK/ref-config.yml" >> "$WORK/ref.log" 2>&1 & pid[$1]=$!
    port=$REF_PORT
  else
    "$IMAGED" serve --data "$WORK/imaged-data" --listen "127.0.0.1:$IMAGED_PORT" >> "$WORK/imaged.log" 2>&1 & pid[$1]=$!
    port=$IMAGED_PORT
  fi
  for _ in $(seq 600); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/v2/" && return 0
    sleep 0.1
  done
  echo "registry-restart-read: $1 does not answer on 127.0.0.1:$port (see $WORK/*.log)" >&2; exit 1
}
stop() { kill "${pid[$1]}" 2>/dev/null || true; wait "${pid[$1]}" 2>/dev/null || true; }
cleanup() { for s in "${!pid[@]}"; do stop "$s"; done; }
trap cleanup EXIT

rm -rf "$WORK" && mkdir -p "$WORK"/{ref-data,imaged-data}
CSV=$WORK/results.csv
echo "round,system,op,seconds" > "$CSV"
cat > "$WORK/ref-config.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/ref-data}}
http: {addr: 127.0.0.1:$REF_PORT}
EOF
start reference; start imaged

. "$(dirname "$0")/registry-upload.sh" # curl_put PORT REPO FILE DIGEST
timed_get() { # round system op url
  local t0 t1; t0=$(date +%s%N)
  curl -fsS -o /dev/null "$4"
  t1=$(date +%s%N)
  local s; s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')
  echo "$1,$2,$3,$s" >> "$CSV"
  printf '  r%s %-10s %-18s %7s s\n' "$1" "$2" "$3" "$s"
}

for r in $(seq "$ROUNDS"); do
  echo "round $r/$ROUNDS (load $(cut -d' ' -f1-3 /proc/loadavg))"
  head -c "$((SIZE_MB * 1000000))" /dev/urandom > "$WORK/blob"
  digest=$(sha256sum "$WORK/blob" | cut -d' ' -f1)
  curl_put "$REF_PORT" bench/restart "$WORK/blob" "$digest"; curl_put "$IMAGED_PORT" bench/restart "$WORK/blob" "$digest"
  rm -f "$WORK/blob"
  stop reference; stop imaged
  sync; echo 3 > /proc/sys/vm/drop_caches
  start reference; start imaged
  if (( r % 2 )); then order="reference imaged"; else order="imaged reference"; fi
  for sys in $order; do
    port=$REF_PORT; [ "$sys" = imaged ] && port=$IMAGED_PORT
    timed_get "$r" "$sys" "first-get-cold" "http://127.0.0.1:$port/v2/bench/restart/blobs/sha256:$digest"
  done
  for sys in $order; do
    port=$REF_PORT; [ "$sys" = imaged ] && port=$IMAGED_PORT
    timed_get "$r" "$sys" "second-get" "http://127.0.0.1:$port/v2/bench/restart/blobs/sha256:$digest"
  done
done

python3 - "$CSV" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("\n| op | reference (s) | imaged (s) | imaged vs reference (x faster) |")
print("|---|---:|---:|---:|")
for op in ("first-get-cold", "second-get"):
    med = {s: statistics.median(float(r["seconds"]) for r in rows if r["system"] == s and r["op"] == op)
           for s in ("reference", "imaged")}
    print(f"| {op} | {med['reference']:.3f} | {med['imaged']:.3f} | {med['reference'] / med['imaged']:.2f} |")
EOF
