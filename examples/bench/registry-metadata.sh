#!/usr/bin/env bash
# Registry metadata under load: imaged (3-node Raft cluster on 127.0.0.1) beside the reference
# registry (Debian's docker-registry, one process, filesystem storage) in one run, then the time
# a wiped node takes to catch up.
#
#   examples/bench/registry-metadata.sh [SECONDS]          # default 10 s per cell
#
# 1. Tag updates (PUT of a new tiny manifest under a tag), manifest reads by tag and tags-list
#    reads, with 1, 16 and 256 concurrent clients, through TagLoadBench (imaged's test sources,
#    java.net.http, run by Maven with -Dbench=tags). imaged's reads are linearizable (its
#    default); clients are spread over the three nodes. Same load, same client, on the reference.
# 2. Catch-up: node 3 is stopped and its data wiped; 10,000 tags over 1,000 blobs are written
#    through nodes 1 and 2 (-Dbench=fill); node 3 starts empty, and we time until its local
#    (non-linearizable) read of the last tag answers the right digest, and until it holds the
#    1,000 blobs (it keeps a copy of each: replication = min(3, nodes)).
# Needs docker-registry, curl, Maven, and the imaged launcher (./install.sh, or IMAGED=...).
# Env: WORK (/tmp/bench-metadata), CLIENTS (1,16,256), TAGS (10000), BLOBS (1000),
# PHASES ("load catchup"; either alone runs only that part).
set -euo pipefail

SECONDS_PER_CELL=${1:-10}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
WORK=${WORK:-/tmp/bench-metadata}
IMAGED=${IMAGED:-$(command -v imaged || true)}
CLIENTS=${CLIENTS:-1,16,256}
TAGS=${TAGS:-10000}
BLOBS=${BLOBS:-1000}
PHASES=" ${PHASES:-load catchup} "
REF_PORT=15300
PEERS=n1=127.0.0.1:15311,n2=127.0.0.1:15312,n3=127.0.0.1:15313
node_url() { echo "http://127.0.0.1:1530$1"; }
[ -n "$IMAGED" ] && [ -x "$IMAGED" ] || { echo "registry-metadata: no imaged launcher (run ./install.sh or set IMAGED)" >&2; exit 2; }

declare -A PID=()
start_node() { # n
  "$IMAGED" serve --id "n$1" --peers "$PEERS" --listen "127.0.0.1:1530$1" --data "$WORK/n$1" >>"$WORK/n$1.log" 2>&1 &
  PID[n$1]=$!
}
stop() { kill "${PID[$1]}" 2>/dev/null || true; wait "${PID[$1]}" 2>/dev/null || true; unset "PID[$1]"; }
cleanup() { for p in "${!PID[@]}"; do stop "$p"; done; }
trap cleanup EXIT
wait_up() { # url
  for _ in $(seq 1200); do curl -fs -o /dev/null "$1/v2/" && return 0; sleep 0.1; done
  echo "registry-metadata: $1 does not answer (logs in $WORK)" >&2; exit 1
}
bench() { # -D... : TagLoadBench through Maven, from the repository
  (cd "$repo" && mvn -B -q -ntp -Dstyle.color=never -pl imaged test -Dtest=TagLoadBench \
     -Dsurefire.failIfNoSpecifiedTests=false "$@")
}

rm -rf "$WORK" && mkdir -p "$WORK/ref"
cat > "$WORK/ref.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/ref}}
http: {addr: 127.0.0.1:$REF_PORT}
EOF
docker-registry serve "$WORK/ref.yml" > "$WORK/ref.log" 2>&1 & PID[ref]=$!
for n in 1 2 3; do start_node "$n"; done
wait_up "http://127.0.0.1:$REF_PORT"
for n in 1 2 3; do wait_up "$(node_url "$n")"; done
wait_ready() { # url: /v2/ answers before a leader is known; the load starts once every node knows one
  for _ in $(seq 600); do curl -fs -o /dev/null "$1/ready" && return 0; sleep 0.1; done
  echo "registry-metadata: $1 knows no Raft leader (logs in $WORK)" >&2; exit 1
}
for n in 1 2 3; do wait_ready "$(node_url "$n")"; done
nodes="$(node_url 1),$(node_url 2),$(node_url 3)"

