# Sourced by the examples: build_busybox_rootfs DIR makes DIR a complete small root filesystem,
# a static busybox and its applets (/bin/sh, /bin/ls, ... as symlinks), with a few files in /etc.
build_busybox_rootfs() {
  local root=$1
  mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,usr/bin,usr/sbin}
  chmod 1777 "$root/tmp"
  cp "$(command -v busybox)" "$root/bin/busybox"
  chroot "$root" /bin/busybox --install -s
  echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
  echo 'root:x:0:' > "$root/etc/group"
  echo 'Welcome to the shared base.' > "$root/etc/motd"
  echo 'busybox base, built by the layerfs examples' > "$root/etc/issue"
  # busybox init (for lxc-start) with nothing to respawn: it waits, and powers off on lxc-stop.
  echo '::shutdown:/bin/sync' > "$root/etc/inittab"
}

# Exits with the fix when something the examples need is missing.
require_root_lxc_fuse() {
  [ "$(id -u)" = 0 ] || { echo "$0: run me as root (LXC containers and FUSE mounts need it)" >&2; exit 1; }
  local tool
  for tool in lxc-execute busybox "$@"; do
    command -v "$tool" >/dev/null || { echo "$0: $tool is missing: run sudo ./install.sh" >&2; exit 1; }
  done
  [ -e /dev/fuse ] || { echo "$0: /dev/fuse is missing: this machine cannot mount FUSE filesystems" >&2; exit 1; }
}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
