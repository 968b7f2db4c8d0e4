package dev.layerfs.testing;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A test over a live two-branch union (up=rw over base=ro). Subclasses fill {@code base} in
 * {@link #populate()}; after each test the mount is gone and {@code base} is checked unchanged.
 */
public abstract class UnionCase {

    @TempDir
    protected Path tmp;
    protected Path up;
    protected Path base;
    protected LiveUnion u;
    private Map<String, String> baseBefore;

    protected abstract void populate() throws Exception;

    @BeforeEach
    void mountUnion() throws Exception {
        up = Tree.dir(tmp, "up");
        base = Tree.dir(tmp, "base");
        populate();
        baseBefore = Tree.describe(base);
        u = LiveUnion.mount(up + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"));
    }

    @AfterEach
    void unmountUnion() throws Exception {
        if (u != null) {
            u.close();
        }
        Tree.assertSameTree(baseBefore, Tree.describe(base)); // the ro branch must never change
        try (Stream<Path> work = Files.list(up.resolve(".wh..wh.work"))) {
            assertEquals(List.of(), work.toList(), "no copy-up left half-done in the work directory");
        }
    }

    protected Path m(String rel) {
        return u.resolve(rel);
    }

    protected static List<String> ls(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
