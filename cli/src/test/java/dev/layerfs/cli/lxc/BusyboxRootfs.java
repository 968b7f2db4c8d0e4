package dev.layerfs.cli.lxc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** A complete small root filesystem: a static busybox and its applets, a few files in /etc. */
final class BusyboxRootfs {

    private BusyboxRootfs() {
    }

    static Path build(Path root) throws IOException {
        for (String dir : new String[] {"bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "root", "usr/bin", "usr/sbin"}) {
            Files.createDirectories(root.resolve(dir));
        }
        Files.setAttribute(root.resolve("tmp"), "unix:mode", 01777);
        Path busybox = Executables.onPath("busybox").orElseThrow();
        Files.copy(busybox, root.resolve("bin/busybox"));
        Files.setPosixFilePermissions(root.resolve("bin/busybox"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Host.run("chroot", root.toString(), "/bin/busybox", "--install", "-s").ok();
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\n");
        Files.writeString(root.resolve("etc/motd"), "base motd\n");
        Files.writeString(root.resolve("etc/issue"), "base issue\n");
        // busybox init for lxc-start: nothing to respawn, so it waits; it powers off on lxc-stop.
        Files.writeString(root.resolve("etc/inittab"), "::shutdown:/bin/sync\n");
        return root;
    }

    /** Whether this host can build one: a static busybox is needed, since the rootfs has no libc. */
    static boolean available() {
        if (!Host.onPath("busybox")) {
            return false;
        }
        return !Host.run("sh", "-c", "ldd \"$(command -v busybox)\" 2>&1").output().contains("=>");
    }
}
