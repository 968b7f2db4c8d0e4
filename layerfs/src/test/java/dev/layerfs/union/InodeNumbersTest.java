package dev.layerfs.union;

import dev.layerfs.testing.Cmd;
import dev.layerfs.testing.LiveUnion;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Inode numbers are the same through lookups, copy-up and remounts of the same branch stack,
 * and hard links show one number; two different files never show the same number.
 */
@Timeout(60)
class InodeNumbersTest {

    @TempDir
    Path tmp;
    private Path up;
    private Path base;
    private Path mnt;

    @BeforeEach
    void branches() throws Exception {
        up = Tree.dir(tmp, "up");
        base = Tree.dir(tmp, "base");
        mnt = Tree.dir(tmp, "mnt");
        Tree.write(base, "dir/lower", "lower");
        Tree.write(base, "dir/tocopy", "copied later");
        Tree.write(base, "links/a", "one file");
        Files.createLink(base.resolve("links/b"), base.resolve("links/a"));
    }

    private LiveUnion mount() throws Exception {
        return LiveUnion.mount(up + "=rw:" + base + "=ro", mnt);
    }

    private static long ino(Path p) throws Exception {
        return (Long) Files.getAttribute(p, "unix:ino", java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    private static Map<String, Long> numbers(Path root, List<String> names) throws Exception {
        Map<String, Long> m = new HashMap<>();
        for (String n : names) {
            m.put(n, ino(root.resolve(n)));
        }
        return m;
    }

    @Test
    void filesKeepTheirNumbersThroughCopyUpAndRemounts() throws Exception {
        List<String> names = List.of("dir", "dir/lower", "dir/tocopy", "dir/fresh", "links/a", "links/b");
        Map<String, Long> before;
        long copyBefore;
        try (LiveUnion u = mount()) {
            copyBefore = ino(u.resolve("dir/tocopy"));
            Files.writeString(u.resolve("dir/tocopy"), "changed"); // copies dir and dir/tocopy up
            assertEquals(copyBefore, ino(u.resolve("dir/tocopy")), "the number survives the copy-up");
            Files.writeString(u.resolve("dir/fresh"), "new");
            before = numbers(u.path(), names);
        }
        assertTrue(Files.exists(up.resolve("dir/tocopy")), "copied up on disk");
        try (LiveUnion u = mount()) {
            assertEquals(before, numbers(u.path(), names), "the same numbers after a remount");
            String listed = Cmd.ok("ls", "-i1", u.resolve("dir").toString());
            assertTrue(listed.contains(copyBefore + " tocopy"), "the listing agrees: " + listed);
            assertEquals("changed", Tree.read(u.resolve("dir/tocopy")));
        }
    }

    @Test
    void aCopiedUpLowerHardLinkBecomesItsOwnFileWithAFreshNumberThatStaysDistinct() throws Exception {
        try (LiveUnion u = mount()) {
            assertEquals(ino(u.resolve("links/a")), ino(u.resolve("links/b")), "one lower file, one number");
            assertEquals(2, Files.getAttribute(u.resolve("links/a"), "unix:nlink"));
            Files.writeString(u.resolve("links/a"), "changed");
            assertNotEquals(ino(u.resolve("links/a")), ino(u.resolve("links/b")));
            assertEquals(1, Files.getAttribute(u.resolve("links/a"), "unix:nlink"));
            Files.createLink(u.resolve("links/c"), u.resolve("links/a"));
            assertEquals(ino(u.resolve("links/a")), ino(u.resolve("links/c")), "a link made through the mount shares the number");
            assertEquals(2, Files.getAttribute(u.resolve("links/c"), "unix:nlink"));
        }
        try (LiveUnion u = mount()) {
            assertNotEquals(ino(u.resolve("links/a")), ino(u.resolve("links/b")), "still two files after a remount");
            assertEquals(ino(u.resolve("links/a")), ino(u.resolve("links/c")));
        }
    }

    @Test
    void theRecordedNumberIsNotVisibleOrChangeableThroughTheMount() throws Exception {
        try (LiveUnion u = mount()) {
            Files.writeString(u.resolve("dir/tocopy"), "changed");
            String attrs = Cmd.ok("getfattr", "-d", "-m", "-", u.resolve("dir/tocopy").toString());
            assertFalse(attrs.contains("layerfs"), attrs);
            var r = Cmd.run("setfattr", "-n", InodeOrigin.XATTR, "-v", "0x01", u.resolve("dir/tocopy").toString());
            assertNotEquals(0, r.exit(), r.output());
        }
        String onDisk = Cmd.ok("getfattr", "-d", "-m", "-", up.resolve("dir/tocopy").toString());
        assertTrue(onDisk.contains(InodeOrigin.XATTR), "recorded on the copy: " + onDisk);
    }
}
