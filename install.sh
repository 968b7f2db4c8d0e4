#!/usr/bin/env bash
# Installs layerfs + imaged on a Debian 12 host, as root:
#   1. the system packages the project needs (skipped when already there),
#   2. a Maven build of the launchers (incremental: quick when nothing changed),
#   3. the jars under $PREFIX/lib/layerfs, the launchers layerfs and imaged in $PREFIX/bin, and
#      the LXC templates in $PREFIX/share/layerfs/lxc-configs.
# Idempotent. PREFIX defaults to /usr/local. SKIP_APT=1 skips step 1.
set -euo pipefail
cd "$(dirname "$0")"
PREFIX=${PREFIX:-/usr/local}

# libfuse2: jnr-fuse binds libfuse.so.2. fuse3: fusermount3 and /etc/fuse.conf.
# attr, acl: getfattr/setfattr and getfacl/setfacl for the xattr and ACL tests. lxc, busybox-static: containers and their rootfs.
# skopeo: the standard OCI client the registry is tested with. docker-registry: the reference
# registry, a benchmark peer. libcap2-bin: setcap for the capability xattr tests. chromium: the
# headless browser that renders imaged's status page in its test.
# curl, openssl: the examples and the TLS tests. iproute2, iptables: network namespaces and link cuts for the fault tests.
PACKAGES=(libfuse2 fuse3 attr acl libcap2-bin curl openssl lxc busybox-static skopeo docker-registry uidmap iproute2 iptables chromium)

missing=()
if [ "${SKIP_APT:-0}" != 1 ]; then
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install.sh: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# allow_other for non-root users needs user_allow_other; root can always use it.
if [ -f /etc/fuse.conf ] && ! grep -q '^user_allow_other' /etc/fuse.conf; then
  echo user_allow_other >> /etc/fuse.conf
fi

echo "install.sh: building (mvn package, tests skipped here; run them with mvn verify)"
mvn -B -q -ntp -Dstyle.color=never -DskipTests package

