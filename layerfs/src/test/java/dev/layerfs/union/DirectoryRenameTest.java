package dev.layerfs.union;

import dev.layerfs.testing.Cmd;
import dev.layerfs.testing.Tree;
import dev.layerfs.testing.UnionCase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * rename(2) of a directory whose content spans branches: one call, the whole merged tree
 * moves (a tree copy-up into the writable branch), nothing is lost and lower branches stay as
 * they were (UnionCase checks base after each test).
 */
@Timeout(60)
class DirectoryRenameTest extends UnionCase {

    @Override
    protected void populate() throws Exception {
        Tree.write(base, "tree/x/y", "deep");
        Tree.write(base, "tree/x/z/w", "deeper");
        Tree.write(base, "tree/lower-only", "lower");
        Tree.write(base, "tree/gone", "deleted through the mount");
        Tree.write(base, "tree/gonedir/f", "deleted dir");
        Tree.write(base, "busy/keep", "lower content");
        Tree.write(base, "emptied/old", "whited out");
    }

    /** rename(2) once, as a program would call it, without mv's copying fallback. */
    private String renameSyscall(String from, String to) throws Exception {
        var r = Cmd.run("perl", "-e", "rename($ARGV[0], $ARGV[1]) or die \"$!\\n\"",
                m(from).toString(), m(to).toString());
        return r.exit() == 0 ? "" : r.output().trim();
    }

    @Test
    void renamingADirectorySpanningBranchesMovesTheWholeMergedTree() throws Exception {
        Files.writeString(m("tree/upper-only"), "upper");
        Files.writeString(m("tree/x/y"), "changed"); // copied up, then changed
        Files.delete(m("tree/gone"));
        Cmd.ok("rm", "-r", m("tree/gonedir").toString());
        Files.createDirectories(m("tree/x/new"));

        assertEquals("", renameSyscall("tree", "moved"));

        assertFalse(Files.exists(m("tree")));
        assertEquals(List.of("lower-only", "upper-only", "x"), ls(m("moved")));
        assertEquals(List.of("new", "y", "z"), ls(m("moved/x")));
        assertEquals("changed", Tree.read(m("moved/x/y")));
        assertEquals("deeper", Tree.read(m("moved/x/z/w")));
        assertEquals("lower", Tree.read(m("moved/lower-only")));
        assertEquals("upper", Tree.read(m("moved/upper-only")));
        // on disk: the old name is whited out, the new tree is whole in the writable branch
        assertTrue(Files.exists(up.resolve(".wh.tree")));
        assertFalse(Files.exists(up.resolve("tree")));
        assertEquals("deeper", Tree.read(up.resolve("moved/x/z/w")));
        assertEquals(List.of("lower-only", "upper-only", "x"), ls(up.resolve("moved")), "no markers inside");
    }

    @Test
    void filesKeepTheirInodeNumbersAndHardLinksThroughADirectoryRename() throws Exception {
        Files.writeString(m("tree/a"), "a");
        Files.createLink(m("tree/b"), m("tree/a"));
        long lower = (Long) Files.getAttribute(m("tree/x/y"), "unix:ino");
        long upper = (Long) Files.getAttribute(m("tree/a"), "unix:ino");
        long dir = (Long) Files.getAttribute(m("tree/x"), "unix:ino");
        Files.move(m("tree"), m("moved"), StandardCopyOption.ATOMIC_MOVE);
        assertEquals(lower, Files.getAttribute(m("moved/x/y"), "unix:ino"));
        assertEquals(upper, Files.getAttribute(m("moved/a"), "unix:ino"));
        assertEquals(dir, Files.getAttribute(m("moved/x"), "unix:ino"));
        assertEquals(2, Files.getAttribute(up.resolve("moved/b"), "unix:nlink"), "a and b stay one file");
        Files.writeString(m("moved/a"), "through a");
        assertEquals("through a", Tree.read(m("moved/b")));
    }

    @Test
    void openFilesKeepWorkingThroughADirectoryRename() throws Exception {
        Files.writeString(m("tree/log"), "first\n");
        try (FileChannel writer = FileChannel.open(m("tree/log"), StandardOpenOption.WRITE, StandardOpenOption.APPEND);
             RandomAccessFile reader = new RandomAccessFile(m("tree/x/y").toFile(), "r")) {
            Files.move(m("tree"), m("moved"), StandardCopyOption.ATOMIC_MOVE);
            writer.write(ByteBuffer.wrap("second\n".getBytes(StandardCharsets.UTF_8)));
            writer.force(true);
            assertEquals("deep", reader.readLine());
        }
        assertEquals("first\nsecond\n", Tree.read(m("moved/log")), "the write after the rename is in the new tree");
    }

    @Test
    void renamingOntoANonEmptyDirectoryAnswersEnotemptyAndChangesNothing() throws Exception {
        assertEquals("Directory not empty", renameSyscall("tree", "busy"));
        assertEquals("deep", Tree.read(m("tree/x/y")));
        assertEquals(List.of("keep"), ls(m("busy")));
        assertFalse(Files.exists(up.resolve("tree")));
        assertFalse(Files.exists(up.resolve(".wh.tree")));
    }

    @Test
    void renamingOntoADirectoryEmptiedThroughTheMountHidesItsLowerContent() throws Exception {
        Files.delete(m("emptied/old"));
        assertEquals("", renameSyscall("tree", "emptied"));
        assertEquals(List.of("gone", "gonedir", "lower-only", "x"), ls(m("emptied")));
        assertTrue(Files.exists(up.resolve("emptied/.wh..wh..opq")));
        assertFalse(Files.exists(m("tree")));
    }

    @Test
    void aDirectoryMovedIntoALowerDirectoryAndBackIsUnchanged() throws Exception {
        String before = Cmd.ok("sh", "-c", "cd " + m("tree") + " && find . | sort && cat x/y x/z/w");
        Cmd.ok("mv", m("tree").toString(), m("busy/inner").toString());
        Cmd.ok("mv", m("busy/inner").toString(), m("tree").toString());
        assertEquals(before, Cmd.ok("sh", "-c", "cd " + m("tree") + " && find . | sort && cat x/y x/z/w"));
        assertEquals(List.of("keep"), ls(m("busy")));
    }

    @Test
    void aFileOpenedAndRemovedInsideStaysUsableAndLeavesNothingWhenTheDirectoryMoves() throws Exception {
        Files.writeString(m("tree/scratch"), "scratch\n");
        try (FileChannel f = FileChannel.open(m("tree/scratch"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Files.delete(m("tree/scratch"));
            Files.move(m("tree"), m("moved"), StandardCopyOption.ATOMIC_MOVE);
            f.write(ByteBuffer.wrap("more".getBytes(StandardCharsets.UTF_8)), 8);
            ByteBuffer back = ByteBuffer.allocate(12);
            f.read(back, 0);
            assertEquals("scratch\nmore", new String(back.array(), StandardCharsets.UTF_8));
        }
        assertEquals(List.of("gone", "gonedir", "lower-only", "x"), ls(m("moved")));
    }
}
