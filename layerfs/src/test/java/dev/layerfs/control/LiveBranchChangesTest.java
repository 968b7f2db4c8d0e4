package dev.layerfs.control;

import dev.layerfs.testing.LiveUnion;
import dev.layerfs.testing.Tree;
import dev.layerfs.union.UnionPath;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Branches added, deleted and changed on a mounted union through its control socket, as
 * {@code layerfs branch} and {@code mount -o remount} do it, with other processes holding files
 * open across the change.
 */
@Timeout(60)
class LiveBranchChangesTest {

    @TempDir
    Path tmp;

    private static String change(Path mnt, boolean force, String... edits) {
        List<BranchEdit> parsed = Arrays.stream(edits).map(e -> BranchEdit.parse(e, Path.of("/"))).toList();
        return ControlClient.send(mnt, ControlRequest.change(parsed, force));
    }

    private static String change(Path mnt, String... edits) {
        return change(mnt, false, edits);
    }

    private static String branches(Path mnt) {
        return ControlClient.send(mnt, ControlRequest.show()).strip();
    }

    @Test
    void anAddedBranchShowsItsFilesAtItsPositionAndADeletedOneTakesThemAway() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Path extra = Tree.dir(tmp, "extra");
        Tree.write(base, "etc/os-release", "base\n");
        Tree.write(extra, "etc/os-release", "extra\n"); // above base once added at 1: it wins
        Tree.write(extra, "opt/tool", "tool\n");
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"))) {
            assertEquals("base\n", Tree.read(u.resolve("etc/os-release")));
            long baseIno = u.union().getattr(UnionPath.of("/etc/os-release")).ino();
            long upIno = Files.createFile(u.resolve("mine")) != null ? u.union().getattr(UnionPath.of("/mine")).ino() : 0;

            String now = change(u.path(), "add:1:" + extra + "=ro");
            assertEquals(up + "=rw:" + extra + "=ro:" + base + "=ro", now.strip());
            assertEquals(now.strip(), branches(u.path()));
            assertEquals(List.of("etc", "mine", "opt"), ls(u.path()), "listings show the new branch at once");
            assertEquals("tool\n", Tree.read(u.resolve("opt/tool")));
            assertEquals("extra\n", Tree.read(u.resolve("etc/os-release")), "opened anew: the upper branch wins");
            assertEquals(upIno, u.union().getattr(UnionPath.of("/mine")).ino(), "files keep their inode numbers");

