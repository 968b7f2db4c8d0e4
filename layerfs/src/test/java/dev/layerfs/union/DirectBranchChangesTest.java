package dev.layerfs.union;

import dev.layerfs.testing.Cmd;
import dev.layerfs.testing.LiveUnion;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.Assumptions;
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
 * Changes made directly in a branch, outside the mount (AUFS udba), and what df reports
 * (statfs=top|sum).
 */
@Timeout(60)
class DirectBranchChangesTest {

    @TempDir
    Path tmp;

    @Test
    void withUdbaRevalANameAddedDirectlyToALowerBranchShowsWithinASecond() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"), "udba=reval")) {
            assertFalse(Files.exists(u.resolve("late"))); // the kernel now caches the absence
            Tree.write(base, "late", "added behind the union's back");
            assertEquals(List.of("late"), ls(u.path()), "listings are read from the branches each time");
            long t0 = System.nanoTime();
            while (!Files.exists(u.resolve("late")) && System.nanoTime() - t0 < 5_000_000_000L) {
                Thread.sleep(50);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(Files.exists(u.resolve("late")) && seconds < 1.0 + 0.5, "visible after " + seconds + " s");
            assertEquals("added behind the union's back", Tree.read(u.resolve("late")));
        }
    }

    @Test
    void statfsIsTheTopBranchByDefaultAndTheSumOverDistinctFileSystemsOnRequest() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path small = Tree.dir(tmp, "small");
        var r = Cmd.run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", small.toString());
        Assumptions.assumeTrue(r.exit() == 0, "SKIPPED: cannot mount a tmpfs here (needs root): " + r.output());
        try {
            Path base = Tree.dir(small, "base");
            Path base2 = Tree.dir(small, "base2"); // the same file system again: counted once
            String dirs = up + "=rw:" + base + "=ro:" + base2 + "=ro";
            long top = Files.getFileStore(up).getTotalSpace();
            long tmpfs = Files.getFileStore(base).getTotalSpace();
            assertEquals(64L << 20, tmpfs);
            try (LiveUnion u = LiveUnion.mount(dirs, Tree.dir(tmp, "mnt"))) {
                assertEquals(top, Files.getFileStore(u.path()).getTotalSpace());
            }
            try (LiveUnion u = LiveUnion.mount(dirs, Tree.dir(tmp, "mnt2"), "statfs=sum")) {
                long sum = Files.getFileStore(u.path()).getTotalSpace();
                long block = Files.getFileStore(up).getBlockSize();
                assertTrue(Math.abs(sum - (top + tmpfs)) <= block, "sum " + sum + " vs " + top + " + " + tmpfs);
            }
        } finally {
            Cmd.run("umount", "-l", small.toString());
        }
    }

    private static List<String> ls(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
