package dev.layerfs.cli.lxc;

import dev.layerfs.mount.RunFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real LXC containers on real layerfs unions, made with {@code layerfs lxc-config} and removed
 * with {@code imaged lxc destroy}: what a user does, checked the way a user would.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class LayerfsContainerTest {

    @TempDir
    Path tmp;

    private Path lxcpath;
    private Path base;
    private Launchers launchers;
    private Map<String, String> env;

    @BeforeEach
    void realLxcOnRealFuse() throws IOException {
        RealLxc.assumeAvailable();
        launchers = Launchers.write(tmp.resolve("bin"));
        assumeTrue(Host.run(launchers.layerfs().toString(), "mount", "--help").output().contains("Usage: layerfs mount"),
                "SKIPPED: this build has no `layerfs mount` command yet; the container tests need it");
        env = Map.of(HookLauncher.LAYERFS.env(), launchers.layerfs().toString());
        lxcpath = Files.createDirectory(tmp.resolve("lxc"));
        base = BusyboxRootfs.build(tmp.resolve("base"));
    }

    @AfterEach
    void stopAndUnmountEverything() {
        if (lxcpath != null) {
            RealLxc.stopAll(lxcpath);
        }
        Host.unmountAllUnder(tmp);
    }

    private String layerfs(String... args) {
        return Host.run(env, concat(launchers.layerfs().toString(), args)).ok().output();
    }

    private Host.Run imaged(String... args) {
        return Host.run(env, concat(launchers.imaged().toString(), args));
    }

    private Host.Run lxc(String tool, String name, String... args) {
        return Host.run(concat(tool, concat("-P", concat(lxcpath.toString(), concat("-n", concat(name, args))))));
    }

    @Test
    void writesInAContainerLandInItsPrivateBranchAndNeverInTheSharedBase() throws IOException {
        Map<String, String> baseBefore = TreeSnapshot.of(base);
        Path delta1 = Files.createDirectory(tmp.resolve("c1-delta"));
        layerfs("lxc-config", "c1", "-o", "dirs=" + delta1 + "=rw:" + base + "=ro", "-P", lxcpath.toString());

        String seen = lxc("lxc-execute", "c1", "--", "/bin/sh", "-c",
                "echo changed >> /etc/motd && echo new > /root/new && rm /etc/issue && cat /etc/motd /root/new && ls /etc").ok().output();

        assertTrue(seen.contains("base motd\nchanged\nnew\n"), seen);
        assertFalse(seen.contains("issue"), "deleted inside the container: " + seen);
        assertEquals(baseBefore, TreeSnapshot.of(base), "the base is byte-identical");
        assertEquals("base motd\nchanged\n", Files.readString(delta1.resolve("etc/motd")));
        assertEquals("new\n", Files.readString(delta1.resolve("root/new")));
        assertTrue(Files.exists(delta1.resolve("etc/.wh.issue"), LinkOption.NOFOLLOW_LINKS), "the delete is a whiteout in the private branch");
        assertFalse(MountTable.isMountpoint(lxcpath.resolve("c1/rootfs")), "unmounted after the container stopped");

        Path delta2 = Files.createDirectory(tmp.resolve("c2-delta"));
        layerfs("lxc-config", "c2", "-o", "dirs=" + delta2 + "=rw:" + base + "=ro", "-P", lxcpath.toString());
        String second = lxc("lxc-execute", "c2", "--", "/bin/sh", "-c", "cat /etc/motd /etc/issue; ls /root").ok().output();
        assertEquals("base motd\nbase issue\n", second, "a second container over the same base sees none of the first's writes");

        imaged("lxc", "destroy", "c1", "-P", lxcpath.toString()).ok();
        imaged("lxc", "destroy", "c2", "-P", lxcpath.toString()).ok();
        assertEquals(List.of(), entries(lxcpath), "both containers are gone");
        assertEquals(List.of(), MountTable.mountsAtOrUnder(tmp), "no mount left");
        assertEquals(baseBefore, TreeSnapshot.of(base), "the base is still byte-identical");
        assertEquals("new\n", Files.readString(delta1.resolve("root/new")), "branches named by hand are the user's: destroy leaves them");
    }

    @Test
    void lxcStartBootsBusyboxInitOnTheUnionAndLxcStopUnmountsIt() throws IOException {
        Path delta = Files.createDirectory(tmp.resolve("delta"));
        layerfs("lxc-config", "web", "-o", "dirs=" + delta + "=rw:" + base + "=ro", "-P", lxcpath.toString());

        lxc("lxc-start", "web").ok();
        assertTrue(lxc("lxc-info", "web", "-s").ok().output().contains("RUNNING"));
        assertTrue(MountTable.isMountpoint(lxcpath.resolve("web/rootfs")), "the union is mounted while the container runs");
        lxc("lxc-attach", "web", "--", "/bin/sh", "-c", "echo attached > /root/a").ok();
        // allow_other: not only root may use the union, any uid in the container may.
        assertEquals("base motd\n", lxc("lxc-attach", "web", "-u", "65534", "-g", "65534", "--", "/bin/cat", "/etc/motd").ok().output());

        lxc("lxc-stop", "web").ok();
        assertTrue(lxc("lxc-info", "web", "-s").ok().output().contains("STOPPED"));
        assertFalse(MountTable.isMountpoint(lxcpath.resolve("web/rootfs")), "post-stop unmounted the union");
        assertEquals("attached\n", Files.readString(delta.resolve("root/a")));
    }

    @Test
    void containersOnTheMountHostShareItsOneProcessAndStopCleanly() throws Exception {
        Path socket = tmp.resolve("host.sock");
        Process host = new ProcessBuilder(launchers.layerfs().toString(), "host", "--socket", socket.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("host.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!Files.exists(socket)) {
                assertTrue(host.isAlive(), "the host died: " + Files.readString(tmp.resolve("host.log")));
                assertTrue(System.nanoTime() < deadline, "the host did not listen within 30 s");
                Thread.sleep(100);
            }
            Path delta1 = Files.createDirectory(tmp.resolve("d1"));
            Path delta2 = Files.createDirectory(tmp.resolve("d2"));
            layerfs("lxc-config", "h1", "-o", "dirs=" + delta1 + "=rw:" + base + "=ro,host=" + socket, "-P", lxcpath.toString());
            layerfs("lxc-config", "h2", "-o", "dirs=" + delta2 + "=rw:" + base + "=ro,host=" + socket, "-P", lxcpath.toString());

            lxc("lxc-start", "h1").ok();
            lxc("lxc-start", "h2").ok();
            String status = layerfs("host", "status", "--socket", socket.toString());
            assertTrue(status.startsWith("layerfs host pid " + host.pid() + ", 2 mounts"), status);
            lxc("lxc-attach", "h1", "--", "/bin/sh", "-c", "echo one > /root/who").ok();
            lxc("lxc-attach", "h2", "--", "/bin/sh", "-c", "echo two > /root/who").ok();

            lxc("lxc-stop", "h1").ok();
            lxc("lxc-stop", "h2").ok();
            assertEquals(List.of(), MountTable.mountsAtOrUnder(lxcpath), "post-stop unmounted both unions");
            assertTrue(host.isAlive(), "the host outlives the containers");
            assertTrue(layerfs("host", "status", "--socket", socket.toString()).startsWith("layerfs host pid " + host.pid() + ", 0 mounts"));
            assertEquals("one\n", Files.readString(delta1.resolve("root/who")));
            assertEquals("two\n", Files.readString(delta2.resolve("root/who")));

            Host.Run bad = Host.run(env, launchers.layerfs().toString(), "lxc-config", "h3", "-o",
                    "dirs=" + delta1 + "=rw:" + base + "=ro,host=relative.sock", "-P", lxcpath.toString());
            assertEquals(2, bad.exit());
            assertTrue(bad.output().contains("mount host socket 'relative.sock' must be an absolute path"), bad.output());
        } finally {
            RealLxc.stopAll(lxcpath);
            host.destroy();
            host.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void destroyStopsARunningContainerAndLeavesNoMount() throws IOException {
        Path delta = Files.createDirectory(tmp.resolve("delta"));
        layerfs("lxc-config", "busy", "-o", "dirs=" + delta + "=rw:" + base + "=ro", "-P", lxcpath.toString());
        lxc("lxc-start", "busy").ok();
        assertTrue(MountTable.isMountpoint(lxcpath.resolve("busy/rootfs")));

        imaged("lxc", "destroy", "busy", "-P", lxcpath.toString()).ok();

        assertEquals(List.of(), entries(lxcpath));
        assertEquals(List.of(), MountTable.mountsAtOrUnder(tmp));
        assertTrue(Files.isRegularFile(base.resolve("etc/motd")), "the base is untouched");
    }

    @Test
    void aBranchGoneMissingFailsTheStartClearlyAndMountsNothing() throws IOException {
        Path delta = Files.createDirectory(tmp.resolve("delta"));
        layerfs("lxc-config", "c1", "-o", "dirs=" + delta + "=rw:" + base + "=ro", "-P", lxcpath.toString());
        Files.delete(delta);

        Host.Run start = lxc("lxc-execute", "c1", "--", "/bin/true");

        assertTrue(start.exit() != 0, "the start fails");
        assertTrue(start.output().contains("layerfs-mount-hook: c1: layerfs mount of " + lxcpath.resolve("c1/rootfs") + " failed"), start.output());
        assertEquals(List.of(), MountTable.mountsAtOrUnder(tmp), "nothing mounted");
    }

    @Test
    void aUnionLeftByACrashedDaemonIsReplacedAtTheNextStart() throws Exception {
        Path delta = Files.createDirectory(tmp.resolve("delta"));
        String dirs = "dirs=" + delta + "=rw:" + base + "=ro";
        layerfs("lxc-config", "c1", "-o", dirs, "-P", lxcpath.toString());
        Path rootfs = lxcpath.resolve("c1/rootfs");
        layerfs("mount", "-o", dirs, rootfs.toString());
        long daemon = Long.parseLong(Files.readString(RunFiles.pid(rootfs)).strip());
        ProcessHandle.of(daemon).orElseThrow().destroyForcibly();
        ProcessHandle.of(daemon).ifPresent(p -> p.onExit().join());
        assertEquals(1, Host.run("stat", rootfs.toString()).exit(), "a dead union: Transport endpoint is not connected");

        assertEquals("base motd\n", lxc("lxc-execute", "c1", "--", "/bin/cat", "/etc/motd").ok().output());

        assertEquals(List.of(), MountTable.mountsAtOrUnder(tmp), "the dead union was unmounted, the new one after the stop");
        assertTrue(Files.readString(lxcpath.resolve("c1/layerfs.log")).contains("lazily unmounting a dead union on " + rootfs));
    }

    @Test
    void badInputIsOneClearLineAndCreatesNothing() throws IOException {
        Path delta = Files.createDirectory(tmp.resolve("delta"));
        String dirs = "dirs=" + delta + "=rw:" + base + "=ro";
        layerfs("lxc-config", "c1", "-o", dirs, "-P", lxcpath.toString());

        Host.Run taken = Host.run(env, launchers.layerfs().toString(), "lxc-config", "c1", "-o", dirs, "-P", lxcpath.toString());
        assertEquals(2, taken.exit());
        assertEquals("layerfs: container c1 already exists in " + lxcpath + "\n", taken.output());

        Host.Run missing = Host.run(env, launchers.layerfs().toString(), "lxc-config", "c2", "-o", "dirs=" + delta + ":" + tmp.resolve("nope"), "-P", lxcpath.toString());
        assertEquals(2, missing.exit());
        assertEquals("layerfs: branch " + tmp.resolve("nope") + ": no such directory\n", missing.output());

        Host.Run noLxc = Host.run(Map.of(HookLauncher.LAYERFS.env(), launchers.layerfs().toString(), "PATH", tmp.resolve("bin").toString()),
                launchers.layerfs().toString(), "lxc-config", "c3", "-o", dirs, "-P", lxcpath.toString());
        assertEquals(2, noLxc.exit());
        assertEquals("layerfs: LXC is not installed (lxc-start is not on PATH): apt-get install lxc\n", noLxc.output());

        Host.Run unknown = imaged("lxc", "destroy", "nosuch", "-P", lxcpath.toString());
        assertEquals(2, unknown.exit());
        assertEquals("imaged: no container nosuch in " + lxcpath + "\n", unknown.output());

        assertEquals(List.of("c1"), entries(lxcpath), "only the first container exists");
    }

    static List<String> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static String[] concat(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