            change(u.path(), "del:" + extra);
            assertEquals(List.of("etc", "mine"), ls(u.path()));
            assertThrows(NoSuchFileException.class, () -> Files.readString(u.resolve("opt/tool")));
            assertEquals("base\n", Tree.read(u.resolve("etc/os-release")));
            assertEquals(baseIno, u.union().getattr(UnionPath.of("/etc/os-release")).ino(),
                    "a branch keeps its id (and its files their numbers) while others come and go");
            assertEquals(up + "=rw:" + base + "=ro", branches(u.path()));
        }
        assertTrue(Files.exists(extra.resolve("opt/tool")), "a deleted branch is left as it was");
    }

    @Test
    void aNameLookedUpAsAbsentShowsWithinNegativeTimeoutOtherNamesAtOnce() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path extra = Tree.dir(tmp, "extra");
        Tree.write(extra, "asked-before", "x");
        Tree.write(extra, "never-asked", "y");
        try (LiveUnion u = LiveUnion.mount(up + "=rw", Tree.dir(tmp, "mnt"), "negative_timeout=2")) {
            assertFalse(Files.exists(u.resolve("asked-before"))); // the kernel caches this absence for 2 s
            change(u.path(), "append:" + extra);
            long t0 = System.nanoTime();
            assertEquals("y", Tree.read(u.resolve("never-asked")), "a name not cached as absent shows at once");
            assertEquals(List.of("asked-before", "never-asked"), ls(u.path()), "listings show it at once");
            while (!Files.exists(u.resolve("asked-before")) && System.nanoTime() - t0 < 10_000_000_000L) {
                Thread.sleep(50);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(Files.exists(u.resolve("asked-before")) && seconds <= 2.5, "visible after " + seconds + " s");
        }
    }

    @Test
    void makingAReadOnlyBranchWritableMakesWritesLandThereAndBackToReadOnlyStopsThem() throws Exception {
        Path a = Tree.dir(tmp, "a");
        Path b = Tree.dir(tmp, "b");
        Tree.write(b, "conf", "from b\n");
        try (LiveUnion u = LiveUnion.mount(a + "=ro:" + b + "=ro", Tree.dir(tmp, "mnt"))) {
            assertThrows(FileSystemException.class, () -> Files.writeString(u.resolve("new"), "x"));
            change(u.path(), "mod:" + a + "=rw");
            Files.writeString(u.resolve("new"), "written\n");
            Files.writeString(u.resolve("conf"), "changed\n");
            assertEquals("written\n", Files.readString(a.resolve("new")));
            assertEquals("changed\n", Files.readString(a.resolve("conf")), "copied up into the now writable branch");
            assertEquals("from b\n", Files.readString(b.resolve("conf")));
            assertTrue(Files.isDirectory(a.resolve(".wh..wh.work")), "the new writable branch got its work directory");

            change(u.path(), "mod:" + a + "=ro");
            FileSystemException e = assertThrows(FileSystemException.class, () -> Files.writeString(u.resolve("other"), "x"));
            assertTrue(e.getMessage().contains("Read-only"), e.getMessage());
            assertEquals("changed\n", Tree.read(u.resolve("conf")));
        }
    }

    @Test
    void deletingTheWritableBranchLeavesAReadOnlyUnionUntilAnotherIsAddedOnTop() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Path fresh = Tree.dir(tmp, "fresh");
        Tree.write(base, "f", "base\n");
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"))) {
            Files.writeString(u.resolve("f"), "up\n");
            change(u.path(), "del:" + up);
            assertEquals("base\n", Tree.read(u.resolve("f")), "the lower file shows again");
            assertThrows(FileSystemException.class, () -> Files.writeString(u.resolve("g"), "x"));
            assertEquals(1, u.union().getattr(UnionPath.of("/")).ino(), "the root stays number 1 whatever the top branch");
            change(u.path(), "prepend:" + fresh + "=rw");
            assertEquals(1, u.union().getattr(UnionPath.of("/")).ino());
            Files.writeString(u.resolve("g"), "g\n");
            assertEquals("g\n", Files.readString(fresh.resolve("g")));
            assertEquals(fresh + "=rw:" + base + "=ro", branches(u.path()));
        }
        assertEquals("up\n", Files.readString(up.resolve("f")), "the deleted branch keeps what was written to it");
    }

    @Test
    void aBranchWithFilesOpenInOtherProcessesIsBusyAndTheirDescriptorsSurviveOtherChanges() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Path extra = Tree.dir(tmp, "extra");
        Tree.write(base, "data.txt", "line 1\nline 2\nline 3\n");
        Tree.write(up, "log.txt", "start\n");
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"));
             Holder reader = Holder.reader(u.resolve("data.txt"));
             Holder appender = Holder.appender(u.resolve("log.txt"))) {
            assertEquals("line 1", reader.readLine());
            String before = branches(u.path());

            ControlException busy = assertThrows(ControlException.class, () -> change(u.path(), "del:" + base));
            assertTrue(busy.getMessage().contains(base.toString()) && busy.getMessage().contains("EBUSY"), busy.getMessage());
            busy = assertThrows(ControlException.class, () -> change(u.path(), "mod:" + up + "=ro"));
            assertTrue(busy.getMessage().contains(up.toString()) && busy.getMessage().contains("open for writing"), busy.getMessage());
            assertEquals(before, branches(u.path()), "a refused change changes nothing");

            // changes around them: both descriptors keep working
            change(u.path(), "add:1:" + extra + "=ro", "mod:" + base + "=rr");
            assertEquals("line 2", reader.readLine());
            assertEquals("ok", appender.append("after the change"));
            assertEquals("start\nafter the change\n", Files.readString(up.resolve("log.txt")));

            // forced: the reader's descriptor still reads; the writable branch turned ro refuses writes
            change(u.path(), true, "del:" + base, "mod:" + up + "=ro");
            assertEquals(up + "=ro:" + extra + "=ro", branches(u.path()));
            assertEquals("line 3", reader.readLine());
            assertEquals("failed", appender.append("refused"));
            assertEquals("start\nafter the change\n", Files.readString(up.resolve("log.txt")));
            assertFalse(Files.exists(u.resolve("data.txt")));
        }
    }

    @Test
    void aRemovedFileStillOpenKeepsTheWritableBranchFromChanging() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Path extra = Tree.dir(tmp, "extra");
        Tree.write(base, "doomed", "still readable\n");
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"));
             Holder reader = Holder.reader(u.resolve("doomed"))) {
            Files.delete(u.resolve("doomed")); // open: kept in the writable branch's work directory
            ControlException busy = assertThrows(ControlException.class, () -> change(u.path(), "mod:" + up + "=ro"));
            assertTrue(busy.getMessage().contains("1 removed file still open in the work director")
                    && busy.getMessage().contains(up.toString()), busy.getMessage());
            // a branch above moves the writable one: busy too (removed files are known by its position)
            busy = assertThrows(ControlException.class, () -> change(u.path(), "add:0:" + extra + "=ro"));
            assertTrue(busy.getMessage().contains("1 removed file still open"), busy.getMessage());
            assertEquals("still readable", reader.readLine());
            assertEquals(up + "=rw:" + base + "=ro", branches(u.path()));
            change(u.path(), "append:" + extra); // below it: nothing moves
        }
    }

    @Test
    void aBranchWithADirectoryOpenIsBusyUntilItIsClosed() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Tree.write(base, "srv/www/index.html", "hi\n");
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"))) {
            try (Holder dir = Holder.directory(u.resolve("srv/www"))) {
                ControlException busy = assertThrows(ControlException.class, () -> change(u.path(), "del:" + base));
                assertTrue(busy.getMessage().contains("open directories"), busy.getMessage());
            }
            // the release reaches the daemon shortly after the process is gone
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (true) {
                try {
                    change(u.path(), "del:" + base);
                    break;
                } catch (ControlException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(50);
                }
            }
            assertEquals(up + "=rw", branches(u.path()));
        }
    }

    @Test
    void operationsRunningWhileBranchesComeAndGoSeeOneStackOrTheOther() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Path extra = Tree.dir(tmp, "extra");
        for (int i = 0; i < 20; i++) {
            Tree.write(base, "d/base" + i, "base " + i + "\n");
            Tree.write(extra, "d/extra" + i, "extra " + i + "\n");
        }
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"))) {
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.ConcurrentLinkedQueue<String> wrong = new java.util.concurrent.ConcurrentLinkedQueue<>();
            Runnable worker = () -> {
                int n = 0;
                while (!stop.get()) {
                    try {
                        List<String> names = ls(u.resolve("d")).stream().filter(x -> !x.startsWith("w")).toList();
                        if (names.size() != 20 && names.size() != 40) {
                            wrong.add("listing of " + names.size() + " names");
                        }
                        assertEquals("base 3\n", Files.readString(u.resolve("d/base3")));
                        Files.writeString(u.resolve("d/w" + (n++ % 5)), "w");
                    } catch (Throwable t) {
                        wrong.add(t.toString());
                    }
                }
            };
            Thread a = new Thread(worker);
            Thread b = new Thread(worker);
            a.start();
            b.start();
            for (int i = 0; i < 15; i++) {
                change(u.path(), "append:" + extra);
                change(u.path(), "del:" + extra);
            }
            stop.set(true);
            a.join();
            b.join();
            assertEquals(List.of(), List.copyOf(wrong).subList(0, Math.min(5, wrong.size())));
        }
    }

    @Test
    void aClientThatNeverFinishesItsRequestBlocksNoOtherClient() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path extra = Tree.dir(tmp, "extra");
        try (LiveUnion u = LiveUnion.mount(up + "=rw", Tree.dir(tmp, "mnt"));
             java.nio.channels.SocketChannel stuck = java.nio.channels.SocketChannel.open(
                     java.net.UnixDomainSocketAddress.of(dev.layerfs.mount.RunFiles.control(u.path())))) {
            stuck.write(java.nio.ByteBuffer.wrap("change\0wait\0append:".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertEquals(up + "=rw:" + extra + "=ro", change(u.path(), "append:" + extra).strip());
        }
    }

    @Test
    void badInputIsRefusedNamingTheValueAndChangesNothing() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Path file = Tree.write(tmp, "plain-file", "x");
        Path extra = Tree.dir(tmp, "extra");
        Tree.write(base, "f", "base\n");
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"))) {
            String before = branches(u.path());
            List<String> listing = ls(u.path());
            assertRefused(u.path(), "no branch " + tmp.resolve("nowhere"), "del:" + tmp.resolve("nowhere"));
            assertRefused(u.path(), "no branch " + extra, "mod:" + extra + "=rw");
            assertRefused(u.path(), "duplicate branch " + base, "add:1:" + base + "=ro");
            assertRefused(u.path(), "branch " + file + ": not a directory", "add:1:" + file + "=ro");
            assertRefused(u.path(), "branch " + tmp.resolve("gone") + ": no such directory", "append:" + tmp.resolve("gone"));
            assertRefused(u.path(), "index 3 out of range", "add:3:" + extra + "=ro");
            assertRefused(u.path(), "unknown branch mode 'rx'", "mod:" + base + "=rx");
            assertRefused(u.path(), "inside the mount point", "append:" + u.resolve("f").getParent());
            // several edits go together or not at all
            assertRefused(u.path(), "no branch " + tmp.resolve("nowhere"), "append:" + extra, "del:" + tmp.resolve("nowhere"));
            change(u.path(), "del:" + up);
            assertRefused(u.path(), "cannot delete branch " + base + ": it is the only one", "del:" + base);
            assertEquals(base + "=ro", branches(u.path()));
            assertEquals(List.of("f"), ls(u.path()));
            assertTrue(before.startsWith(up.toString()) && listing.equals(List.of("f")));
        }
    }

    private static void assertRefused(Path mnt, String expected, String... edits) throws Exception {
        String before = branches(mnt);
        // refused by the client (syntax) or by the daemon (everything else)
        RuntimeException e = assertThrows(RuntimeException.class, () -> change(mnt, edits));
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
        assertEquals(before, branches(mnt), "nothing changed after: " + e.getMessage());
    }

    private static List<String> ls(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
