package dev.layerfs.fsx;

import dev.layerfs.testing.Tree;
import dev.layerfs.testing.UnionCase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Found by the random tester: rename changes only what POSIX says it changes.
 * <ul>
 * <li>seeds 7 (step 620) and 8 (step 654): moving a directory onto a name that has lower content
 *     (or a whiteout) must not change the moved directory's own modification time;
 * <li>seed 4 (step 16): renaming a name onto another name of the same file is a no-op, so its
 *     directory's modification time stays and both names stay.
 * </ul>
 */
@Timeout(60)
class RenameKeepsTimesTest extends UnionCase {

    private static final FileTime OLD = FileTime.fromMillis(1_200_000_000_000L);

    @Override
    protected void populate() throws Exception {
        Tree.dir(base, "lowerdir/sub");
        Tree.write(base, "d/f", "lower file");
        Tree.write(base, "lowerfile", "x");
    }

    private FileTime mtime(String rel) throws Exception {
        return Files.getLastModifiedTime(m(rel));
    }

    @Test
    void movingADirectoryOntoAnEmptiedLowerDirectoryKeepsItsModificationTime() throws Exception {
        Files.delete(m("lowerdir/sub"));
        Files.createDirectory(m("mine"));
        Files.setLastModifiedTime(m("mine"), OLD);
        Files.move(m("mine"), m("lowerdir"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        assertEquals(OLD, mtime("lowerdir"), "the moved directory's mtime changed");
        assertEquals(List.of(), ls(m("lowerdir")));
    }

    @Test
    void movingADirectoryOntoADeletedLowerNameKeepsItsModificationTime() throws Exception {
        Files.delete(m("lowerfile"));
        Files.createDirectory(m("mine"));
        Files.setLastModifiedTime(m("mine"), OLD);
        Files.move(m("mine"), m("lowerfile"), StandardCopyOption.ATOMIC_MOVE);
        assertEquals(OLD, mtime("lowerfile"), "the moved directory's mtime changed");
    }

    @Test
    void renamingOntoAnotherNameOfTheSameFileChangesNothing() throws Exception {
        Files.createLink(m("d/g"), m("d/f")); // copies d/f up; d/f and d/g are now one upper file
        Files.setLastModifiedTime(m("d"), OLD);
        Files.move(m("d/f"), m("d/g"), StandardCopyOption.ATOMIC_MOVE);
        assertEquals(List.of("f", "g"), ls(m("d")), "rename onto a hard link of itself must leave both names");
        assertEquals(OLD, mtime("d"), "a no-op rename changed the directory's mtime");
        assertTrue(Files.notExists(up.resolve("d/.wh.f")), "a whiteout sits next to the name it hides in the same branch");
    }
}
