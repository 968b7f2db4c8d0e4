package dev.layerfs.cli.layerfs;

import dev.layerfs.mount.MountTable;
import dev.layerfs.mount.RunFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code layerfs branch add|del|mod|list} and {@code mount -o remount,add:...} against a union
 * mounted by {@code layerfs mount}, every command a separate process as a user runs it.
 */
@Timeout(120)
class BranchCommandTest {

    @TempDir
    Path tmp;
    Path up;
    Path base;
    Path extra;
    Path mnt;

    @BeforeEach
    void mount() throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/fuse")),
                "SKIPPED: /dev/fuse is absent, so no FUSE mount can be made on this machine");
        up = Files.createDirectories(tmp.resolve("up"));
        base = Files.createDirectories(tmp.resolve("base"));
        extra = Files.createDirectories(tmp.resolve("extra"));
        mnt = Files.createDirectories(tmp.resolve("mnt")).toRealPath();
        Files.writeString(base.resolve("hello"), "from base\n");
        Files.writeString(extra.resolve("tool"), "from extra\n");
        var r = LayerfsProcess.run("mount", "-o", "dirs=" + up + "=rw:" + base + "=ro", mnt.toString());
        assertEquals(0, r.exit(), r.stderr());
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (MountTable.isMounted(mnt)) {
            LayerfsProcess.run("umount", mnt.toString());
        }
        if (MountTable.isMounted(mnt)) {
            new ProcessBuilder("fusermount", "-u", "-z", mnt.toString()).inheritIO().start().waitFor();
        }
        Files.deleteIfExists(RunFiles.log(mnt));
    }

    @Test
    void branchesChangeOnTheMountedUnionAndTheCommandPrintsThem() throws Exception {
        var list = LayerfsProcess.run("branch", "list", mnt.toString());
        assertEquals(0, list.exit(), list.stderr());
        assertEquals(up + "=rw:" + base + "=ro", list.stdout());

        var add = LayerfsProcess.run("branch", "add", mnt.toString(), "--at", "1", extra + "=ro");
        assertEquals(0, add.exit(), add.stderr());
        assertEquals(up + "=rw:" + extra + "=ro:" + base + "=ro", add.stdout());
        assertEquals("from extra\n", Files.readString(mnt.resolve("tool")));

        var mod = LayerfsProcess.run("branch", "mod", mnt.toString(), base + "=rr");
        assertEquals(0, mod.exit(), mod.stderr());
        assertEquals(up + "=rw:" + extra + "=ro:" + base + "=rr", mod.stdout());

        var del = LayerfsProcess.run("branch", "del", mnt.toString(), extra.toString());
        assertEquals(0, del.exit(), del.stderr());
        assertEquals(List.of("hello"), List.of(mnt.toFile().list()));

        Path socket = RunFiles.control(mnt);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)),
                "only the daemon's user (and root) may change branches");
        LayerfsProcess.run("umount", mnt.toString());
        assertFalse(Files.exists(socket), "the socket goes with the mount");
    }

    @Test
    void refusedChangesExitWithStatusTwoAndOneLineNamingTheBranch() throws Exception {
        var unknown = LayerfsProcess.run("branch", "del", mnt.toString(), extra.toString());
        assertEquals(2, unknown.exit());
        assertEquals("layerfs: no branch " + extra + " in " + up + "=rw:" + base + "=ro (EINVAL)", unknown.stderr());

        var range = LayerfsProcess.run("branch", "add", mnt.toString(), "--at", "7", extra.toString());
        assertEquals(2, range.exit());
        assertTrue(range.stderr().contains("index 7 out of range for branch " + extra), range.stderr());

        var notMounted = LayerfsProcess.run("branch", "list", tmp.toString());
        assertEquals(2, notMounted.exit());
        assertEquals("layerfs: not mounted: " + tmp, notMounted.stderr());

        Process holder = new ProcessBuilder("sh", "-c", "exec 3<\"$1\"; read x", "holder", mnt.resolve("hello").toString()).start();
        try {
            Path fd = Path.of("/proc", Long.toString(holder.pid()), "fd", "3");
            while (!Files.exists(fd, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Thread.sleep(10);
            }
            var busy = LayerfsProcess.run("branch", "del", mnt.toString(), base.toString());
            assertEquals(2, busy.exit());
            assertTrue(busy.stderr().contains("branch busy: " + base + " (1 open file)") && busy.stderr().endsWith("(EBUSY)"),
                    busy.stderr());
            var forced = LayerfsProcess.run("branch", "del", "--force", mnt.toString(), base.toString());
            assertEquals(0, forced.exit(), forced.stderr());
            assertEquals(up + "=rw", forced.stdout());
        } finally {
            holder.destroy();
            holder.waitFor();
        }
    }

    @Test
    void remountThroughTheMountHelperChangesBranchesAllOrNothing() throws Exception {
        var bad = helper("layerfs", mnt.toString(), "-o", "rw,remount,add:1:" + extra + "=ro,del:" + tmp.resolve("nowhere"));
        assertEquals(2, bad.exit(), bad.output());
        assertTrue(bad.output().contains("no branch " + tmp.resolve("nowhere")), bad.output());
        assertEquals(up + "=rw:" + base + "=ro", LayerfsProcess.run("branch", "list", mnt.toString()).stdout(),
                "the first edit was not applied either");

        var ok = helper("layerfs", mnt.toString(), "-o", "rw,remount,add:1:" + extra + "=ro,mod:" + base + "=rr");
        assertEquals(0, ok.exit(), ok.output());
        assertEquals(up + "=rw:" + extra + "=ro:" + base + "=rr", LayerfsProcess.run("branch", "list", mnt.toString()).stdout());
        assertEquals("from extra\n", Files.readString(mnt.resolve("tool")));
    }

    @Test
    void remountByMount8ReachesTheDaemonThroughTheInstalledHelper() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/sbin/mount.fuse.layerfs")),
                "SKIPPED: /sbin/mount.fuse.layerfs is not installed (./install.sh installs it)");
        ProcessBuilder pb = new ProcessBuilder("mount", "-o", "remount,del:" + base, mnt.toString()).redirectErrorStream(true);
        pb.environment().put("LAYERFS_BIN", launcher().toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertEquals(up + "=rw", LayerfsProcess.run("branch", "list", mnt.toString()).stdout());
        assertEquals(List.of(), List.of(mnt.toFile().list()));
    }

    private record Output(int exit, String output) {
    }

    private Output helper(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("sh", "src/main/dist/mount.fuse.layerfs"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LAYERFS_BIN", launcher().toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Output(p.waitFor(), out);
    }

    /** The launcher as a script, as installed: the helper runs it. */
    private Path launcher() throws Exception {
        Path launcher = tmp.resolve("layerfs");
        if (!Files.exists(launcher)) {
            StringBuilder sh = new StringBuilder("#!/bin/sh\nexec");
            for (String part : LayerfsProcess.command()) {
                sh.append(" '").append(part).append('\'');
            }
            Files.writeString(launcher, sh.append(" \"$@\"\n").toString());
            Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return launcher;
    }
}
