package dev.layerfs.wire;

import dev.layerfs.testing.LiveUnion;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the wire engine promises beyond the shared suite (which runs on it with
 * {@code -Dlayerfs.engine=wire}): attributes cached for a minute never hide a change made
 * through another name of the same file, and what a listing says matches what stat says.
 */
@Timeout(60)
class WireEngineTest {

    @TempDir
    Path tmp;

    private LiveUnion mount() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Tree.write(base, "dir/lower.txt", "lower");
        Tree.write(base, "dir/sub/deep.txt", "deep");
        return LiveUnion.mount(up + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"), "engine=wire");
    }

    @Test
    void aWriteThroughOneHardLinkShowsAtOnceThroughTheOther() throws Exception {
        try (LiveUnion u = mount()) {
            Path a = u.resolve("a");
            Files.writeString(a, "one");
            assertEquals(3L, Files.size(a)); // cached by the kernel with the mount's long timeout
            Path b = u.resolve("b");
            Files.createLink(b, a);
            assertEquals(2, Files.getAttribute(a, "unix:nlink"), "link count of the first name after the link");
            assertEquals(3L, Files.size(b));
            Files.writeString(b, "+two", StandardOpenOption.APPEND);
            assertEquals(7L, Files.size(a), "size through the first name after a write through the second");
            Files.writeString(a, "+three", StandardOpenOption.APPEND);
            assertEquals("one+two+three", Files.readString(b));
        }
    }

    @Test
    void aListingReportsTheInodeNumbersAndTypesThatStatReports() throws Exception {
        try (LiveUnion u = mount()) {
            Files.writeString(u.resolve("dir/upper.txt"), "upper");
            Files.createSymbolicLink(u.resolve("dir/link"), Path.of("lower.txt"));
            Map<String, String> listed = new TreeMap<>();
            for (String line : dev.layerfs.testing.Cmd.ok("find", u.resolve("dir").toString(), "-mindepth", "1",
                    "-printf", "%P %i %y\n").split("\n")) {
                String[] f = line.split(" ");
                listed.put(f[0], f[1] + " " + f[2]);
            }
            Map<String, String> stated = new TreeMap<>();
            try (Stream<Path> s = Files.walk(u.resolve("dir"))) {
                for (Path p : s.filter(p -> !p.equals(u.resolve("dir"))).toList()) {
                    Object ino = Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS);
                    String type = Files.isSymbolicLink(p) ? "l" : Files.isDirectory(p) ? "d" : "f";
                    stated.put(u.resolve("dir").relativize(p).toString(), ino + " " + type);
                }
            }
            assertEquals(stated, listed);
            try (Stream<Path> sub = Files.list(u.resolve("dir/sub"))) { // closed: an open directory would hold the mount
                assertEquals(List.of("deep.txt"), sub.map(p -> p.getFileName().toString()).toList());
            }
        }
    }

    @Test
    void aFileRecreatedUnderAnOldNameIsANewFile() throws Exception {
        try (LiveUnion u = mount()) {
            Path f = u.resolve("dir/lower.txt");
            Object before = Files.getAttribute(f, "unix:ino");
            Files.delete(f);
            assertTrue(Files.notExists(f));
            Files.writeString(f, "new and longer");
            assertEquals("new and longer", Files.readString(f));
            assertTrue(!before.equals(Files.getAttribute(f, "unix:ino")), "the new file has its own inode number");
        }
    }

    @Test
    void aFileRemovedWhileOpenCanStillBeWrittenTruncatedAndStatted() throws Exception {
        try (LiveUnion u = mount()) {
            Path f = u.resolve("dir/lower.txt"); // a lower file: opening it for writing copies it up
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f,
                    StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                Files.delete(f);
                assertTrue(Files.notExists(f));
                ch.write(java.nio.ByteBuffer.wrap("longer than before".getBytes()), 0);
                assertEquals(18L, ch.size(), "fstat of the removed file");
                ch.truncate(4);
                assertEquals(4L, ch.size(), "fstat after ftruncate of the removed file");
            }
            try (Stream<Path> dir = Files.list(u.resolve("dir"))) {
                assertEquals(List.of("sub"), dir.map(p -> p.getFileName().toString()).toList());
            }
        }
    }
}