lib="$PREFIX/lib/layerfs"
mkdir -p "$lib" "$PREFIX/bin"
# Replace the jar set as a whole so a removed dependency does not linger on the class path.
rm -rf "$lib.new" && mkdir -p "$lib.new"
cp cli/target/lib/*.jar "$lib.new/"
cp cli/target/cli-*.jar "$lib.new/"
rm -rf "$lib.old" && { [ -d "$lib" ] && mv "$lib" "$lib.old" || true; } && mv "$lib.new" "$lib" && rm -rf "$lib.old"

# Editable copies of the LXC templates; the generator prefers them over the copies in the jar.
mkdir -p "$PREFIX/share/layerfs"
rm -rf "$PREFIX/share/layerfs/lxc-configs.new"
cp -r lxc-configs "$PREFIX/share/layerfs/lxc-configs.new"
rm -rf "$PREFIX/share/layerfs/lxc-configs"
mv "$PREFIX/share/layerfs/lxc-configs.new" "$PREFIX/share/layerfs/lxc-configs"

launcher() { # name main-class [java options [shell lines run first, may set EXTRA]]
  cat > "$PREFIX/bin/$1.tmp" <<SH
#!/bin/sh
# $1 launcher, written by layerfs install.sh
EXTRA=
${4:-}
exec java ${3:-}\$EXTRA \${LAYERFS_JAVA_OPTS:-} -cp '$lib/*' $2 "\$@"
SH
  chmod 755 "$PREFIX/bin/$1.tmp" && mv "$PREFIX/bin/$1.tmp" "$PREFIX/bin/$1"
}

# Class data sharing: a training run records the classes a program loads into $lib/NAME.jsa;
# its launcher maps them instead of loading them, which takes ~40 % off a layerfs mount's start-up
# and ~35 % off the CPU an imaged push or pull spends starting. Rebuilt at every install (an
# archive only matches the jars it was made with); when the training cannot run, the program just
# starts slower.
# train_class_archive NAME TRAINER: TRAINER runs the program once with the java options it is
# given (the recording) and fails when the training could not run.
train_class_archive() {
  local archive=$lib/$1.jsa
  rm -f "$archive" "$archive.new"
  if "$2" "-XX:ArchiveClassesAtExit=$archive.new" && [ -s "$archive.new" ]; then
    mv "$archive.new" "$archive"
    echo "install.sh: recorded the start-up archive $archive"
  else
    rm -f "$archive.new"
    echo "install.sh: could not record the start-up archive $archive; $1 starts slower"
  fi
}
# A mount daemon (the options of the layerfs launcher below), and a little of everything a
# container start does in the mount.
train_layerfs_mount() { # recording options
  local t pid i ok=0
  [ -c /dev/fuse ] || { echo "install.sh: no /dev/fuse: no mount to train with"; return 1; }
  t=$(mktemp -d /tmp/layerfs-train.XXXXXX)
  mkdir -p "$t/upper" "$t/lower/dir" "$t/mnt"
  echo lower > "$t/lower/dir/file"
  java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dfile.encoding=ISO-8859-1 \
    "$1" -cp "$lib/*" dev.layerfs.cli.LayerfsCli \
    mount -f -o "dirs=$t/upper=rw:$t/lower=ro" "$t/mnt" > "$t/train.log" 2>&1 &
  pid=$!
  for i in $(seq 1 300); do
    grep -q " $t/mnt .* fuse" /proc/self/mountinfo && { ok=1; break; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ "$ok" = 1 ]; then
    # A little of everything a container start does: lookups, listings, reads, copy-up, new
    # names, renames, removals, attributes, links.
    ( cd "$t/mnt" && ls -laR . && cat dir/file && echo more >> dir/file && mkdir new && echo x > new/f \
        && mv new/f new/g && ln -s g new/l && ln new/g new/h && chmod 600 new/g && touch -d @0 new/g \
        && stat new/* && rm new/g new/h new/l && rmdir new && mv dir dir2 && df . ) > /dev/null 2>&1 || true
    "$PREFIX/bin/layerfs" umount "$t/mnt" > /dev/null 2>&1 || umount -l "$t/mnt" || true
  fi
  wait "$pid" 2>/dev/null || true
  [ "$ok" = 1 ] || { echo "install.sh: training mount failed (log: $t/train.log)"; return 1; }
  rm -rf "$t"
}
# An imaged pull (what LXC hooks run, and the pull's classes cover most of a push's) from a
# throw-away local node, of a one-file image pushed there first.
train_imaged_pull() { # recording options
  local t p port="" pid i ok=0
  t=$(mktemp -d /tmp/imaged-train.XXXXXX)
  # A free HTTP port and the Raft port after it, below the ephemeral range (where an outgoing
  # connection may hold a port nobody listens on); another pair if the node cannot bind.
  for p in $(shuf -i 20000-29998 -n 20); do
    { (: > "/dev/tcp/127.0.0.1/$p") || (: > "/dev/tcp/127.0.0.1/$((p + 1))"); } 2>/dev/null && continue
    port=$p
    rm -rf "$t/data"
    java -cp "$lib/*" dev.layerfs.cli.ImagedCli serve --data "$t/data" --listen "127.0.0.1:$port" > "$t/serve.log" 2>&1 &
    pid=$!
    for i in $(seq 1 600); do
      curl -fs -o /dev/null "http://127.0.0.1:$port/v2/" && { ok=1; break; }
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    [ "$ok" = 1 ] && break
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$ok" = 1 ]; then
    mkdir -p "$t/layer" && echo train > "$t/layer/file" && tar -cf "$t/layer.tar" -C "$t/layer" file
    { "$PREFIX/bin/imaged" push --server "http://127.0.0.1:$port" "$t/layer.tar" train/layer:1 \
        && java "$1" -cp "$lib/*" dev.layerfs.cli.ImagedCli pull --server "http://127.0.0.1:$port" \
             --store "$t/store" train/layer:1; } > "$t/train.log" 2>&1 || ok=0
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ "$ok" = 1 ] || { echo "install.sh: training pull failed (logs: $t/*.log)"; return 1; }
  rm -rf "$t"
}
# mount(8) runs /sbin/mount.fuse.layerfs for `mount -t fuse.layerfs` and /etc/fstab entries.
# A private PREFIX (a test or benchmark install) leaves the system mount helper alone.
SBINDIR=${SBINDIR:-$([ "$PREFIX" = /usr/local ] && echo /sbin || echo "$PREFIX/sbin")}
mkdir -p "$SBINDIR"
sed "s|/usr/local/bin/layerfs|$PREFIX/bin/layerfs|" cli/src/main/dist/mount.fuse.layerfs > "$SBINDIR/mount.fuse.layerfs.tmp"
chmod 755 "$SBINDIR/mount.fuse.layerfs.tmp" && mv "$SBINDIR/mount.fuse.layerfs.tmp" "$SBINDIR/mount.fuse.layerfs"

# The layerfs command is short-lived and mostly waits on system calls: C1 only, small serial
# heap, the start-up archive when there is one (its warnings off: a stale archive is just unused),
# mapped where it was recorded, not relocated (shared pages, faster start: see ClassDataArchive).
# `layerfs host` serves mounts for as long as it runs: names pass as bytes (ISO-8859-1, as in a
# daemon) and its heap starts small and grows with the mounts (see layerfs/README.md).
launcher layerfs dev.layerfs.cli.LayerfsCli \
  "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:SharedArchiveFile=$lib/layerfs.jsa -Xlog:cds=off,cds+dynamic=off -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0 " \
  '[ "${1:-}" = host ] && [ "${2:-}" != status ] && EXTRA="-Dfile.encoding=ISO-8859-1 -Xms8m"'
# imaged: the archive, and the default JIT (C2 compiles the SHA-256 intrinsic every push and
# pull runs: 1.2 GB/s against 0.13 GB/s with C1 only).
launcher imaged dev.layerfs.cli.ImagedCli "-XX:SharedArchiveFile=$lib/imaged.jsa -Xlog:cds=off,cds+dynamic=off "
# The mount host's systemd unit (one process serving every `mount -o host` union), not enabled:
# see the unit's comments for the trade-off.
mkdir -p "$PREFIX/share/layerfs/systemd"
sed "s|/usr/local/bin/layerfs|$PREFIX/bin/layerfs|" examples/systemd/layerfs-host.service \
  > "$PREFIX/share/layerfs/systemd/layerfs-host.service"
train_class_archive layerfs train_layerfs_mount
train_class_archive imaged train_imaged_pull
echo "install.sh: installed $PREFIX/bin/layerfs, $PREFIX/bin/imaged and $SBINDIR/mount.fuse.layerfs"
