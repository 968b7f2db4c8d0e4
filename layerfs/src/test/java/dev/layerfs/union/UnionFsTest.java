package dev.layerfs.union;

import dev.layerfs.branch.BranchStack;
import dev.layerfs.sys.Errno;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The union logic called directly, without FUSE: the same rules the mount tests check end to end. */
class UnionFsTest {

    @TempDir
    Path tmp;

    private UnionFs union(Path... branches) throws Exception {
        StringBuilder spec = new StringBuilder();
        for (Path b : branches) {
            spec.append(spec.isEmpty() ? "" : ":").append(b);
        }
        return new UnionFs(BranchStack.parse(spec.toString(), tmp));
    }

    private static List<String> names(UnionFs u, String dir) throws ErrnoException {
        return u.list(UnionPath.of(dir)).stream().map(UnionFs.Dirent::name).toList();
    }

    @Test
    void listingMergesTopFirstAndDropsWhiteoutsAndBookkeeping() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Tree.write(base, "d/a", "");
        Tree.write(base, "d/b", "");
        Tree.write(up, "d/.wh.a", "");
        Tree.write(up, "d/c", "");
        try (UnionFs u = union(up, base)) {
            assertEquals(List.of("c", "b"), names(u, "/d"));
            assertFalse(names(u, "/").contains(Names.WORK_DIR));
        }
    }

    @Test
    void whiteoutInABranchDoesNotHideItsOwnEntry() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Tree.write(up, "x", "mine");
        Tree.write(up, ".wh.x", "");
        Tree.write(base, "x", "below");
        try (UnionFs u = union(up, base)) {
            assertEquals(List.of("x"), names(u, "/"));
            assertEquals(4, u.getattr(UnionPath.of("/x")).size());
        }
    }

    @Test
    void lookupOfAWhiteoutNameIsEnoent() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Tree.write(up, ".wh.x", "");
        try (UnionFs u = union(up)) {
            var e = assertThrows(ErrnoException.class, () -> u.getattr(UnionPath.of("/.wh.x")));
            assertEquals(Errno.ENOENT, e.errno());
        }
    }

    @Test
    void pathBelowAFileIsEnotdir() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Tree.write(up, "f", "");
        try (UnionFs u = union(up)) {
            var e = assertThrows(ErrnoException.class, () -> u.getattr(UnionPath.of("/f/g")));
            assertEquals(Errno.ENOTDIR, e.errno());
        }
    }

    @Test
    void copyUpKeepsTheInodeNumberAndLeavesNoTemporaryFile() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Tree.write(base, "a/b/c", "data");
        try (UnionFs u = union(up, base)) {
            long before = u.getattr(UnionPath.of("/a/b/c")).ino();
            u.chmod(UnionPath.of("/a/b/c"), 0600);
            assertEquals(before, u.getattr(UnionPath.of("/a/b/c")).ino());
            assertEquals("data", Tree.read(up.resolve("a/b/c")));
            assertEquals(List.of(), Files.list(up.resolve(Names.WORK_DIR)).toList());
        }
    }

    @Test
    void rmdirRefusesWhileALowerBranchStillShowsContent() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Tree.write(base, "d/f", "");
        try (UnionFs u = union(up, base)) {
            var e = assertThrows(ErrnoException.class, () -> u.rmdir(UnionPath.of("/d")));
            assertEquals(Errno.ENOTEMPTY, e.errno());
            u.unlink(UnionPath.of("/d/f"));
            u.rmdir(UnionPath.of("/d"));
            assertTrue(Files.exists(up.resolve(".wh.d")));
            assertTrue(Files.exists(base.resolve("d/f")));
        }
    }

    @Test
    void directoryRenameWithLowerContentCopiesTheTreeUpAndUpperOnlyMoves() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Tree.write(base, "low/f", "");
        Tree.write(up, "high/f", "");
        try (UnionFs u = union(up, base)) {
            u.rename(UnionPath.of("/low"), UnionPath.of("/lowmoved"));
            assertTrue(Files.exists(up.resolve("lowmoved/f")));
            assertTrue(Files.exists(up.resolve(".wh.low")));
            assertTrue(Files.exists(base.resolve("low/f")));
            u.rename(UnionPath.of("/high"), UnionPath.of("/moved"));
            assertTrue(Files.exists(up.resolve("moved/f")));
        }
    }

    @Test
    void reservedNamesCannotBeCreated() throws Exception {
        Path up = Tree.dir(tmp, "up");
        try (UnionFs u = union(up)) {
            var e = assertThrows(ErrnoException.class, () -> u.mkdir(UnionPath.of("/.wh.x"), 0755, Caller.ROOT));
            assertEquals(Errno.EPERM, e.errno());
        }
    }

    @Test
    void readOnlyUnionAnswersErofs() throws Exception {
        Path a = Tree.dir(tmp, "a");
        Tree.write(a, "f", "");
        try (UnionFs u = new UnionFs(BranchStack.parse(a + "=ro", tmp))) {
            var e = assertThrows(ErrnoException.class, () -> u.unlink(UnionPath.of("/f")));
            assertEquals(Errno.EROFS, e.errno());
        }
    }

    @Test
    void leftoversOfAnInterruptedCopyUpAreClearedAtMount() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Tree.write(up, Names.WORK_DIR + "/tmp.1.1/half", "partial");
        try (UnionFs u = union(up)) {
            assertEquals(List.of(), Files.list(up.resolve(Names.WORK_DIR)).toList());
        }
    }
}
