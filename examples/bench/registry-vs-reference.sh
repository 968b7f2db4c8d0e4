#!/usr/bin/env bash
# imaged beside the reference registry (Debian's docker-registry) and a plain disk copy, in one
# interleaved run: push and pull of one large layer on 127.0.0.1.
#
#   examples/bench/registry-vs-reference.sh [ROUNDS]        # default 4 rounds (an even number
#                                                           # puts each registry first equally), 500 MB layer
#
# The layer is an uncompressed tar and skopeo runs with --preserve-digests: the same bytes travel
# both ways (without it skopeo gzips the random bytes on push, and that, not the registry, is then
# what gets measured). Each round makes fresh layers (a unique small file + the same random bytes, so every digest is
# new and no registry can skip an upload it has already seen), then times, with the order of the
# two registries swapped every round:
#   disk      cp LAYER COPY && sync                                   (the physical reference)
#   skopeo    skopeo copy oci:LAYOUT docker://127.0.0.1:PORT/...      push, to each registry
#             skopeo copy docker://... oci:NEW                        pull, from each registry
#   curl      curl GET /v2/.../blobs/DIGEST > /dev/null               raw blob download, each
#             POST .../blobs/uploads/ then PUT ?digest= with the body  raw blob upload, each (a
#                                                                     third layer per round)
#   imaged    imaged push LAYER.tar REPO:TAG / imaged pull REPO:TAG   our CLI (pull = download,
#                                                                     verify, unpack)
#             imaged push LAYER.tar REPO:again                        "repush": the same tar again,
#                                                                     which the CLI does not resend
# Each timed step starts after an untimed sync: otherwise the first pull of a round paid for
# writeback left by the steps before it, whichever registry it went to.
# Prints MB/s (10^6 B/s) per row with medians and ratios; raw rows in $WORK/results.csv.
# Needs skopeo, docker-registry (apt-get install skopeo docker-registry), curl, python3 and the
# imaged launcher (./install.sh; IMAGED=/path/to/imaged to use another). Env: SIZE_MB (500),
# WORK (/tmp/bench-registry), REF_PORT (15100), IMAGED_PORT (15200; Raft on the next port).
set -euo pipefail

ROUNDS=${1:-4}
SIZE_MB=${SIZE_MB:-500}
WORK=${WORK:-/tmp/bench-registry}
REF_PORT=${REF_PORT:-15100}
IMAGED_PORT=${IMAGED_PORT:-15200}
IMAGED=${IMAGED:-$(command -v imaged || true)}
for tool in skopeo docker-registry curl python3; do
  command -v "$tool" >/dev/null || { echo "registry-vs-reference: needs $tool" >&2; exit 2; }
done
[ -n "$IMAGED" ] && [ -x "$IMAGED" ] || { echo "registry-vs-reference: no imaged launcher (run ./install.sh or set IMAGED)" >&2; exit 2; }

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

rm -rf "$WORK" && mkdir -p "$WORK"/{src,out,ref-data,imaged-data,store}
CSV=$WORK/results.csv
echo "round,system,op,bytes,seconds,mbps,load1" > "$CSV"

# ---- the servers
cat > "$WORK/ref-config.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/ref-data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$REF_PORT}
EOF
docker-registry serve "$WORK/ref-config.yml" > "$WORK/ref.log" 2>&1 & pids+=($!)
"$IMAGED" serve --data "$WORK/imaged-data" --listen "127.0.0.1:$IMAGED_PORT" > "$WORK/imaged.log" 2>&1 & pids+=($!)
wait_up() { # port
  for _ in $(seq 600); do
    curl -fs -o /dev/null "http://127.0.0.1:$1/v2/" && return 0
    sleep 0.1
  done
  echo "registry-vs-reference: nothing answers on 127.0.0.1:$1 (see $WORK/*.log)" >&2; exit 1
}
wait_up "$REF_PORT"; wait_up "$IMAGED_PORT"

# ---- the layers: SIZE_MB random bytes, made once; each layer tar adds a unique small file
head -c "$((SIZE_MB * 1000000))" /dev/urandom > "$WORK/src/random.bin"
make_layer() { # name -> $WORK/src/NAME.tar
  local d=$WORK/src/$1.d
  mkdir -p "$d" && echo "$1 $RANDOM $(date +%s%N)" > "$d/nonce" && ln -f "$WORK/src/random.bin" "$d/random.bin"
  tar -cf "$WORK/src/$1.tar" -C "$d" nonce random.bin && rm -rf "$d"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
make_layout() { # name -> OCI layout $WORK/src/NAME.oci with one image tagged "bench"
  local tarf=$WORK/src/$1.tar lay=$WORK/src/$1.oci
  mkdir -p "$lay/blobs/sha256"
  local ld; ld=$(sha "$tarf"); local ls; ls=$(stat -c %s "$tarf")
  ln -f "$tarf" "$lay/blobs/sha256/$ld"
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"config":{}}' "$ld" > "$lay/config"
  local cd; cd=$(sha "$lay/config"); local cs; cs=$(stat -c %s "$lay/config"); mv "$lay/config" "$lay/blobs/sha256/$cd"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$cd" "$cs" "$ld" "$ls" > "$lay/manifest"
  local md; md=$(sha "$lay/manifest"); local ms; ms=$(stat -c %s "$lay/manifest"); mv "$lay/manifest" "$lay/blobs/sha256/$md"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"bench"}}]}' "$md" "$ms" > "$lay/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$lay/oci-layout"
  echo "$ld"
}

