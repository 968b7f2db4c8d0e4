package dev.layerfs.cli.layerfs;

import dev.layerfs.mount.MountTable;
import dev.layerfs.mount.RunFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code layerfs mount} and {@code layerfs umount}, run as the real launcher in separate processes. */
@Timeout(90)
class MountCommandTest {

    @TempDir
    Path tmp;
    Path up;
    Path base;
    Path mnt;
    final List<Path> mounted = new ArrayList<>();

    @BeforeEach
    void branches() throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/fuse")),
                "SKIPPED: /dev/fuse is absent, so no FUSE mount can be made on this machine");
        up = Files.createDirectories(tmp.resolve("up"));
        base = Files.createDirectories(tmp.resolve("base"));
        mnt = Files.createDirectories(tmp.resolve("mnt")).toRealPath();
        Files.writeString(base.resolve("hello"), "from base\n");
        mounted.add(mnt);
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Path p : mounted) {
            if (MountTable.isMounted(p)) {
                new ProcessBuilder("fusermount", "-u", "-z", p.toString()).inheritIO().start().waitFor();
            }
            Files.deleteIfExists(RunFiles.log(p)); // leave /run/layerfs as we found it
        }
    }

    private static Optional<ProcessHandle> daemonOf(Path mountPoint) throws Exception {
        Path pid = RunFiles.pid(mountPoint);
        return Files.exists(pid) ? ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())) : Optional.empty();
    }

    @Test
    void mountReturnsOnceLiveAndUmountStopsTheDaemon() throws Exception {
        var r = LayerfsProcess.run("mount", "-o", "dirs=" + up + "=rw:" + base + "=ro", mnt.toString());
        assertEquals(0, r.exit(), r.stderr());
        assertEquals(Optional.of("fuse.layerfs"), MountTable.typeAt(mnt), "live as soon as mount returns");
        assertEquals("from base\n", Files.readString(mnt.resolve("hello")));
        Files.writeString(mnt.resolve("hello"), "changed\n");
        assertEquals("changed\n", Files.readString(up.resolve("hello")));
        assertEquals("from base\n", Files.readString(base.resolve("hello")));
        ProcessHandle daemon = daemonOf(mnt).orElseThrow(() -> new AssertionError("no daemon pid file"));
        assertTrue(daemon.isAlive());
        assertTrue(Files.readString(RunFiles.log(mnt)).contains("mounting"), "the daemon logs to its log file");

        var u = LayerfsProcess.run("umount", mnt.toString());
        assertEquals(0, u.exit(), u.stderr());
        assertFalse(MountTable.isMounted(mnt));
        assertTrue(dev.layerfs.mount.Unmounter.hasExited(daemon.pid()), "the daemon exits with the unmount");
        assertEquals("changed\n", Files.readString(up.resolve("hello")), "written data stays in the rw branch");
    }

    @Test
    void foregroundMountServesUntilUnmounted() throws Exception {
        Process p = new ProcessBuilder(LayerfsProcess.command("mount", "-f", "-o", "dirs=" + up + ":" + base, mnt.toString()))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("fg.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!MountTable.isMounted(mnt) && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(MountTable.isMounted(mnt), Files.readString(tmp.resolve("fg.log")));
            assertTrue(p.isAlive(), "-f keeps serving in the foreground");
            assertEquals("from base\n", Files.readString(mnt.resolve("hello")));
            assertEquals(0, new ProcessBuilder("fusermount", "-u", mnt.toString()).start().waitFor());
            assertTrue(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS), "exits after the unmount");
            assertEquals(0, p.exitValue());
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void suidAndDevPassThroughForContainerRootFilesystems() throws Exception {
        var r = LayerfsProcess.run("mount", "-o", "dirs=" + up + "=rw:" + base + "=ro,suid,dev", mnt.toString());
        assertEquals(0, r.exit(), r.stderr());
        String line = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.split(" ")[4].equals(mnt.toString())).findFirst().orElseThrow();
        String mountOptions = line.split(" ")[5];
        assertFalse(mountOptions.contains("nosuid"), line);
        assertFalse(mountOptions.contains("nodev"), line);
        assertTrue(line.contains("allow_other") && line.contains("default_permissions"), line);
        assertEquals(0, LayerfsProcess.run("umount", mnt.toString()).exit());
    }

    @Test
    void aDaemonKilledDuringCopyUpLeavesTheOriginalOrTheWholeCopyNeverAPart() throws Exception {
        byte[] data = new byte[64 << 20];
        new java.util.Random(7).nextBytes(data);
        Files.write(base.resolve("big"), data);
        String dirs = "dirs=" + up + "=rw:" + base + "=ro";
        assertEquals(0, LayerfsProcess.run("mount", "-o", dirs, mnt.toString()).exit());
        ProcessHandle daemon = daemonOf(mnt).orElseThrow();
        Process writer = new ProcessBuilder("sh", "-c", "echo tail >> " + mnt.resolve("big")).start();
        Thread.sleep(150);
        daemon.destroyForcibly(); // SIGKILL: no shutdown hook, no unmount
        writer.waitFor(20, java.util.concurrent.TimeUnit.SECONDS);
        writer.destroyForcibly();
        new ProcessBuilder("fusermount", "-u", "-z", mnt.toString()).start().waitFor();

        assertEquals(0, LayerfsProcess.run("mount", "-o", dirs, mnt.toString()).exit());
        byte[] seen = Files.readAllBytes(mnt.resolve("big"));
        assertTrue(seen.length == data.length || seen.length == data.length + 5, "length " + seen.length);
        assertTrue(java.util.Arrays.equals(seen, 0, data.length, data, 0, data.length), "the original bytes, all of them");
        try (var work = Files.list(up.resolve(".wh..wh.work"))) {
            assertEquals(0, work.count(), "interrupted copy-ups are cleared at mount");
        }
        assertTrue(java.util.Arrays.equals(data, Files.readAllBytes(base.resolve("big"))), "the ro branch is untouched");
        assertEquals(0, LayerfsProcess.run("umount", mnt.toString()).exit());
    }

    // ---- bad input: one clear line naming the value, non-zero exit, nothing mounted ----

    private void assertRefused(String offending, String... args) throws Exception {
        var r = LayerfsProcess.run(args);
        assertNotEquals(0, r.exit(), "must fail: " + String.join(" ", args));
        assertEquals(1, r.stderr().lines().count(), "one line: " + r.stderr());
        assertTrue(r.stderr().startsWith("layerfs: ") && r.stderr().contains(offending),
                "names " + offending + ": " + r.stderr());
        assertFalse(MountTable.isMounted(mnt), "nothing left mounted");
    }

    @Test
    void unknownBranchModeIsRefused() throws Exception {
        assertRefused("rx", "mount", "-o", "dirs=" + up + "=rw:" + base + "=rx", mnt.toString());
    }

    @Test
    void missingBranchDirectoryIsRefused() throws Exception {
        Path nope = tmp.resolve("nope");
        assertRefused(nope.toString(), "mount", "-o", "dirs=" + up + "=rw:" + nope + "=ro", mnt.toString());
    }

    @Test
    void emptyBranchInTheListIsRefused() throws Exception {
        assertRefused("missing branch", "mount", "-o", "dirs=" + up + "=rw::" + base, mnt.toString());
    }

    @Test
    void missingDirsOptionIsRefused() throws Exception {
        assertRefused("dirs=", "mount", mnt.toString());
    }

    @Test
    void duplicatedBranchIsRefused() throws Exception {
        assertRefused("duplicate branch " + base, "mount", "-o", "dirs=" + up + "=rw:" + base + ":" + base + "=rr", mnt.toString());
    }

    @Test
    void branchInsideTheMountpointIsRefused() throws Exception {
        Path inner = Files.createDirectories(mnt.resolve("inner"));
        assertRefused(inner.toString(), "mount", "-o", "dirs=" + inner + "=rw:" + base, mnt.toString());
    }

    @Test
    void mountpointInsideABranchIsRefused() throws Exception {
        Path inner = Files.createDirectories(up.resolve("rootfs")).toRealPath();
        mounted.add(inner);
        var r = LayerfsProcess.run("mount", "-o", "dirs=" + up + "=rw:" + base, inner.toString());
        assertNotEquals(0, r.exit());
        assertTrue(r.stderr().contains("inside the branch") && r.stderr().contains(inner.toString()), r.stderr());
        assertFalse(MountTable.isMounted(inner));
    }

    @Test
    void missingMountpointIsRefused() throws Exception {
        assertRefused(tmp.resolve("absent").toString(), "mount", "-o", "dirs=" + up + ":" + base, tmp.resolve("absent").toString());
    }

    @Test
    void alreadyMountedMountpointIsRefused() throws Exception {
        assertEquals(0, LayerfsProcess.run("mount", "-o", "dirs=" + up + ":" + base, mnt.toString()).exit());
        var r = LayerfsProcess.run("mount", "-o", "dirs=" + up + ":" + base, mnt.toString());
        assertNotEquals(0, r.exit());
        assertTrue(r.stderr().contains("already mounted") && r.stderr().contains(mnt.toString()), r.stderr());
        assertEquals(1, r.stderr().lines().count(), r.stderr());
        assertEquals(0, LayerfsProcess.run("umount", mnt.toString()).exit());
        assertFalse(MountTable.isMounted(mnt));
    }

    @Test
    void optionFuseRejectsIsRelayedFromTheDaemon() throws Exception {
        assertRefused("bogus_opt", "mount", "-o", "dirs=" + up + ":" + base + ",bogus_opt", mnt.toString());
    }

    @Test
    void umountOfSomethingNotMountedIsRefused() throws Exception {
        var r = LayerfsProcess.run("umount", mnt.toString());
        assertNotEquals(0, r.exit());
        assertTrue(r.stderr().contains("not mounted: " + mnt), r.stderr());
    }
}
