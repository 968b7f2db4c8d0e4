package dev.layerfs.host;

import dev.layerfs.control.BranchEdit;
import dev.layerfs.control.ControlClient;
import dev.layerfs.control.ControlRequest;
import dev.layerfs.mount.MountException;
import dev.layerfs.mount.MountTable;
import dev.layerfs.mount.RunFiles;
import dev.layerfs.mount.Unmounter;
import dev.layerfs.testing.LiveUnion;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One mount host serving several real FUSE mounts, each on its own branches, in this JVM. */
@Timeout(90)
class MountHostTest {

    @TempDir
    Path tmp;

    private Path base;
    private MountHost host;
    private final List<Path> mounted = new ArrayList<>();

    @BeforeEach
    void startHost() throws Exception {
        LiveUnion.assumeFuse();
        base = Tree.dir(tmp, "base");
        Tree.write(base, "etc/hostname", "base");
        host = MountHost.start(tmp.resolve("host.sock"));
    }

    @AfterEach
    void stopHost() throws Exception {
        for (Path m : mounted) {
            LiveUnion.unmount(m);
        }
        if (host != null) {
            host.close();
        }
    }

    /** Mounts a union of a fresh upper over the shared base through the host; returns the mount point. */
    private Path mount(String name) throws Exception {
        Path upper = Tree.dir(tmp, name + "-upper");
        Path mnt = Tree.dir(tmp, name).toRealPath();
        HostClient.mount(host.socket(), request("dirs=" + upper + "=rw:" + base + "=ro", mnt));
        mounted.add(mnt);
        return mnt;
    }

    private static HostRequest.Mount request(String options, Path mnt) {
        return new HostRequest.Mount(options + ",engine=wire", mnt, false);
    }

    @Test
    void mountsServedByOneHostAreIndependent() throws Exception {
        Path a = mount("a");
        Path b = mount("b");
        Path c = mount("c");
        Files.writeString(a.resolve("etc/hostname"), "a");
        Files.writeString(b.resolve("only-in-b"), "b");
        assertEquals("a", Files.readString(a.resolve("etc/hostname")));
        assertEquals("base", Files.readString(b.resolve("etc/hostname")), "a's copy-up is not b's");
        assertEquals("base", Files.readString(c.resolve("etc/hostname")));
        assertFalse(Files.exists(a.resolve("only-in-b")), "a file made in b is not in a");
        assertFalse(Files.exists(c.resolve("only-in-b")));
        assertEquals("base", Files.readString(base.resolve("etc/hostname")), "the shared lower branch is untouched");
        assertEquals(List.of(a, b, c), host.mountPoints());
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(RunFiles.pid(a))), "the pid file, though the host's umask is 0");
        String status = HostClient.status(host.socket());
        assertTrue(status.contains("3 mounts"), status);
        assertTrue(status.contains(b + "\tdirs=" + tmp.resolve("b-upper") + "=rw:" + base + "=ro"), status);
    }

    @Test
    void unmountingOneMountFreesItAndKeepsTheOthersServing() throws Exception {
        Path a = mount("a");
        Path b = mount("b");
        Unmounter.unmount(a, Duration.ofSeconds(15)); // returns once the host has let go of it
        assertFalse(MountTable.isMounted(a));
        assertFalse(Files.exists(RunFiles.pid(a)), "the host removed the pid file of the freed mount");
        assertFalse(Files.exists(RunFiles.control(a)), "and its control socket");
        assertEquals(List.of(b), host.mountPoints());
        Files.writeString(b.resolve("still"), "served");
        assertEquals("served", Files.readString(b.resolve("still")));
        Path again = mount("a"); // the same mount point, mounted again at once
        assertEquals("base", Files.readString(again.resolve("etc/hostname")));
    }

    @Test
    void aBadMountIsRefusedWithTheDaemonsMessageAndTheHostKeepsServing() throws Exception {
        Path a = mount("a");
        Path mnt = Tree.dir(tmp, "bad").toRealPath();
        Path missing = tmp.resolve("no-such-upper");
        MountException e = assertThrows(MountException.class,
                () -> HostClient.mount(host.socket(), request("dirs=" + missing + "=rw:" + base + "=ro", mnt)));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertFalse(MountTable.isMounted(mnt));
        MountException busy = assertThrows(MountException.class,
                () -> HostClient.mount(host.socket(), request("dirs=" + tmp.resolve("a-upper") + "=rw:" + base + "=ro", a)));
        assertEquals("mountpoint " + a + ": already mounted (fuse.layerfs)", busy.getMessage());
        MountException engine = assertThrows(MountException.class, () -> HostClient.mount(host.socket(),
                new HostRequest.Mount("dirs=" + base + "=ro,engine=jnr-fuse", mnt, false)));
        assertEquals("the mount host serves engine=wire only, not JNR_FUSE", engine.getMessage());
        assertEquals("base", Files.readString(a.resolve("etc/hostname")), "the host still serves its mount");
        assertEquals(List.of(a), host.mountPoints());
        mount("b");
        assertEquals(2, host.mountPoints().size());
    }

    @Test
    void aBranchAddedToAHostedMountShowsInItOnly() throws Exception {
        Path a = mount("a");
        Path b = mount("b");
        Path extra = Tree.dir(tmp, "extra");
        Tree.write(extra, "added.txt", "extra");
        String branches = ControlClient.send(a, ControlRequest.change(
                List.of(BranchEdit.parse("append:" + extra + "=ro", Path.of("/"))), false));
        assertTrue(branches.strip().endsWith(extra + "=ro"), branches);
        assertEquals("extra", Files.readString(a.resolve("added.txt")));
        assertFalse(Files.exists(b.resolve("added.txt")), "the other mount keeps its branches");
    }

    @Test
    void aSecondHostOnTheSameSocketIsRefused() {
        MountException e = assertThrows(MountException.class, () -> MountHost.start(host.socket()));
        assertEquals("a layerfs host is already listening on " + host.socket(), e.getMessage());
    }

    @Test
    void withoutAHostTheMountNamesTheSocket() {
        Path socket = tmp.resolve("nobody.sock");
        MountException e = assertThrows(MountException.class, () -> HostClient.status(socket));
        assertTrue(e.getMessage().startsWith("no layerfs host listening on " + socket), e.getMessage());
    }
}
