package dev.layerfs.union;

import dev.layerfs.testing.LiveUnion;
import dev.layerfs.testing.MountProcess;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of the mount daemon (its own process) while it renames a directory whose content
 * spans branches, at several moments of the tree copy-up; then a lazy unmount and a remount.
 * Each time the union shows the old view or the new one, whole: the directory under exactly one
 * of its two names with every file and its content, nothing whited out come back, and the work
 * directory cleaned. The lower branch never changes.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CrashDuringDirectoryRenameTest {

    private static final int FILES = 24;
    private static final int FILE_SIZE = 256 * 1024;

    @TempDir
    Path tmp;

    @Test
    void killingTheDaemonMidRenameLeavesTheOldOrTheNewTreeWhole() throws Exception {
        LiveUnion.assumeFuse();
        Path lower = Tree.dir(tmp, "lower");
        for (int i = 0; i < FILES; i++) {
            Tree.write(lower, "tree/d" + (i % 4) + "/f" + i, content("lower" + i));
        }
        Tree.write(lower, "tree/gone", "whited out");
        Map<String, String> lowerBefore = Tree.describe(lower);

        // one rename without a crash, to know how long one takes here
        Path up0 = upper("up0");
        long full;
        try (MountProcess d = MountProcess.start(dirs(up0, lower), Tree.dir(tmp, "mnt0"), tmp.resolve("d0.log"))) {
            long t0 = System.nanoTime();
            assertEquals(0, renameSyscall(d.path()).waitFor());
            full = System.nanoTime() - t0;
        }
        assertEquals("new", viewAfterRemount(up0, lower, "mnt0"));

        List<String> outcomes = new ArrayList<>();
        int killedMidRename = 0;
        // moments after the tree copy-up began (its staging directory appeared), not after the
        // rename process started: on a loaded machine starting perl alone can take longer than
        // the rename, so kills timed from there could all land before or after it
        double[] moments = {0.0, 0.3, 0.6, 1.2};
        for (int r = 0; r < moments.length; r++) {
            Path up = upper("up" + (r + 1));
            String mnt = "mnt" + (r + 1);
            try (MountProcess d = MountProcess.start(dirs(up, lower), Tree.dir(tmp, mnt), tmp.resolve("d" + (r + 1) + ".log"))) {
                Process rename = renameSyscall(d.path());
                awaitStagingOrEnd(up, rename);
                TimeUnit.NANOSECONDS.sleep((long) (full * moments[r]));
                d.kill();
                rename.waitFor(30, TimeUnit.SECONDS);
                if (rename.exitValue() != 0) {
                    killedMidRename++;
                }
            }
            outcomes.add(viewAfterRemount(up, lower, mnt));
        }
        System.out.printf("directory rename took %d ms; after kill -9 at %s of it: %s%n",
                full / 1_000_000, java.util.Arrays.toString(moments), outcomes);
        assertTrue(killedMidRename > 0, "no kill landed during a rename (one took " + full / 1_000_000 + " ms): " + outcomes);
        Tree.assertSameTree(lowerBefore, Tree.describe(lower));
    }

    private Path upper(String name) throws Exception {
        Path up = Tree.dir(tmp, name);
        Tree.write(up, "tree/upper-only", "upper");
        Tree.write(up, "tree/d0/f0", content("changed0")); // a copied-up, changed lower file
        Tree.write(up, "tree/.wh.gone", "");
        return up;
    }

    /** Waits until the rename has begun staging the tree in the work directory, or has ended. */
    private static void awaitStagingOrEnd(Path up, Process rename) throws Exception {
        Path work = up.resolve(".wh..wh.work");
        while (rename.isAlive()) {
            if (Files.isDirectory(work)) {
                try (Stream<Path> s = Files.list(work)) {
                    if (s.findAny().isPresent()) {
                        return;
                    }
                }
            }
            TimeUnit.MILLISECONDS.sleep(1);
        }
    }

    private static String dirs(Path up, Path lower) {
        return up + "=rw:" + lower + "=ro";
    }

    private static Process renameSyscall(Path mnt) throws Exception {
        return new ProcessBuilder("perl", "-e", "rename($ARGV[0], $ARGV[1]) or die \"$!\\n\"",
                mnt.resolve("tree").toString(), mnt.resolve("moved").toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** Mounts again and answers which view the union shows, after checking that it is whole. */
    private String viewAfterRemount(Path up, Path lower, String mnt) throws Exception {
        try (LiveUnion u = LiveUnion.mount(dirs(up, lower), tmp.resolve(mnt))) {
            boolean old = Files.exists(u.resolve("tree"));
            boolean moved = Files.exists(u.resolve("moved"));
            assertTrue(old ^ moved, "exactly one of tree and moved: tree " + old + ", moved " + moved);
            assertEquals(expected(), contents(u.resolve(old ? "tree" : "moved")));
            try (Stream<Path> work = Files.list(up.resolve(".wh..wh.work"))) {
                assertEquals(List.of(), work.toList(), "the work directory is emptied at mount");
            }
            return old ? "old" : "new";
        }
    }

    private static Map<String, String> expected() {
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < FILES; i++) {
            m.put("d" + (i % 4) + "/f" + i, i == 0 ? content("changed0") : content("lower" + i));
        }
        m.put("upper-only", "upper");
        return m;
    }

    private static Map<String, String> contents(Path root) throws Exception {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    m.put(root.relativize(p).toString(), Files.readString(p));
                }
            }
        }
        return m;
    }

    private static String content(String seed) {
        StringBuilder b = new StringBuilder(FILE_SIZE);
        while (b.length() < FILE_SIZE) {
            b.append(seed).append(' ').append(b.length()).append('\n');
        }
        return b.toString();
    }
}
