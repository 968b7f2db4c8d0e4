package dev.layerfs.fsx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The read-only branch the random tester starts from: nested directories (one empty), files
 * from empty to a few hundred KiB with assorted modes (set-user-ID too), relative and dangling
 * symlinks, a symlink loop, a symlink to a directory, and hard links of two and three names
 * across directories. Every timestamp is set years in the past, so a copy-up that loses one
 * or a change that forgets one shows.
 */
final class LowerTree {

    private LowerTree() {
    }

    static void populate(Path lower, long seed) throws IOException {
        Random r = new Random(seed ^ 0x5eed);
        file(lower, "a/a", r, 20, 0644);
        file(lower, "a/b", r, 0, 0644);
        file(lower, "a/big/x", r, 300_000, 0644);
        file(lower, "a/big/c/d", r, 5000, 0600);
        file(lower, "b/x", r, 140_000, 0755);
        file(lower, "b/e", r, 1, 0444);
        file(lower, "b/f", r, 70_000, 04755);
        file(lower, "c/g/h/a", r, 10, 0640);
        file(lower, "x", r, 4096, 0666);
        Files.createDirectories(lower.resolve("d/e"));
        Files.createDirectories(lower.resolve("e"));
        file(lower, "h/a", r, 9000, 0644);
        Files.createLink(lower.resolve("h/b"), lower.resolve("h/a"));
        Files.createLink(lower.resolve("a/h"), lower.resolve("h/a"));
        file(lower, "c/f", r, 100, 0644);
        Files.createLink(lower.resolve("b/g"), lower.resolve("c/f"));
        Files.createSymbolicLink(lower.resolve("f"), Path.of("a/a"));
        Files.createSymbolicLink(lower.resolve("a/c"), Path.of("b"));
        Files.createSymbolicLink(lower.resolve("b/h"), Path.of("/fsx-nowhere/x"));
        Files.createSymbolicLink(lower.resolve("c/d"), Path.of("d"));
        Files.createSymbolicLink(lower.resolve("g"), Path.of("a"));
        randomFiles(lower, r, 30);
        xattr(lower.resolve("a/a"), "user.a", "lower a");
        xattr(lower.resolve("b/x"), "user.b", "lower b/x");
        xattr(lower.resolve("h/a"), "user.c", "on a hard link");
        xattr(lower.resolve("c"), "user.a", "on a directory");
        oldTimes(lower, r);
    }

    /**
     * A read-only branch to stack above {@link #populate}'s, as an OCI layer would be: it replaces
     * a file, a directory by a file and a file by a directory, whites out a file, a directory and
     * one name of a hard link, makes a directory opaque, changes a directory's mode, adds files.
     */
    static void populateMiddle(Path mid, long seed) throws IOException {
        Random r = new Random(seed ^ 0x31d);
        file(mid, "a/a", r, 3000, 0600);
        file(mid, "b/.wh.x", r, 0, 0644);
        file(mid, ".wh.e", r, 0, 0644);
        file(mid, "c/.wh..wh..opq", r, 0, 0644);
        file(mid, "c/new", r, 12_000, 0644);
        file(mid, "x/a", r, 500, 0644);
        file(mid, "a/big", r, 200_000, 0755);
        file(mid, "d/e/m", r, 10, 0644);
        file(mid, "h/b", r, 77, 0644);
        Files.createSymbolicLink(mid.resolve("d/s"), Path.of("e/m"));
        randomFiles(mid, r, 8);
        if (Sys.c().chmod(mid.resolve("d").toString(), 0700) != 0) {
            throw new IOException("chmod " + mid.resolve("d"));
        }
        oldTimes(mid, r);
    }

    private static void oldTimes(Path root, Random r) throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(all::add); // children before their directory
        }
        for (Path p : all) {
            FileTime t = FileTime.fromMillis(1_100_000_000_000L + r.nextInt(1_000_000_000) * 100L + r.nextInt(1000));
            Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(t, t, null);
        }
    }

    private static void xattr(Path p, String name, String value) throws IOException {
        byte[] v = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (Sys.c().setxattr(p.toString(), name, v, v.length, 0) != 0) {
            throw new IOException("setxattr " + name + " on " + p + " failed");
        }
    }

    /** More lower files at random places, named from the pool the operations use, so they meet often. */
    private static void randomFiles(Path lower, Random r, int count) throws IOException {
        String[] names = {"a", "b", "c", "d", "e", "f", "g", "h", "big", "x"};
        int[] modes = {0644, 0600, 0755, 0444, 0640, 02755};
        for (int i = 0; i < count; i++) {
            StringBuilder rel = new StringBuilder(names[r.nextInt(names.length)]);
            for (int depth = r.nextInt(4); depth > 0; depth--) {
                rel.append('/').append(names[r.nextInt(names.length)]);
            }
            if (blocked(lower, rel.toString())) {
                continue;
            }
            int size = r.nextInt(5) == 0 ? r.nextInt(400_000) : r.nextInt(3000);
            file(lower, rel.toString(), r, size, modes[r.nextInt(modes.length)]);
        }
    }

    /**
     * True if the name exists already, a prefix of it is not a directory, or a prefix is whited
     * out in this branch (a directory beside its own whiteout is left out: see WhiteoutBesideDirectoryTest).
     */
    private static boolean blocked(Path root, String rel) {
        Path p = root;
        for (String c : rel.split("/")) {
            if (Files.exists(p.resolve(".wh." + c), LinkOption.NOFOLLOW_LINKS)) {
                return true;
            }
            p = p.resolve(c);
            if (Files.isSymbolicLink(p) || Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                return true;
            }
        }
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
    }

    private static void file(Path root, String rel, Random r, int size, int mode) throws IOException {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        byte[] b = new byte[size];
        r.nextBytes(b);
        Files.write(p, b);
        if (Sys.c().chmod(p.toString(), mode) != 0) {
            throw new IOException("chmod " + p + " failed");
        }
    }
}