timed() { # round system op bytes command...
  local r=$1 sys=$2 op=$3 bytes=$4; shift 4
  # Untimed: write back what earlier steps left dirty, so that no step pays for the one before it.
  sync
  local t0 t1; t0=$(date +%s%N)
  if ! "$@" > "$WORK/last.log" 2>&1; then
    echo "registry-vs-reference: $sys $op failed: $*" >&2; cat "$WORK/last.log" >&2; exit 1
  fi
  t1=$(date +%s%N)
  local s; s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')
  local mbps; mbps=$(awk -v n="$bytes" -v s="$s" 'BEGIN{printf "%.0f", n/1e6/s}')
  echo "$r,$sys,$op,$bytes,$s,$mbps,$(cut -d' ' -f1 /proc/loadavg)" >> "$CSV"
  printf '  r%s %-16s %-6s %7s s %6s MB/s\n' "$r" "$sys" "$op" "$s" "$mbps"
}
disk_copy() { cp "$1" "$2" && sync "$2" && rm -f "$2"; }
curl_get() { curl -fsS -o /dev/null "$1"; }
. "$(dirname "$0")/registry-upload.sh" # curl_put PORT REPO FILE DIGEST: a monolithic upload

for r in $(seq "$ROUNDS"); do
  echo "round $r/$ROUNDS (load $(cut -d' ' -f1-3 /proc/loadavg))"
  make_layer "s$r"; make_layer "c$r"; make_layer "u$r"
  digest=$(make_layout "s$r")
  bytes=$(stat -c %s "$WORK/src/s$r.tar")
  timed "$r" disk copy "$bytes" disk_copy "$WORK/src/s$r.tar" "$WORK/out/copy.tar"
  if (( r % 2 )); then order="reference imaged"; else order="imaged reference"; fi
  for sys in $order; do
    port=$REF_PORT; [ "$sys" = imaged ] && port=$IMAGED_PORT
    timed "$r" "skopeo-$sys" push "$bytes" skopeo copy -q --preserve-digests --dest-tls-verify=false \
      "oci:$WORK/src/s$r.oci:bench" "docker://127.0.0.1:$port/bench/r$r:latest"
  done
  for sys in $order; do
    port=$REF_PORT; [ "$sys" = imaged ] && port=$IMAGED_PORT
    timed "$r" "skopeo-$sys" pull "$bytes" skopeo copy -q --preserve-digests --dest-oci-accept-uncompressed-layers --src-tls-verify=false \
      "docker://127.0.0.1:$port/bench/r$r:latest" "oci:$WORK/out/$sys-r$r:bench"
    rm -rf "$WORK/out/$sys-r$r"
    timed "$r" "curl-$sys" get "$bytes" curl_get "http://127.0.0.1:$port/v2/bench/r$r/blobs/sha256:$digest"
  done
  ubytes=$(stat -c %s "$WORK/src/u$r.tar"); udigest=$(sha "$WORK/src/u$r.tar")
  for sys in $order; do
    port=$REF_PORT; [ "$sys" = imaged ] && port=$IMAGED_PORT
    timed "$r" "curl-$sys" put "$ubytes" curl_put "$port" "bench/u$r" "$WORK/src/u$r.tar" "$udigest"
  done
  cbytes=$(stat -c %s "$WORK/src/c$r.tar")
  timed "$r" imaged-cli push "$cbytes" "$IMAGED" push --server "http://127.0.0.1:$IMAGED_PORT" \
    "$WORK/src/c$r.tar" "bench/cli$r:latest"
  timed "$r" imaged-cli repush "$cbytes" "$IMAGED" push --server "http://127.0.0.1:$IMAGED_PORT" \
    "$WORK/src/c$r.tar" "bench/cli$r:again"
  timed "$r" imaged-cli pull "$cbytes" "$IMAGED" pull --server "http://127.0.0.1:$IMAGED_PORT" \
    --store "$WORK/store" "bench/cli$r:latest"
  rm -rf "$WORK/store"/* "$WORK/src/s$r".* "$WORK/src/c$r".* "$WORK/src/u$r".*
done

python3 - "$CSV" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
med = {}
for key in sorted({(r["system"], r["op"]) for r in rows}):
    v = [float(r["mbps"]) for r in rows if (r["system"], r["op"]) == key]
    med[key] = (statistics.median(v), min(v), max(v), len(v))
disk = med[("disk", "copy")][0]
ref = {op: med.get(("skopeo-reference", op), (None,))[0] for op in ("push", "pull")}
ref["get"] = med.get(("curl-reference", "get"), (None,))[0]
ref["put"] = med.get(("curl-reference", "put"), (None,))[0]
print("\n| system | op | MB/s median | min-max | n | vs reference (x faster) | vs disk copy |")
print("|---|---|---:|---|---:|---:|---:|")
for (sysname, op), (m, lo, hi, n) in med.items():
    r = ref.get(op) if sysname != "disk" else None
    print(f"| {sysname} | {op} | {m:.0f} | {lo:.0f}-{hi:.0f} | {n} | "
          f"{(m / r) if r else float('nan'):.2f} | {m / disk:.2f} |")
EOF
echo "raw rows: $CSV"
