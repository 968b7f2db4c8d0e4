package dev.layerfs.union;

import dev.layerfs.testing.LiveUnion;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class ReadOnlyUnionTest {

    @TempDir
    Path tmp;

    @Test
    void unionOfOnlyReadOnlyBranchesReadsAndAnswersErofsToWrites() throws Exception {
        Path a = Tree.dir(tmp, "a");
        Path b = Tree.dir(tmp, "b");
        Tree.write(a, "x", "from a");
        Tree.write(b, "y", "from b");
        Map<String, String> before = Tree.describe(tmp.resolve("a"));
        Map<String, String> beforeB = Tree.describe(b);
        try (LiveUnion u = LiveUnion.mount(a + "=ro:" + b + "=rr", Tree.dir(tmp, "mnt"))) {
            assertEquals("from a", Tree.read(u.resolve("x")));
            assertEquals("from b", Tree.read(u.resolve("y")));
            for (var write : new org.junit.jupiter.api.function.Executable[] {
                    () -> Files.writeString(u.resolve("x"), "no", StandardOpenOption.APPEND),
                    () -> Files.writeString(u.resolve("new"), "no"),
                    () -> Files.delete(u.resolve("y")),
                    () -> Files.createDirectory(u.resolve("d")),
                    () -> Files.setLastModifiedTime(u.resolve("x"), java.nio.file.attribute.FileTime.fromMillis(0)),
            }) {
                var e = assertThrows(FileSystemException.class, write);
                assertTrue(e.getMessage().contains("Read-only file system"), e.toString());
            }
        }
        assertEquals(before, Tree.describe(a));
        assertEquals(beforeB, Tree.describe(b));
    }
}
