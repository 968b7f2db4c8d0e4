#!/usr/bin/env bash
# Images across hosts: three imaged nodes on loopback form one registry (Raft-replicated
# metadata, each blob on several nodes). An image pushed through node 1 becomes a container
# made through node 2, as on another host; the container's changes, committed through node 3,
# become a new image that still runs with node 1 gone.
#
# Needs root, LXC, busybox-static, /dev/fuse, curl and the launchers: run `sudo ./install.sh`.
# Everything lives under $WORK (default /tmp/layerfs-cluster); the nodes and containers are
# stopped when the script ends, their data is kept for a look. Run it again to start over.
set -euo pipefail

WORK=${WORK:-/tmp/layerfs-cluster}
LAYERFS=${LAYERFS:-layerfs}   # the launchers; override to try a development build
IMAGED=${IMAGED:-imaged}
LXCPATH=$WORK/lxc
STORE=$WORK/layers            # this "host"'s layer store: pulled layers, unpacked once
PEERS=n1=127.0.0.1:7101,n2=127.0.0.1:7102,n3=127.0.0.1:7103   # Raft addresses
node_url() { echo "http://127.0.0.1:700$1"; }                 # HTTP API of node 1, 2, 3
. "$(dirname "$0")/lib/busybox-rootfs.sh"

require_root_lxc_fuse curl

declare -A NODE_PID=()
stop_node() { kill "${NODE_PID[$1]}" 2>/dev/null || true; wait "${NODE_PID[$1]}" 2>/dev/null || true; unset "NODE_PID[$1]"; }
cleanup() {
  for c in "$LXCPATH"/*/; do
    [ -f "$c/config" ] && $IMAGED lxc destroy "$(basename "$c")" -P "$LXCPATH" >/dev/null 2>&1
  done
  for n in "${!NODE_PID[@]}"; do stop_node "$n"; done
}
trap cleanup EXIT

if [ -d "$WORK" ]; then
  for c in "$LXCPATH"/*/; do
    [ -f "$c/config" ] && $IMAGED lxc destroy "$(basename "$c")" -P "$LXCPATH" >/dev/null
  done
  rm -rf "$WORK"
fi
mkdir -p "$LXCPATH"

step "1. Three imaged nodes, one registry"
for n in 1 2 3; do
  echo "$ $IMAGED serve --id n$n --peers $PEERS --listen 127.0.0.1:700$n --data $WORK/n$n   (log: $WORK/n$n.log)"
  $IMAGED serve --id "n$n" --peers "$PEERS" --listen "127.0.0.1:700$n" --data "$WORK/n$n" >"$WORK/n$n.log" 2>&1 &
  NODE_PID[$n]=$!
done
for n in 1 2 3; do
  for _ in $(seq 120); do
    curl -fsS -o /dev/null "$(node_url "$n")/v2/" 2>/dev/null && break
    kill -0 "${NODE_PID[$n]}" 2>/dev/null || { echo "node n$n exited:"; tail "$WORK/n$n.log"; exit 1; }
    sleep 0.5
  done
  curl -fsS -o /dev/null "$(node_url "$n")/v2/" || { echo "node n$n does not answer; see $WORK/n$n.log"; exit 1; }
  echo "node n$n answers on $(node_url "$n")"
done

step "2. Push a busybox root filesystem as the image busybox:1, through node 1"
build_busybox_rootfs "$WORK/rootfs"
run $IMAGED push --server "$(node_url 1)" "$WORK/rootfs" busybox:1

step "3. Through node 2, as on another host: a container from busybox:1"
run $IMAGED lxc create app --image busybox:1 --server "$(node_url 2)" -P "$LXCPATH" --store "$STORE"
run lxc-execute -P "$LXCPATH" -n app -- /bin/sh -c 'echo "built on node 2" > /etc/motd; rm /etc/issue; cat /etc/motd'
echo "Its private branch:"
find "$LXCPATH/app/delta" -mindepth 1 -not -path '*/.wh..wh.*' -printf '    %P\n'

step "4. Commit it through node 3 as busybox:2: its private branch becomes one more layer"
run $IMAGED lxc commit app busybox:2 --server "$(node_url 3)" -P "$LXCPATH"

step "5. Stop node 1, through which busybox:1 was pushed; run busybox:2 through node 2"
stop_node 1
echo "node n1 stopped"
run $IMAGED lxc create app2 --image busybox:2 --server "$(node_url 2)" -P "$LXCPATH" --store "$STORE"
run lxc-execute -P "$LXCPATH" -n app2 -- /bin/sh -c 'cat /etc/motd; [ -e /etc/issue ] || echo "/etc/issue: deleted, as committed"'
echo
echo "The two containers share busybox:1's layer directory in $STORE (no copy):"
grep -h '^dirs=' "$LXCPATH/app/layerfs.options" "$LXCPATH/app2/layerfs.options" | sed 's/^/    /'

cat <<MSG

Done. The containers are destroyed and the nodes stopped as the script exits; the nodes' data
and logs stay in $WORK. Run the script again to start over.
MSG
