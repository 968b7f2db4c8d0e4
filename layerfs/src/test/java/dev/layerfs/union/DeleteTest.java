package dev.layerfs.union;

import dev.layerfs.testing.UnionCase;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Deleting, and creating again after a delete. */
@Timeout(60)
class DeleteTest extends UnionCase {

    @Override
    protected void populate() throws Exception {
        Tree.write(base, "dir/lower", "L");
        Tree.write(base, "dir/shadowed", "below");
        Tree.write(base, "full/a", "a");
        Tree.write(base, "full/sub/b", "b");
        Tree.dir(base, "emptydir");
        Tree.write(up, "dir/shadowed", "above");
        Tree.write(up, "dir/upper-only", "U");
    }

    @Test
    void deletingLowerFileLeavesWhiteout() throws Exception {
        Files.delete(m("dir/lower"));
        assertFalse(Files.exists(m("dir/lower")));
        assertTrue(Files.isRegularFile(up.resolve("dir/.wh.lower")));
        assertEquals(List.of("shadowed", "upper-only"), ls(m("dir")));
    }

    @Test
    void deletingUpperFileThatShadowsALowerOneRemovesItAndLeavesWhiteout() throws Exception {
        Files.delete(m("dir/shadowed"));
        assertFalse(Files.exists(m("dir/shadowed")), "the lower copy must not reappear");
        assertFalse(Files.exists(up.resolve("dir/shadowed")));
        assertTrue(Files.exists(up.resolve("dir/.wh.shadowed")));
    }

    @Test
    void deletingUpperOnlyFileLeavesNoWhiteout() throws Exception {
        Files.delete(m("dir/upper-only"));
        assertFalse(Files.exists(m("dir/upper-only")));
        assertFalse(Files.exists(up.resolve("dir/upper-only")));
        assertFalse(Files.exists(up.resolve("dir/.wh.upper-only")));
    }

    @Test
    void recreatingAfterDeleteDropsTheWhiteout() throws Exception {
        Files.delete(m("dir/lower"));
        Files.writeString(m("dir/lower"), "new");
        assertEquals("new", Tree.read(m("dir/lower")));
        assertFalse(Files.exists(up.resolve("dir/.wh.lower")));
        assertEquals("new", Tree.read(up.resolve("dir/lower")));
    }

    @Test
    void rmdirOfNonEmptyMergedDirectoryFails() {
        assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(m("full/sub")));
        assertTrue(Files.exists(m("full/sub/b")));
    }

    @Test
    void rmdirWorksOnceTheMergedViewIsEmptyAndLeavesWhiteout() throws Exception {
        Files.delete(m("full/sub/b"));
        Files.delete(m("full/sub"));
        assertFalse(Files.exists(m("full/sub")));
        assertTrue(Files.exists(up.resolve("full/.wh.sub")));
        assertFalse(Files.exists(up.resolve("full/sub")), "the upper copy, with its whiteouts, is gone");
        Files.delete(m("full/a"));
        Files.delete(m("full"));
        assertFalse(Files.exists(m("full")));
        assertFalse(ls(u.path()).contains("full"));
    }

    @Test
    void rmdirOfLowerEmptyDirectoryLeavesWhiteout() throws Exception {
        Files.delete(m("emptydir"));
        assertFalse(Files.exists(m("emptydir")));
        assertTrue(Files.exists(up.resolve(".wh.emptydir")));
    }

    @Test
    void directoryRecreatedAfterDeletionIsOpaque() throws Exception {
        Files.delete(m("full/sub/b"));
        Files.delete(m("full/sub"));
        Files.createDirectory(m("full/sub"));
        assertEquals(List.of(), ls(m("full/sub")), "nothing of the old lower directory shows through");
        assertTrue(Files.exists(up.resolve("full/sub/.wh..wh..opq")));
        assertFalse(Files.exists(up.resolve("full/.wh.sub")));
        Files.writeString(m("full/sub/c"), "c");
        assertEquals(List.of("c"), ls(m("full/sub")));
    }

    @Test
    void fileRecreatedAsDirectoryAfterDeleteHidesNothingBelow() throws Exception {
        Files.delete(m("dir/lower"));
        Files.createDirectory(m("dir/lower"));
        assertTrue(Files.isDirectory(m("dir/lower")));
        assertEquals(List.of(), ls(m("dir/lower")));
    }

    @Test
    void deletedUpperDirectoryWithWhiteoutsInsideIsRemovedCompletely() throws Exception {
        Files.delete(m("dir/lower"));
        Files.delete(m("dir/shadowed"));
        Files.delete(m("dir/upper-only"));
        Files.delete(m("dir"));
        Path upDir = up.resolve("dir");
        assertFalse(Files.exists(upDir));
        assertTrue(Files.exists(up.resolve(".wh.dir")));
    }

    @Test
    void aDeletedFileStaysReadableThroughHandlesOpenedBefore() throws Exception {
        try (var in = Files.newInputStream(m("dir/lower"))) {
            Files.delete(m("dir/lower"));
            assertFalse(Files.exists(m("dir/lower")));
            assertEquals("L", new String(in.readAllBytes()));
        }
        assertFalse(Files.exists(m("dir/lower")));
        long deadline = System.nanoTime() + 5_000_000_000L; // the kernel sends the release asynchronously
        while (ls(m("dir")).stream().anyMatch(n -> n.startsWith(".fuse_hidden")) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(ls(m("dir")).stream().anyMatch(n -> n.startsWith(".fuse_hidden")), "libfuse's hidden name goes at close");
        assertTrue(Files.exists(base.resolve("dir/lower")));
    }

    @Test
    void anOpenFileRemovedByNameStaysUsableButLeavesNoNameBehind() throws Exception {
        Files.writeString(m("dir/mine"), "upper content");
        try (var ch = java.nio.channels.FileChannel.open(m("dir/mine"), java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE)) {
            Files.delete(m("dir/mine"));
            assertFalse(Files.exists(m("dir/mine")));
            assertEquals(List.of("lower", "shadowed", "upper-only"), ls(m("dir")), "no .fuse_hidden name in the union");
            assertEquals(List.of("shadowed", "upper-only"), ls(up.resolve("dir")), "nor in the writable branch");
            ch.write(java.nio.ByteBuffer.wrap("more".getBytes()), 13);
            var b = java.nio.ByteBuffer.allocate(64);
            ch.read(b, 0);
            assertEquals("upper contentmore", new String(b.array(), 0, b.position()));
            Thread.sleep(1100); // past attr_timeout: fstat must reach the daemon and still work
            assertEquals(17, ch.size(), "fstat of the removed file");
        }
        long deadline = System.nanoTime() + 5_000_000_000L; // the kernel sends the release asynchronously
        while (ls(up.resolve(Names.WORK_DIR)).size() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(List.of(), ls(up.resolve(Names.WORK_DIR)), "gone from the work directory at the last close");
    }

    @Test
    void aDirectoryHoldingAnOpenRemovedFileCanBeRemoved() throws Exception {
        Files.createDirectory(m("scratch"));
        Files.writeString(m("scratch/tmpfile"), "t");
        try (var in = Files.newInputStream(m("scratch/tmpfile"))) {
            Files.delete(m("scratch/tmpfile"));
            Files.delete(m("scratch"));
            assertFalse(Files.exists(m("scratch")));
            assertEquals("t", new String(in.readAllBytes()));
        }
    }
}
