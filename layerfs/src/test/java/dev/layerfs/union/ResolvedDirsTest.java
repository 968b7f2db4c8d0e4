package dev.layerfs.union;

import dev.layerfs.branch.BranchStack;
import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Directories the union resolved once are remembered ({@link ResolvedDirs}): every change to the
 * union's directories through the union must still show at once, and no descriptor may leak.
 */
@Timeout(60)
class ResolvedDirsTest {

    @TempDir
    Path tmp;

    private UnionFs union(Path up, Path base) throws Exception {
        return new UnionFs(BranchStack.parse(up + "=rw:" + base + "=ro", tmp));
    }

    private static long size(UnionFs u, String path) throws ErrnoException {
        return u.getattr(UnionPath.of(path)).size();
    }

    private static List<String> names(UnionFs u, String dir) throws ErrnoException {
        return u.list(UnionPath.of(dir)).stream().map(UnionFs.Dirent::name).sorted().toList();
    }

    @Test
    void aDirectoryRemovedAndMadeAgainShowsOnlyItsNewContent() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Tree.write(base, "d/e/old", "lower");
        try (UnionFs u = union(up, base)) {
            assertEquals(5, size(u, "/d/e/old")); // d and d/e resolved through both branches
            u.unlink(UnionPath.of("/d/e/old"));
            u.rmdir(UnionPath.of("/d/e"));
            u.mkdir(UnionPath.of("/d/e"), 0755, Caller.ROOT);
            assertEquals(List.of(), names(u, "/d/e"), "the new directory is opaque");
            var e = assertThrows(ErrnoException.class, () -> u.getattr(UnionPath.of("/d/e/old")));
            assertEquals(Errno.ENOENT, e.errno());
        }
    }

    @Test
    void aRenamedDirectoryResolvesAtItsNewNameAndNotAtItsOld() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Tree.write(base, "a/b/f", "12345");
        Tree.write(base, "x/keep", "1");
        try (UnionFs u = union(up, base)) {
            assertEquals(5, size(u, "/a/b/f"));
            u.rename(UnionPath.of("/a"), UnionPath.of("/x/a"));
            assertEquals(5, size(u, "/x/a/b/f"));
            var e = assertThrows(ErrnoException.class, () -> u.getattr(UnionPath.of("/a/b/f")));
            assertEquals(Errno.ENOENT, e.errno());
            u.mkdir(UnionPath.of("/a"), 0755, Caller.ROOT);
            assertEquals(List.of(), names(u, "/a"));
        }
    }

    @Test
    void aDirectoryCopiedUpTakesNewFilesInTheWritableBranchWhereTheyShow() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Tree.write(base, "d/e/lower", "x");
        try (UnionFs u = union(up, base)) {
            assertEquals(List.of("lower"), names(u, "/d/e")); // resolved while only the lower branch has d/e
            u.release(u.create(UnionPath.of("/d/e/new"), 0644, 1, Caller.ROOT)); // copies d and d/e up
            assertTrue(Files.exists(up.resolve("d/e/new")));
            assertEquals(List.of("lower", "new"), names(u, "/d/e"));
            assertEquals(0, size(u, "/d/e/new"));
        }
    }

    @Test
    void directoriesBelowOneCopiedUpGainTheWritableLevelToo() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Tree.write(base, "a/b/c/f", "x");
        Tree.write(base, "s/t/g", "y");
        try (UnionFs u = union(up, base)) {
            assertEquals(List.of("f"), names(u, "/a/b/c"));
            assertEquals(List.of("g"), names(u, "/s/t"));
            u.release(u.create(UnionPath.of("/a/new"), 0644, 1, Caller.ROOT)); // copies a up
            u.mkdir(UnionPath.of("/a/b/c/sub"), 0755, Caller.ROOT); // copies b and c up
            assertTrue(Files.isDirectory(up.resolve("a/b/c/sub")));
            assertEquals(List.of("f", "sub"), names(u, "/a/b/c"));
            u.rename(UnionPath.of("/s/t"), UnionPath.of("/a/b/t"));
            assertEquals(List.of("g"), names(u, "/a/b/t"));
            assertEquals(List.of(), names(u, "/s"));
            assertEquals(List.of("c", "t"), names(u, "/a/b"));
        }
    }

    @Test
    void aDirectoryMadeWhereAFileWasRemovedIsADirectoryFromThenOn() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Tree.write(base, "d/n", "file");
        try (UnionFs u = union(up, base)) {
            var e = assertThrows(ErrnoException.class, () -> u.list(UnionPath.of("/d/n")));
            assertEquals(Errno.ENOTDIR, e.errno());
            u.unlink(UnionPath.of("/d/n"));
            u.mkdir(UnionPath.of("/d/n"), 0755, Caller.ROOT);
            u.release(u.create(UnionPath.of("/d/n/inside"), 0644, 1, Caller.ROOT));
            assertEquals(List.of("inside"), names(u, "/d/n"));
        }
    }

    @Test
    void switchedOffChangesMadeDirectlyInTheBranchesShow() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Tree.write(base, "d/e/f", "x");
        try (UnionFs u = union(up, base)) {
            u.cacheDirectories(false); // udba=reval
            assertEquals(List.of("f"), names(u, "/d/e"));
            Tree.write(up, "d/e/g", "made directly in the writable branch");
            assertEquals(List.of("f", "g"), names(u, "/d/e"));
        }
    }

    @Test
    void manyDirectoriesAndChangesLeaveNoDescriptorOpenOnceClosed() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        for (int i = 0; i < ResolvedDirs.CAPACITY + 100; i++) {
            Tree.write(base, "t/d" + i + "/f", "x");
        }
        long before = openDescriptors();
        try (UnionFs u = union(up, base)) {
            for (int i = 0; i < ResolvedDirs.CAPACITY + 100; i++) {
                assertEquals(1, size(u, "/t/d" + i + "/f"));
                if (i % 50 == 0) {
                    u.mkdir(UnionPath.of("/t/d" + i + "/sub"), 0755, Caller.ROOT);
                }
            }
            assertTrue(openDescriptors() - before <= 2L * ResolvedDirs.CAPACITY + 16,
                    "at most the cache's descriptors are held: " + (openDescriptors() - before));
        }
        assertTrue(openDescriptors() - before <= 4, "descriptors left open after close: " + (openDescriptors() - before));
    }

    @Test
    void withManyBranchesTheRememberedDirectoriesStayWithinTheirDescriptorBudget() throws Exception {
        StringBuilder spec = new StringBuilder(Tree.dir(tmp, "up") + "=rw");
        for (int b = 0; b < 6; b++) {
            Path layer = Tree.dir(tmp, "layer" + b);
            for (int i = 0; i < 300; i++) {
                Tree.write(layer, "t/d" + i + "/f" + b, "x");
            }
            spec.append(':').append(layer).append("=ro");
        }
        long before = openDescriptors();
        try (UnionFs u = new UnionFs(BranchStack.parse(spec.toString(), tmp))) {
            for (int i = 0; i < 300; i++) {
                assertEquals(List.of("f0", "f1", "f2", "f3", "f4", "f5"), names(u, "/t/d" + i));
            }
            long held = openDescriptors() - before;
            assertTrue(held <= ResolvedDirs.DESCRIPTORS + 32, "descriptors held: " + held);
        }
    }

    @Test
    void manyUnionsInOneProcessShareOneDescriptorBudget() throws Exception {
        // A mount host serves many unions from one process: their caches together must leave
        // descriptors for the unions' own work, however many unions there are.
        Path base = Tree.dir(tmp, "base");
        for (int i = 0; i < 200; i++) {
            Tree.write(base, "t/d" + i + "/f", "x");
        }
        int saved = ResolvedDirs.processDescriptors;
        int heldBefore = ResolvedDirs.processHeld();
        ResolvedDirs.processDescriptors = heldBefore + 300;
        List<UnionFs> unions = new ArrayList<>();
        try {
            for (int n = 0; n < 4; n++) {
                UnionFs u = union(Tree.dir(tmp, "up" + n), base);
                unions.add(u);
                for (int i = 0; i < 200; i++) {
                    assertEquals(List.of("f"), names(u, "/t/d" + i));
                }
                assertTrue(ResolvedDirs.processHeld() <= heldBefore + 300,
                        "after " + (n + 1) + " unions the caches hold " + (ResolvedDirs.processHeld() - heldBefore));
            }
            for (UnionFs u : unions) { // every union still works, and still remembers what it can
                assertEquals(List.of("f"), names(u, "/t/d199"));
            }
        } finally {
            for (UnionFs u : unions) {
                u.close();
            }
            ResolvedDirs.processDescriptors = saved;
        }
        assertEquals(heldBefore, ResolvedDirs.processHeld(), "closed unions give their descriptors back");
    }

    @Test
    void resolvingWhileDirectoriesChangeNeverReadsAClosedDescriptor() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Tree.write(base, "a/b/c/f", "12345");
        try (UnionFs u = union(up, base)) {
            AtomicReference<Throwable> failed = new AtomicReference<>();
            long end = System.nanoTime() + 2_000_000_000L;
            List<Thread> readers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Thread r = new Thread(() -> {
                    try {
                        while (System.nanoTime() < end) {
                            assertEquals(5, size(u, "/a/b/c/f"));
                        }
                    } catch (Throwable e) {
                        failed.compareAndSet(null, e);
                    }
                });
                r.start();
                readers.add(r);
            }
            int i = 0;
            while (System.nanoTime() < end) {
                UnionPath d = UnionPath.of("/a/b/m" + i++);
                u.mkdir(d, 0755, Caller.ROOT);
                u.rmdir(d);
            }
            for (Thread r : readers) {
                r.join();
            }
            assertNull(failed.get(), () -> "a reader failed: " + failed.get());
        }
    }

    private static long openDescriptors() throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
