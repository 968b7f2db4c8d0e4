package dev.layerfs.fsx;

import dev.layerfs.testing.LiveUnion;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Known deviations of layerfs that the random tester leaves out of its runs while they last,
 * each probed on a scratch union before a run and printed with every report, so a fix makes the
 * tester cover the case again without anyone touching it. (Bugs it found and that were fixed
 * are not here: they have focused tests, and the tester checks them strictly.)
 *
 * <p>{@code removedOpenFileShowsHidden}: libfuse's path API keeps a file removed while open
 * under {@code .fuse_hidden*} until its last close (documented in the layerfs README; see
 * {@code OpenUnlinkedFileTest}). While so, the tester does not remove or rename the names of
 * files it holds open.
 *
 * <p>{@code createWithOwnerDropsSetId}: a file created with set-user-ID or set-group-ID bits in a
 * set-group-ID directory of another group loses them (see {@code SetIdBitsOnCreateTest}). While
 * so, the tester creates files without those bits.
 */
record KnownBugs(boolean removedOpenFileShowsHidden, boolean createWithOwnerDropsSetId) {

    static final KnownBugs NONE = new KnownBugs(false, false);

    private static KnownBugs probed;

    /** Probes once per JVM; {@code -Dfsx.strict=true} skips the probes and leaves nothing out. */
    static synchronized KnownBugs probe() throws Exception {
        if (Boolean.getBoolean("fsx.strict")) {
            return NONE;
        }
        if (probed == null) {
            Path dir = Files.createTempDirectory("fsx-probe");
            try {
                probed = new KnownBugs(probeRemovedOpenFile(dir.resolve("1")), probeCreateWithOwner(dir.resolve("2")));
            } finally {
                removeTree(dir);
            }
        }
        return probed;
    }

    List<String> present() {
        List<String> s = new ArrayList<>();
        if (removedOpenFileShowsHidden) {
            s.add("a removed open file shows as .fuse_hidden* (OpenUnlinkedFileTest): removing or renaming names of open"
                    + " files is left out of the run");
        }
        if (createWithOwnerDropsSetId) {
            s.add("a file created in a set-group-ID directory of another group loses its set-ID bits (SetIdBitsOnCreateTest):"
                    + " files are created without them");
        }
        return s;
    }

    private static boolean probeCreateWithOwner(Path dir) throws Exception {
        Path lower = Files.createDirectories(dir.resolve("lower"));
        Path upper = Files.createDirectories(dir.resolve("upper"));
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        try (LiveUnion u = LiveUnion.mount(upper + "=rw:" + lower + "=ro", mnt)) {
            Path d = Files.createDirectory(u.resolve("d"));
            Files.setAttribute(d, "unix:gid", 1000);
            Files.setAttribute(d, "unix:mode", 02775);
            new Op.Create("d/f", 04755).apply(u.path());
            return ((Integer) Files.getAttribute(d.resolve("f"), "unix:mode") & 06000) == 0;
        }
    }

    private static boolean probeRemovedOpenFile(Path dir) throws Exception {
        Path lower = Files.createDirectories(dir.resolve("lower"));
        Path upper = Files.createDirectories(dir.resolve("upper"));
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        try (LiveUnion u = LiveUnion.mount(upper + "=rw:" + lower + "=ro", mnt)) {
            Path f = u.resolve("f");
            Files.writeString(f, "x");
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                Files.delete(f);
                try (Stream<Path> s = Files.list(u.path())) {
                    return s.findAny().isPresent();
                }
            }
        }
    }

    private static void removeTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
