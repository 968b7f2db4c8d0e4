package dev.layerfs.union;

import dev.layerfs.testing.Cmd;
import dev.layerfs.testing.Tree;
import dev.layerfs.testing.UnionCase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rename: files copy up then move; a directory living only in the writable branch moves
 * normally (a directory with lower content: {@link DirectoryRenameTest}).
 */
@Timeout(60)
class RenameTest extends UnionCase {

    @Override
    protected void populate() throws Exception {
        Tree.write(base, "a/file", "lower file");
        Tree.write(base, "a/target", "old target");
        Tree.write(base, "tree/x/y", "deep");
    }

    @Test
    void renamingLowerFileCopiesUpAndWhitesOutTheOldName() throws Exception {
        long ino = (Long) Files.getAttribute(m("a/file"), "unix:ino");
        Files.move(m("a/file"), m("a/moved"));
        assertFalse(Files.exists(m("a/file")));
        assertEquals("lower file", Tree.read(m("a/moved")));
        assertEquals(ino, Files.getAttribute(m("a/moved"), "unix:ino"));
        assertTrue(Files.exists(up.resolve("a/.wh.file")));
        assertEquals("lower file", Tree.read(up.resolve("a/moved")));
        assertEquals(List.of("moved", "target"), ls(m("a")));
    }

    @Test
    void renamingOverALowerFileReplacesIt() throws Exception {
        Files.move(m("a/file"), m("a/target"), StandardCopyOption.REPLACE_EXISTING);
        assertEquals("lower file", Tree.read(m("a/target")));
        assertEquals(List.of("target"), ls(m("a")));
    }

    @Test
    void renamingToAWhitedOutNameDropsTheWhiteout() throws Exception {
        Files.delete(m("a/target"));
        Files.move(m("a/file"), m("a/target"));
        assertEquals("lower file", Tree.read(m("a/target")));
        assertFalse(Files.exists(up.resolve("a/.wh.target")));
    }

    @Test
    void renamingUpperOnlyFileLeavesNoWhiteout() throws Exception {
        Files.writeString(m("a/new"), "n");
        Files.move(m("a/new"), m("a/newer"));
        assertFalse(Files.exists(up.resolve("a/.wh.new")));
        assertEquals("n", Tree.read(m("a/newer")));
    }

    @Test
    void mvMovesADirectoryWithLowerContent() throws Exception {
        Cmd.ok("mv", m("tree").toString(), m("tree2").toString());
        assertEquals("deep", Tree.read(m("tree2/x/y")));
        assertFalse(Files.exists(m("tree")));
        assertTrue(Files.exists(up.resolve(".wh.tree")));
    }

    @Test
    void renamingUpperOnlyDirectoryMovesItWhole() throws Exception {
        Files.createDirectories(m("fresh/inner"));
        Files.writeString(m("fresh/inner/f"), "f");
        Files.move(m("fresh"), m("a/fresh-moved"));
        assertEquals("f", Tree.read(m("a/fresh-moved/inner/f")));
        assertFalse(Files.exists(m("fresh")));
        assertFalse(Files.exists(up.resolve(".wh.fresh")));
        assertTrue(Files.isDirectory(up.resolve("a/fresh-moved/inner")));
    }

    @Test
    void renamingUpperDirectoryOntoAWhitedOutLowerDirectoryMakesItOpaque() throws Exception {
        Files.delete(m("tree/x/y"));
        Files.delete(m("tree/x"));
        Files.delete(m("tree"));
        Files.createDirectory(m("fresh"));
        Files.move(m("fresh"), m("tree"));
        assertEquals(List.of(), ls(m("tree")));
    }

    @Test
    void renamingIntoALowerDirectoryCopiesItsChainUp() throws Exception {
        Files.writeString(m("top"), "t");
        Files.move(m("top"), m("tree/x/top"));
        assertEquals(List.of("top", "y"), ls(m("tree/x")));
        assertEquals("t", Tree.read(up.resolve("tree/x/top")));
    }

    private static final java.nio.file.attribute.FileTime OLD = java.nio.file.attribute.FileTime.fromMillis(1_200_000_000_000L);

    @Test
    void renamingOntoAnotherNameOfTheSameFileChangesNothing() throws Exception {
        Files.createLink(m("a/twin"), m("a/file")); // copies a/file up; both names are one upper file
        Files.setLastModifiedTime(m("a"), OLD);
        Files.move(m("a/file"), m("a/twin"), StandardCopyOption.ATOMIC_MOVE);
        assertEquals(List.of("file", "target", "twin"), ls(m("a")), "POSIX: both names stay");
        assertEquals(OLD, Files.getLastModifiedTime(m("a")));
        assertFalse(Files.exists(up.resolve("a/.wh.file")));
    }

    @Test
    void aDirectoryMovedOntoADeletedLowerNameKeepsItsModificationTime() throws Exception {
        Files.delete(m("a/target"));
        Files.createDirectory(m("mine"));
        Files.setLastModifiedTime(m("mine"), OLD);
        Files.move(m("mine"), m("a/target"), StandardCopyOption.ATOMIC_MOVE);
        assertEquals(OLD, Files.getLastModifiedTime(m("a/target")), "the opaque marker is not a change of the directory");
        assertEquals(List.of(), ls(m("a/target")));
    }
}
