package dev.layerfs.fsx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Picks the next operation from a seeded random stream and the current expected tree, so a seed
 * replays the same run. Names come from a small pool, so operations collide often (EEXIST,
 * ENOTEMPTY, renames over existing names, re-creation after delete); offsets reach past the end
 * of files (holes) and writes straddle the 128 KiB FUSE request size.
 */
final class OpGenerator {

    private static final String[] NAMES = {"a", "b", "c", "d", "e", "f", "g", "h", "big", "x"};
    private static final int[] MODES = {0644, 0600, 0755, 0700, 0444, 0, 04755, 02755, 01777, 0640, 0666, 0711};
    private static final int MAX_DEPTH = 4;
    private static final long MAX_FILE = 1 << 20;

    private final Random r;

    private final boolean renameOrUnlinkWhileOpen;
    private final int createModeMask;

    /** What known bugs leave out: see {@link KnownBugs}. */
    OpGenerator(long seed, KnownBugs bugs) {
        this.r = new Random(seed);
        this.renameOrUnlinkWhileOpen = !bugs.removedOpenFileShowsHidden();
        this.createModeMask = bugs.createWithOwnerDropsSetId() ? 01777 : 07777;
    }

    /** The names in the expected tree, by kind, sorted so that the choice depends on the seed only. */
    record Listing(Path root, List<String> dirs, List<String> files, List<String> symlinks, List<String> all) {
        static Listing of(Path root) throws IOException {
            List<String> dirs = new ArrayList<>();
            List<String> files = new ArrayList<>();
            List<String> links = new ArrayList<>();
            List<String> all = new ArrayList<>();
            try (Stream<Path> s = Files.walk(root)) {
                for (Path p : (Iterable<Path>) s.sorted()::iterator) {
                    String rel = root.relativize(p).toString();
                    if (Files.isSymbolicLink(p)) {
                        links.add(rel);
                    } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        dirs.add(rel);
                    } else {
                        files.add(rel);
                    }
                    if (!rel.isEmpty()) {
                        all.add(rel);
                    }
                }
            }
            return new Listing(root, dirs, files, links, all);
        }
    }

    Op next(Listing t) throws IOException {
        int dice = r.nextInt(100);
        if (dice < 14) {
            return write(t);
        }
        if (dice < 18) {
            return fdWrite(t);
        }
        if (dice < 26) {
            return read(t);
        }
        if (dice < 28) {
            return r.nextBoolean() ? new Op.Chown(any(t), ID[r.nextInt(ID.length)], ID[r.nextInt(ID.length)])
                    : new Op.SetXattr(any(t), "user." + NAMES[r.nextInt(3)], r.nextInt(4) == 0 ? null : "v" + r.nextInt(100));
        }
        if (dice < 35) {
            String p = fileOr(t);
            return new Op.Truncate(p, r.nextInt(4) == 0 ? 0 : (long) r.nextInt((int) Math.min(MAX_FILE, 2 * size(t, p) + 65536) + 1));
        }
        if (dice < 43) {
            return new Op.Create(fresh(t, 0.85), mode() & createModeMask);
        }
        if (dice < 49) {
            return new Op.Mkdir(fresh(t, 0.85), r.nextInt(5) == 0 ? mode() : 0755);
        }
        if (dice < 55) {
            return new Op.Rmdir(r.nextInt(5) == 0 ? any(t) : pickOr(t.dirs(), t)); // never the root: a mount point answers EBUSY
        }
        if (dice < 63) {
            return new Op.Unlink(r.nextInt(8) == 0 ? any(t) : nonDir(t));
        }
        if (dice < 75) {
            String from = r.nextInt(3) == 0 ? pickOr(t.dirs(), t) : any(t);
            int k = r.nextInt(10);
            String to = k < 5 ? fresh(t, 1.0) : k < 8 ? sameKind(t, from) : any(t);
            return new Op.Rename(from, to);
        }
        if (dice < 81) {
            return new Op.Link(r.nextInt(8) == 0 ? any(t) : nonDir(t), r.nextInt(7) == 0 ? any(t) : fresh(t, 1.0));
        }
        if (dice < 86) {
            return new Op.Chmod(any(t), mode());
        }
        if (dice < 91) {
            long base = 946_684_800L + r.nextInt(650_000_000);
            int k = r.nextInt(10);
            long mtimeNsec = k == 0 ? Op.UTIME_NOW : k == 1 ? Op.UTIME_OMIT : r.nextInt(1_000_000_000);
            return new Op.Utimes(any(t), base + r.nextInt(1000), r.nextInt(1_000_000_000), base, mtimeNsec);
        }
        if (dice < 95) {
            String path = fresh(t, 0.9);
            return new Op.Symlink(target(t, path), path);
        }
        return new Op.ReadDir(r.nextInt(10) == 0 ? any(t) : pick(t.dirs()));
    }

    private Op write(Listing t) throws IOException {
        String p = fileOr(t);
        long size = size(t, p);
        int k = r.nextInt(10);
        long offset = k < 6 ? (long) (r.nextDouble() * (size + 1))
                : k < 9 ? size + r.nextInt(256 * 1024)
                : r.nextInt(3 << 19);
        if (offset > MAX_FILE) {
            offset = r.nextInt((int) MAX_FILE);
        }
        int j = r.nextInt(20);
        int length = j < 14 ? 1 + r.nextInt(8192) : j < 19 ? 8192 + r.nextInt(200_000) : 200_000 + r.nextInt(200_000);
        return new Op.Write(p, offset, length, r.nextLong(), r.nextInt(20) == 0, r.nextInt(10) == 0);
    }

    private static final int[] ID = {0, 0, 1000, 1001};

    private Op fdWrite(Listing t) throws IOException {
        String p = fileOr(t);
        Op.Then then = renameOrUnlinkWhileOpen ? Op.Then.values()[r.nextInt(3)] : Op.Then.NOTHING;
        long size = size(t, p);
        return new Op.FdWrite(p, then, then == Op.Then.RENAME ? fresh(t, 0.6) : "", (long) (r.nextDouble() * (size + 4096)),
                1 + r.nextInt(20_000), r.nextLong());
    }

    private Op read(Listing t) throws IOException {
        String p = fileOr(t);
        if (r.nextBoolean()) {
            return new Op.Read(p, 0, -1);
        }
        long size = size(t, p);
        return new Op.Read(p, (long) (r.nextDouble() * (size + 10)), 1 + r.nextInt(300_000));
    }

    private long size(Listing t, String rel) throws IOException {
        Path p = t.root().resolve(rel);
        return Files.isRegularFile(p) ? Files.size(p) : 0;
    }

    private int mode() {
        return r.nextInt(4) == 0 ? r.nextInt(07777 + 1) : MODES[r.nextInt(MODES.length)];
    }

    private String pick(List<String> from) {
        return from.get(r.nextInt(from.size()));
    }

    private String pickOr(List<String> from, Listing t) {
        List<String> nonRoot = from.stream().filter(s -> !s.isEmpty()).toList();
        return nonRoot.isEmpty() ? fresh(t, 1.0) : pick(nonRoot);
    }

    /** Mostly an existing name, sometimes one that does not exist. */
    private String any(Listing t) {
        return r.nextInt(10) == 0 || t.all().isEmpty() ? fresh(t, 1.0) : pick(t.all());
    }

    /** Mostly a regular file (or a symlink, which the call follows). */
    private String fileOr(Listing t) {
        int k = r.nextInt(20);
        if (k < 16 && !t.files().isEmpty()) {
            return pick(t.files());
        }
        if (k < 18 && !t.symlinks().isEmpty()) {
            return pick(t.symlinks());
        }
        return any(t);
    }

    private String nonDir(Listing t) {
        List<String> both = new ArrayList<>(t.files());
        both.addAll(t.symlinks());
        return both.isEmpty() ? any(t) : pick(both);
    }

    private String sameKind(Listing t, String like) {
        Path p = t.root().resolve(like);
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            return pickOr(t.dirs(), t);
        }
        return nonDir(t);
    }

    /**
     * A name in an existing directory: new with probability {@code freshness} (as far as a small
     * name pool allows), otherwise an existing one; now and then a reserved {@code .wh.} name.
     */
    private String fresh(Listing t, double freshness) {
        if (r.nextDouble() >= freshness && !t.all().isEmpty()) {
            return pick(t.all());
        }
        List<String> shallow = t.dirs().stream().filter(d -> depth(d) < MAX_DEPTH).toList();
        String dir = pick(shallow.isEmpty() ? List.of("") : shallow);
        String name = r.nextInt(40) == 0 ? ".wh." + NAMES[r.nextInt(NAMES.length)] : NAMES[r.nextInt(NAMES.length)];
        return dir.isEmpty() ? name : dir + "/" + name;
    }

    /** Symlink targets stay inside the tree (no {@code ..}, so no tree-escaping path), or point nowhere. */
    private String target(Listing t, String linkPath) {
        return switch (r.nextInt(6)) {
            case 0, 1 -> NAMES[r.nextInt(NAMES.length)];
            case 2 -> NAMES[r.nextInt(NAMES.length)] + "/" + NAMES[r.nextInt(NAMES.length)];
            case 3 -> "/fsx-nowhere/" + NAMES[r.nextInt(NAMES.length)];
            case 4 -> ExpectedTree.name(linkPath); // a loop
            default -> {
                String parent = ExpectedTree.parent(linkPath);
                List<String> siblings = t.all().stream().filter(a -> ExpectedTree.parent(a).equals(parent)).toList();
                yield siblings.isEmpty() ? "x" : ExpectedTree.name(pick(siblings));
            }
        };
    }

    private static int depth(String d) {
        return d.isEmpty() ? 0 : d.split("/").length;
    }
}
