package dev.layerfs.imaged.layer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Builds a directory tree holding every kind of entry a layer must carry, made with the real
 * tools (setfattr, mknod, mkfifo, chown, touch) rather than the code under test.
 */
public final class SampleTree {

    private SampleTree() {
    }

    /** Every kind of entry and metadata; the device node only when running as root. */
    public static Path rich(Path dir) throws IOException {
        Files.createDirectories(dir);
        String d = dir.toString();
        write(dir.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        write(dir.resolve("etc/motd"), "welcome\n");
        write(dir.resolve("bin/tool"), "#!/bin/sh\necho tool\n");
        Commands.run("chmod", "4755", d + "/bin/tool");
        Commands.run("ln", d + "/bin/tool", d + "/bin/tool-again");
        write(dir.resolve("bin/ping"), "pretend ping\n");
        write(dir.resolve("home/user/secret"), "only mine\n");
        Commands.run("chown", "-R", "1000:1001", d + "/home/user");
        Commands.run("chmod", "0600", d + "/home/user/secret");
        Commands.run("chmod", "0700", d + "/home/user");
        write(dir.resolve("home/big-uid"), "owned by a uid beyond ustar's octal field\n");
        Commands.run("chown", "3000000:3000001", d + "/home/big-uid");
        Files.createDirectories(dir.resolve("tmp"));
        Commands.run("chmod", "1777", d + "/tmp");
        Files.createDirectories(dir.resolve("empty"));
        Files.createDirectories(dir.resolve("lib"));
        Commands.run("ln", "-s", "../etc/passwd", d + "/lib/passwd-link");
        Commands.run("ln", "-s", "/nonexistent/dangling", d + "/lib/dangling");
        Commands.run("ln", "-s", "../lib//sub/", d + "/lib/odd-target"); // kept byte for byte, not normalised
        Commands.run("chown", "-h", "1000:1000", d + "/lib/passwd-link");
        Files.createDirectories(dir.resolve("run"));
        Commands.run("mkfifo", "-m", "0620", d + "/run/fifo");
        if (NativeFs.isRoot()) {
            Files.createDirectories(dir.resolve("dev"));
            Commands.run("mknod", "-m", "0666", d + "/dev/null2", "c", "1", "3");
            Commands.run("mknod", "-m", "0660", d + "/dev/loop9", "b", "7", "9");
        }
        write(dir.resolve("xattrs/file"), "with attributes\n");
        Commands.run("setfattr", "-n", "user.comment", "-v", "hello layer", d + "/xattrs/file");
        Commands.run("setfattr", "-n", "user.binary", "-v", "0x00ff10fe", d + "/xattrs/file");
        if (NativeFs.isRoot()) {
            Commands.run("setfattr", "-n", "trusted.overlay.test", "-v", "y", d + "/xattrs");
            // File capabilities (cap_setuid,cap_net_raw+ep): binary (0x80 is not UTF-8), and cleared by any chown.
            Commands.run("setfattr", "-n", "security.capability", "-v", "0x0100000280200000000000000000000000000000", d + "/bin/ping");
        }
        // A layerfs writable branch: whiteouts and an opaque directory are content…
        write(dir.resolve(".wh.removed-file"), "");
        write(dir.resolve("opaque/.wh..wh..opq"), "");
        write(dir.resolve("opaque/new"), "replaces the lower directory\n");
        String longName = "d".repeat(90) + "/" + "f".repeat(120);
        write(dir.resolve(longName), "a path far beyond 100 bytes\n");
        write(dir.resolve("naïve-日本.txt"), "non-ascii name\n");
        write(dir.resolve("etc/bigfile"), "x".repeat(300_000));
        // Fixed times, set last and deepest first so directory times are not disturbed afterwards.
        Commands.run("touch", "-h", "-d", "2001-02-03 04:05:06.123456789", d + "/etc/passwd");
        Commands.run("touch", "-h", "-d", "1985-01-01 00:00:00", d + "/lib/passwd-link");
        Commands.run("touch", "-d", "2010-10-10 10:10:10", d + "/etc");
        return dir;
    }

    /** Adds layerfs/AUFS bookkeeping that must NOT end up in a layer. */
    public static void addLayerfsMetadata(Path dir) throws IOException {
        write(dir.resolve(".wh..wh.aufs"), "");
        write(dir.resolve(".wh..wh.plnk/123.456"), "pseudo link");
        Files.createDirectories(dir.resolve(".wh..wh.orph"));
    }

    public static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }
}
