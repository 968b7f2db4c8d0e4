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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code layerfs host} serving the mounts that {@code layerfs mount -o host=...} asks for, each
 * command a separate process as a user (or systemd) runs it.
 */
@Timeout(120)
class HostCommandTest {

    @TempDir
    Path tmp;
    Path base;
    Path socket;
    Process host;
    final List<Path> mounts = new ArrayList<>();

    @BeforeEach
    void startHost() throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/fuse")),
                "SKIPPED: /dev/fuse is absent, so no FUSE mount can be made on this machine");
        base = Files.createDirectories(tmp.resolve("base"));
        Files.writeString(base.resolve("hello"), "from base\n");
        socket = tmp.resolve("host.sock");
        List<String> cmd = LayerfsProcess.command("host", "--socket", socket.toString());
        cmd.add(1, "-Dfile.encoding=ISO-8859-1");
        host = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("host.log").toFile()).start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!Files.exists(socket)) {
            assertTrue(host.isAlive(), "the host died: " + Files.readString(tmp.resolve("host.log")));
            assertTrue(System.nanoTime() < deadline, "the host did not listen within 30 s");
            Thread.sleep(20);
        }
    }

    @AfterEach
    void stopHost() throws Exception {
        if (host != null) {
            host.destroy(); // SIGTERM: the host unmounts what it still serves
            host.waitFor();
        }
        for (Path m : mounts) {
            if (MountTable.isMounted(m)) {
                new ProcessBuilder("fusermount", "-u", "-z", m.toString()).inheritIO().start().waitFor();
            }
        }
    }

    private Path mount(String name) throws Exception {
        Path up = Files.createDirectories(tmp.resolve(name + "-up"));
        Path mnt = Files.createDirectories(tmp.resolve(name)).toRealPath();
        var r = LayerfsProcess.run("mount", "-o", "host=" + socket + ",dirs=" + up + "=rw:" + base + "=ro", mnt.toString());
        assertEquals(0, r.exit(), r.stderr());
        mounts.add(mnt);
        return mnt;
    }

    @Test
    void oneHostServesSeveralMountsThatEndOneByOne() throws Exception {
        Path a = mount("a");
        Path b = mount("b");
        Files.writeString(a.resolve("hello"), "from a\n");
        assertEquals("from base\n", Files.readString(b.resolve("hello")), "a write in one mount is not in the other");

        var status = LayerfsProcess.run("host", "status", "--socket", socket.toString());
        assertEquals(0, status.exit(), status.stderr());
        assertTrue(status.stdout().startsWith("layerfs host pid " + host.pid() + ", 2 mounts"), status.stdout());
        assertTrue(status.stdout().contains(a + "\tdirs=" + tmp.resolve("a-up") + "=rw:" + base + "=ro"), status.stdout());

        Path extra = Files.createDirectories(tmp.resolve("extra"));
        Files.writeString(extra.resolve("tool"), "from extra\n");
        var add = LayerfsProcess.run("branch", "add", b.toString(), extra + "=ro");
        assertEquals(0, add.exit(), add.stderr());
        assertEquals("from extra\n", Files.readString(b.resolve("tool")));

        var umount = LayerfsProcess.run("umount", a.toString());
        // a mount namespace made meanwhile (a container started by another test) holds a copy of
        // the mount, and with it the FUSE session: the host cannot let go until that ends
        assertEquals(0, umount.exit(), umount.stderr() + "; still mounted in the namespaces of " + holders(a));
        assertFalse(MountTable.isMounted(a));
        assertTrue(host.isAlive(), "the host outlives its mounts");
        assertEquals("from extra\n", Files.readString(b.resolve("tool")), "the other mount is still served");
        var after = LayerfsProcess.run("host", "status", "--socket", socket.toString());
        assertTrue(after.stdout().startsWith("layerfs host pid " + host.pid() + ", 1 mounts"), after.stdout());

        host.destroy(); // SIGTERM, as systemctl stop
        assertEquals(143, host.waitFor());
        assertFalse(MountTable.isMounted(b), "stopping the host unmounts what it served");
        assertFalse(Files.exists(RunFiles.pid(b)), "and removes the mount's pid file");
        assertFalse(Files.exists(RunFiles.control(b)), "and its control socket");
        assertFalse(Files.exists(socket), "and its own socket");
    }

    /** The processes whose mount namespace still lists {@code mountPoint}. */
    private static List<String> holders(Path mountPoint) throws Exception {
        List<String> out = new ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (Files.readString(p.resolve("mountinfo")).contains(" " + mountPoint + " ")) {
                        out.add(p.getFileName() + " " + Files.readString(p.resolve("comm")).strip());
                    }
                } catch (java.io.IOException gone) {
                    // the process ended meanwhile
                }
            }
        }
        return out;
    }

    @Test
    void aBadMountFailsAsWithoutTheHostAndTheHostServesOn() throws Exception {
        Path mnt = Files.createDirectories(tmp.resolve("bad")).toRealPath();
        String dirs = "dirs=" + tmp.resolve("missing") + "=rw:" + base + "=ro";
        var classic = LayerfsProcess.run("mount", "-o", dirs, mnt.toString());
        var hosted = LayerfsProcess.run("mount", "-o", "host=" + socket + "," + dirs, mnt.toString());
        assertEquals(2, hosted.exit());
        assertEquals(classic.stderr(), hosted.stderr());
        assertTrue(hosted.stderr().contains(tmp.resolve("missing").toString()), hosted.stderr());
        assertEquals("from base\n", Files.readString(mount("good").resolve("hello")), "the host still mounts");
    }

    @Test
    void withoutAHostTheMountSaysWhichSocketItTried() throws Exception {
        Path mnt = Files.createDirectories(tmp.resolve("m")).toRealPath();
        Path none = tmp.resolve("none.sock");
        var r = LayerfsProcess.run("mount", "-o", "host=" + none + ",dirs=" + base + "=ro", mnt.toString());
        assertEquals(2, r.exit());
        assertEquals("layerfs: no layerfs host listening on " + none
                + " (no such socket): start one with `layerfs host`, or mount without -o host", r.stderr());
        assertFalse(MountTable.isMounted(mnt));
    }
}
