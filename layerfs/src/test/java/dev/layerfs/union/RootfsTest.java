package dev.layerfs.union;

import dev.layerfs.testing.Cmd;
import dev.layerfs.testing.LiveUnion;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A busybox root filesystem stacked as OCI-like layers: the merged view equals the layers
 * applied by hand, programs run from it in a chroot, and a mixed workload leaves every lower
 * branch bit-for-bit as it was.
 */
@Timeout(120)
class RootfsTest {

    @TempDir
    Path tmp;

    private static Path busybox() {
        for (String p : List.of("/bin/busybox", "/usr/bin/busybox")) {
            if (Files.isExecutable(Path.of(p))) {
                return Path.of(p);
            }
        }
        Assumptions.abort("SKIPPED: no busybox binary (install busybox-static) to build a root filesystem from");
        return null;
    }

    /** A small but complete root filesystem: busybox, an applet symlink farm, /etc, device-less /dev. */
    static void buildRootfs(Path root) throws Exception {
        Path bb = busybox();
        Files.createDirectories(root.resolve("bin"));
        Files.copy(bb, root.resolve("bin/busybox"), StandardCopyOption.COPY_ATTRIBUTES);
        for (String applet : Cmd.ok(bb.toString(), "--list-full").lines().toList()) {
            Path link = root.resolve(applet);
            Files.createDirectories(link.getParent());
            if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(link, Path.of("/bin/busybox"));
            }
        }
        for (String d : List.of("dev", "proc", "sys", "tmp", "root", "var/log", "etc/init.d")) {
            Files.createDirectories(root.resolve(d));
        }
        Tree.chmod(root.resolve("tmp"), "rwxrwxrwx");
        Tree.write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        Tree.write(root, "etc/group", "root:x:0:\n");
        Tree.write(root, "etc/hostname", "base\n");
        Tree.write(root, "etc/init.d/rcS", "#!/bin/sh\necho booted\n");
        Tree.chmod(root.resolve("etc/init.d/rcS"), "rwxr-xr-x");
        Tree.write(root, "var/log/old.log", "old\n");
        Cmd.ok("setfattr", "-n", "user.origin", "-v", "base", root.resolve("etc/passwd").toString());
    }

    /** Applies one layer's changes onto {@code target} by hand, the way an OCI unpacker does. */
    static void applyLayer(Path layer, Path target) throws IOException {
        try (Stream<Path> walk = Files.walk(layer)) {
            for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                if (p.equals(layer)) {
                    continue;
                }
                Path rel = layer.relativize(p);
                String name = p.getFileName().toString();
                Path dest = target.resolve(rel);
                if (name.equals(Names.OPAQUE)) {
                    deleteTree(dest.getParent(), false);
                } else if (name.equals(Names.WORK_DIR) && rel.getNameCount() == 1) {
                    continue;
                } else if (name.startsWith(Names.WHITEOUT_PREFIX)) {
                    deleteTree(dest.resolveSibling(name.substring(Names.WHITEOUT_PREFIX.length())), true);
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    if (Files.exists(dest, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dest, LinkOption.NOFOLLOW_LINKS)) {
                        Files.delete(dest);
                    }
                    if (!Files.exists(dest)) {
                        Files.copy(p, dest, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                    }
                } else {
                    deleteTree(dest, true);
                    Files.copy(p, dest, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
    }

    private static void deleteTree(Path p, boolean self) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                if (self || !q.equals(p)) {
                    Files.delete(q);
                }
            }
        }
    }

    @Test
    void busyboxRootfsMergedViewEqualsTheLayersAppliedByHand() throws Exception {
        Path base = Tree.dir(tmp, "base");
        Path layer = Tree.dir(tmp, "layer");
        Path up = Tree.dir(tmp, "up");
        buildRootfs(base);
        // an image layer: change a file, delete one, replace a directory's content
        Tree.write(layer, "etc/hostname", "layer\n");
        Tree.write(layer, "var/log/.wh.old.log", "");
        Tree.write(layer, "etc/init.d/.wh..wh..opq", "");
        Tree.write(layer, "etc/init.d/S01app", "#!/bin/sh\n");
        Tree.write(layer, "usr/bin/.wh.awk", "");
        // a container's own changes, already on disk from an earlier run
        Tree.write(up, "root/.profile", "PS1='# '\n");
        Tree.write(up, ".wh.sys", "");

        Path expected = Tree.dir(tmp, "expected");
        applyLayer(base, expected);
        applyLayer(layer, expected);
        applyLayer(up, expected);

        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + layer + "=ro:" + base + "=rr", Tree.dir(tmp, "mnt"))) {
            var merged = Tree.describe(u.path());
            var want = Tree.describe(expected);
            merged.remove("");
            want.remove("");
            Tree.assertSameTree(want, merged);
            assertFalse(Files.exists(u.resolve("usr/bin/awk"), LinkOption.NOFOLLOW_LINKS));
            assertEquals("S01app", Cmd.ok("chroot", u.path().toString(), "/bin/ls", "/etc/init.d"),
                    "the opaque layer directory hides the base's init script");
        }
    }

    @Test
    void programsRunFromTheUnionInAChroot() throws Exception {
        Path base = Tree.dir(tmp, "base");
        Path up = Tree.dir(tmp, "up");
        buildRootfs(base);
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + base + "=rr", Tree.dir(tmp, "mnt"))) {
            String out = Cmd.ok("chroot", u.path().toString(), "/bin/sh", "-c",
                    "/etc/init.d/rcS && echo changed > /etc/hostname && cat /etc/hostname && ls /bin | wc -l");
            List<String> lines = out.lines().toList();
            assertEquals("booted", lines.get(0));
            assertEquals("changed", lines.get(1));
            assertTrue(Integer.parseInt(lines.get(2).strip()) > 50, out);
            assertEquals("changed\n", Tree.read(up.resolve("etc/hostname")));
            assertEquals("base\n", Tree.read(base.resolve("etc/hostname")));
        }
    }

    @Test
    void mixedWorkloadLeavesTheLowerBranchesUntouched() throws Exception {
        Path base = Tree.dir(tmp, "base");
        Path layer = Tree.dir(tmp, "layer");
        Path up = Tree.dir(tmp, "up");
        buildRootfs(base);
        Tree.write(layer, "opt/app/data.bin", "x".repeat(300_000));
        Cmd.ok("mknod", layer.resolve("opt/app/null").toString(), "c", "1", "3");
        Files.createLink(layer.resolve("opt/app/hard"), layer.resolve("opt/app/data.bin"));
        String baseBefore = Tree.fingerprint(base);
        String layerBefore = Tree.fingerprint(layer);
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + layer + "=ro:" + base + "=rr", Tree.dir(tmp, "mnt"))) {
            String m = u.path().toString();
            Cmd.ok("sh", "-c", String.join(" && ",
                    "cd " + m,
                    "echo more >> etc/passwd",
                    "chmod 600 etc/group",
                    "chown 5:5 etc/hostname",
                    "touch -d 2001-01-01 etc/init.d/rcS",
                    "truncate -s 10 opt/app/data.bin",
                    "setfattr -n user.x -v y bin/busybox",
                    "mv etc/hostname etc/hostname.old",
                    "rm var/log/old.log",
                    "rm -rf usr/sbin",
                    "mkdir -p var/cache/new && echo n > var/cache/new/f",
                    "ln opt/app/hard opt/app/hard2",
                    "ln -sf /bin/busybox bin/newapplet",
                    "mknod dev/zero c 1 5",
                    "mkfifo tmp/fifo",
                    "cp -a etc etc.bak",
                    "rm -rf etc.bak/init.d",
                    "mv opt/app opt/app2 || cp -a opt/app opt/app2",
                    "rm -rf opt/app",
                    "tar -C " + m + " -cf /dev/null .",
                    "find . -xdev -type f -exec cat {} + > /dev/null"));
            assertEquals("", Cmd.ok("find", up.resolve(Names.WORK_DIR).toString(), "-mindepth", "1"));
        }
        assertEquals(baseBefore, Tree.fingerprint(base), "rr branch changed");
        assertEquals(layerBefore, Tree.fingerprint(layer), "ro branch changed");
    }
}
