#!/usr/bin/env bash
# The classic AUFS + LXC experiment, on layerfs.
#
#   1. Build a tiny root filesystem from a static busybox: the base, shared and read-only.
#   2. Make a container over it with its own writable layer: `layerfs lxc-config`.
#   3. Run a command in the container that changes a base file, adds a file and deletes one.
#   4. Look at the disk: the writes are in the writable layer (the delete as a whiteout
#      .wh.NAME), the base is byte-for-byte unchanged, and a second container over the same
#      base sees none of it.
#
# Needs root, LXC, busybox-static, /dev/fuse and the launchers: run `sudo ./install.sh` first.
# Everything lives under $WORK (default /tmp/layerfs-quickstart), including LXC's container
# directory, so /var/lib/lxc is left alone. Run it again to start over.
set -euo pipefail

WORK=${WORK:-/tmp/layerfs-quickstart}
LAYERFS=${LAYERFS:-layerfs}   # the launchers; override to try a development build
IMAGED=${IMAGED:-imaged}
LXCPATH=$WORK/lxc
BASE=$WORK/base               # the shared base root filesystem
. "$(dirname "$0")/lib/busybox-rootfs.sh"

require_root_lxc_fuse

# A previous run: containers first (they unmount their unions), then the base's read-only mount.
if [ -d "$WORK" ]; then
  for c in "$LXCPATH"/*/; do
    [ -f "$c/config" ] && $IMAGED lxc destroy "$(basename "$c")" -P "$LXCPATH" >/dev/null
  done
  while mountpoint -q "$BASE"; do umount "$BASE"; done
  rm -rf "$WORK"
fi
mkdir -p "$LXCPATH" "$BASE"

step "1. A base root filesystem: a static busybox, its applets, and a few files in /etc"
build_busybox_rootfs "$BASE"
echo "$(find "$BASE" -type f | wc -l) files, $(find "$BASE" -type l | wc -l) symlinks in $BASE"

# Read-only for real: even root cannot change the base through this mount.
run mount --bind "$BASE" "$BASE"
run mount -o remount,bind,ro "$BASE"
fingerprint() { (cd "$1" && find . -printf '%p %y %m %s %l\n' | sort && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16; }
BEFORE=$(fingerprint "$BASE")
echo "base fingerprint (names, modes, contents): $BEFORE"

step "2. A container over the base, with its own writable layer"
mkdir -p "$WORK/web-delta"
run $LAYERFS lxc-config web -o "dirs=$WORK/web-delta=rw:$BASE=ro" -P "$LXCPATH"
echo "Its config ($LXCPATH/web/config), without the comments:"
grep -v '^#' "$LXCPATH/web/config" | grep . | sed 's/^/    /'

step "3. In the container: change a base file, add a file, delete a file"
run lxc-execute -P "$LXCPATH" -n web -- /bin/sh -c '
  echo "Changed inside the container web." >> /etc/motd
  echo "hello from web" > /root/hello.txt
  rm /etc/issue
  echo "--- what the container sees:"; cat /etc/motd; cat /root/hello.txt; ls /etc'

step "4. On the host: the writes are in the writable layer"
run find "$WORK/web-delta" -mindepth 1 -not -path '*/.wh..wh.*' -printf '    %P\n'
echo "    (.wh.issue is the whiteout that hides the base's /etc/issue; not shown: .wh..wh.work,"
echo "    where layerfs assembles copy-ups)"
run cat "$WORK/web-delta/etc/motd"
echo
echo "...and the base is unchanged:"
AFTER=$(fingerprint "$BASE")
echo "base fingerprint now: $AFTER"
[ "$BEFORE" = "$AFTER" ] || { echo "quickstart: the base changed! (this is a bug)" >&2; exit 1; }
run cat "$BASE/etc/issue"

step "5. A second container over the same base sees none of it"
mkdir -p "$WORK/db-delta"
run $LAYERFS lxc-config db -o "dirs=$WORK/db-delta=rw:$BASE=ro" -P "$LXCPATH"
run lxc-execute -P "$LXCPATH" -n db -- /bin/sh -c 'cat /etc/motd /etc/issue; ls /root'

cat <<MSG

Done. Both containers are stopped; their unions are unmounted. To look around:
    lxc-start -P $LXCPATH -n web && lxc-attach -P $LXCPATH -n web     (then: lxc-stop -P $LXCPATH -n web)
To clean up:
    $IMAGED lxc destroy web -P $LXCPATH; $IMAGED lxc destroy db -P $LXCPATH; umount $BASE; rm -rf $WORK
Or run this script again: it starts over.
MSG