if [[ $PHASES == *" load "* ]]; then
echo "== 1. tag updates and reads, ${SECONDS_PER_CELL}s per cell, clients $CLIENTS (load $(cut -d' ' -f1-3 /proc/loadavg))"
bench -Dbench=tags -Dbench.nodes="http://127.0.0.1:$REF_PORT" -Dbench.clients="$CLIENTS" \
  -Dbench.seconds="$SECONDS_PER_CELL" -Dbench.out="$WORK/reference.md"
bench -Dbench=tags -Dbench.nodes="$nodes" -Dbench.clients="$CLIENTS" \
  -Dbench.seconds="$SECONDS_PER_CELL" -Dbench.out="$WORK/imaged.md"
echo "reference registry (docker-registry, one process):"; cat "$WORK/reference.md"
echo "imaged, 3 nodes:"; cat "$WORK/imaged.md"
python3 - "$WORK/reference.md" "$WORK/imaged.md" <<'EOF'
import sys
def rows(p):
    out = {}
    for line in open(p):
        f = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(f) == 6 and f[1].isdigit():
            out[(f[0], int(f[1]))] = (float(f[2]), float(f[3]), float(f[4]))
    return out
ref, img = rows(sys.argv[1]), rows(sys.argv[2])
print("\n| op | clients | imaged ops/s | reference ops/s | imaged/reference | imaged p50 / p99 ms | reference p50 / p99 ms |")
print("|---|---:|---:|---:|---:|---|---|")
for k in img:
    i, r = img[k], ref.get(k)
    if r:
        print(f"| {k[0]} | {k[1]} | {i[0]:.0f} | {r[0]:.0f} | {i[0] / r[0]:.2f} | {i[1]:.1f} / {i[2]:.1f} | {r[1]:.1f} / {r[2]:.1f} |")
EOF
fi

[[ $PHASES == *" catchup "* ]] || exit 0
echo "== 2. catch-up of a wiped node: $TAGS tags, $BLOBS blobs"
stop ref
stop n3 && rm -rf "$WORK/n3"
t0=$(date +%s%N)
bench -Dbench=fill -Dbench.nodes="$(node_url 1),$(node_url 2)" -Dbench.tags="$TAGS" -Dbench.blobs="$BLOBS" \
  -Dbench.out="$WORK/last-digest"
t1=$(date +%s%N)
echo "filled in $(( (t1 - t0) / 1000000 )) ms (Maven start included)"
last=$(cat "$WORK/last-digest")
t0=$(date +%s%N)
start_node 3
meta_ms="" blob_ms=""
while [ -z "$blob_ms" ] || [ -z "$meta_ms" ]; do
  now=$(date +%s%N)
  if [ -z "$meta_ms" ] && [ "$(curl -fs -H 'Imaged-Consistency: local' -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
        "$(node_url 3)/v2/catchup/manifests/t$((TAGS - 1))" 2>/dev/null | sha256sum | cut -d' ' -f1)" = "${last#sha256:}" ]; then
    meta_ms=$(( (now - t0) / 1000000 )); echo "node 3 reads t$((TAGS - 1)) locally after $meta_ms ms"
  fi
  held=$( (find "$WORK/n3" -path "*blobs/sha256/*" -type f 2>/dev/null || true) | wc -l)
  if [ -z "$blob_ms" ] && [ "$held" -ge "$BLOBS" ]; then
    blob_ms=$(( (now - t0) / 1000000 )); echo "node 3 holds $held blob files after $blob_ms ms"
  fi
  if (( (now - t0) / 1000000000 > 600 )); then
    echo "catch-up: gave up after 600 s (metadata: ${meta_ms:-not yet}, blobs held: $held)"; break
  fi
  sleep 0.2
done
echo "| catch-up of a wiped node | $TAGS tags, $BLOBS blobs | metadata ${meta_ms:-n/a} ms | blobs ${blob_ms:-n/a} ms |"
