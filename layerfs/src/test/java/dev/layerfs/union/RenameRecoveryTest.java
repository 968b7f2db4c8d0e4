package dev.layerfs.union;

import dev.layerfs.testing.LiveUnion;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A directory rename interrupted by a crash: the writable branch is left as the daemon would
 * leave it at each step, then mounted; the union shows the old view or the new one, whole.
 */
@Timeout(60)
class RenameRecoveryTest {

    @TempDir
    Path tmp;

    private Path up;
    private Path base;

    private void branches() throws Exception {
        up = Tree.dir(tmp, "up");
        base = Tree.dir(tmp, "base");
        Tree.write(base, "d/lower", "lower");
        Tree.write(up, "d/upper", "upper");
        Tree.dir(up, ".wh..wh.work");
    }

    private void record(String from, String to, long ino) throws Exception {
        Files.write(up.resolve(".wh..wh.work/rename.1.1"), RenameJournal.encode(
                new RenameJournal.Intent(UnionPath.of(from), UnionPath.of(to), ino)));
    }

    @Test
    void aCrashAfterTheNewTreeWasInPlaceCompletesTheRenameAtMount() throws Exception {
        branches();
        Tree.write(up, "e/lower", "lower");
        Tree.write(up, "e/upper", "upper");
        record("/d", "/e", (Long) Files.getAttribute(up.resolve("e"), "unix:ino"));
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"))) {
            assertFalse(Files.exists(u.resolve("d")));
            assertEquals(List.of("lower", "upper"), ls(u.resolve("e")));
            assertEquals(List.of("e"), ls(u.path()));
        }
        assertTrue(Files.exists(up.resolve(".wh.d")));
        assertFalse(Files.exists(up.resolve("d")));
        assertEquals(List.of(), ls(up.resolve(".wh..wh.work")));
        assertEquals("lower", Tree.read(base.resolve("d/lower")), "the lower branch is untouched");
    }

    @Test
    void aCrashBeforeTheNewTreeWasInPlaceLeavesTheOldView() throws Exception {
        branches();
        Tree.write(up, ".wh..wh.work/tmp.9.9/lower", "lower");
        record("/d", "/e", (Long) Files.getAttribute(up.resolve(".wh..wh.work/tmp.9.9"), "unix:ino"));
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"))) {
            assertEquals(List.of("lower", "upper"), ls(u.resolve("d")));
            assertFalse(Files.exists(u.resolve("e")));
        }
        assertFalse(Files.exists(up.resolve(".wh.d")));
        assertEquals("upper", Tree.read(up.resolve("d/upper")));
        assertEquals(List.of(), ls(up.resolve(".wh..wh.work")));
    }

    @Test
    void aCompletedRecoveryRetiresTheOldTreeInEveryWritableBranch() throws Exception {
        branches();
        Path up2 = Tree.dir(tmp, "up2");
        Tree.write(up2, "d/second", "2");
        Tree.write(up, "e/lower", "lower");
        Tree.write(up, "e/upper", "upper");
        Tree.write(up, "e/second", "2");
        record("/d", "/e", (Long) Files.getAttribute(up.resolve("e"), "unix:ino"));
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + up2 + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"))) {
            assertFalse(Files.exists(u.resolve("d")));
            assertEquals(List.of("lower", "second", "upper"), ls(u.resolve("e")));
        }
        assertTrue(Files.exists(up.resolve(".wh.d")), "base still holds d: whited out in the topmost branch it left");
        assertFalse(Files.exists(up.resolve("d")) || Files.exists(up2.resolve("d")), "gone from both writable branches");
        assertEquals(List.of(), ls(up.resolve(".wh..wh.work")));
        assertEquals(List.of(), ls(up2.resolve(".wh..wh.work")));
    }

    private static List<String> ls(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
