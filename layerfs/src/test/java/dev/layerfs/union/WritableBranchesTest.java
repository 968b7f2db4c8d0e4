package dev.layerfs.union;

import dev.layerfs.testing.Cmd;
import dev.layerfs.testing.LiveUnion;
import dev.layerfs.testing.Tmpfs;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unions with two writable branches (rw1 over rw2) over a read-only base: where new names,
 * copy-ups, whiteouts and renames land, checked in the branch directories themselves.
 */
@Timeout(60)
class WritableBranchesTest {

    @TempDir
    Path tmp;
    Path rw1;
    Path rw2;
    Path base;
    LiveUnion u;
    Map<String, String> baseBefore;
    final List<Tmpfs> tmpfs = new ArrayList<>();

    @BeforeEach
    void branches() throws Exception {
        rw1 = Tree.dir(tmp, "rw1");
        rw2 = Tree.dir(tmp, "rw2");
        base = Tree.dir(tmp, "base");
    }

    /** Mounts rw1=rw:rw2=rw:base=ro with {@code options}, after the test filled the branches. */
    void mount(String... options) throws Exception {
        mountDirs(rw1 + "=rw:" + rw2 + "=rw:" + base + "=ro", options);
    }

    void mountDirs(String dirs, String... options) throws Exception {
        baseBefore = Tree.describe(base);
        u = LiveUnion.mount(dirs, Tree.dir(tmp, "mnt"), options);
    }

    /** Both writable branches on their own tmpfs: rw1 small, rw2 large. */
    void onTmpfs(String rw1Size, String rw2Size) throws Exception {
        tmpfs.add(Tmpfs.mount(rw1, rw1Size));
        tmpfs.add(Tmpfs.mount(rw2, rw2Size));
    }

    @AfterEach
    void unmount() throws Exception {
        try {
            if (u != null) {
                u.close();
                Tree.assertSameTree(baseBefore, Tree.describe(base)); // the ro branch never changes
                for (Path rw : List.of(rw1, rw2)) {
                    try (var work = Files.list(rw.resolve(".wh..wh.work"))) {
                        assertEquals(List.of(), work.toList(), "nothing left in the work directory of " + rw);
                    }
                }
            }
        } finally {
            for (Tmpfs t : tmpfs) {
                t.close();
            }
        }
    }

    Path m(String rel) {
        return u.resolve(rel);
    }

    static void write(Path p, String content) throws Exception {
        Files.writeString(p, content);
    }

    // ---- create=tdp (default) ----

    @Test
    void newFileGoesToTheTopmostWritableBranchHoldingItsParent() throws Exception {
        Tree.dir(rw2, "only2");
        Tree.dir(rw1, "both");
        Tree.dir(rw2, "both");
        mount();
        write(m("top"), "t");
        write(m("only2/f"), "f");
        write(m("both/g"), "g");
        assertTrue(Files.exists(rw1.resolve("top")) && !Files.exists(rw2.resolve("top")));
        assertTrue(Files.exists(rw2.resolve("only2/f")), "rw2 holds the parent, rw1 does not");
        assertFalse(Files.exists(rw1.resolve("only2")), "no parent made in rw1");
        assertTrue(Files.exists(rw1.resolve("both/g")) && !Files.exists(rw2.resolve("both/g")));
    }

    @Test
    void newFileInADirectoryOfTheReadOnlyBranchGetsItsParentsCopiedToTheTopWritableBranch() throws Exception {
        Tree.write(base, "deep/er/x", "x");
        Files.setPosixFilePermissions(base.resolve("deep/er"), PosixFilePermissions.fromString("rwxr-x---"));
        Tree.dir(rw2, "deep");
        Tree.dir(base, "ro-only");
        mount();
        write(m("deep/er/new"), "n");
        // tdp: rw2 holds more of the parent (deep/) than rw1 (nothing below the root)
        assertEquals("n", Tree.read(rw2.resolve("deep/er/new")));
        assertFalse(Files.exists(rw1.resolve("deep")));
        write(m("ro-only/file"), "r");
        assertEquals("r", Tree.read(rw1.resolve("ro-only/file")), "parent nowhere writable: the topmost branch");
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(rw2.resolve("deep/er"))),
                "the parent is copied with its metadata");
    }

    @Test
    void aWhiteoutInTheUpperBranchKeepsNewNamesAboveIt() throws Exception {
        Tree.dir(rw1, "d");
        Tree.write(rw1, "d/.wh.gone", "");
        Tree.write(rw2, "d/gone", "hidden");
        mount("create=rr");
        assertFalse(Files.exists(m("d/gone")));
        for (int i = 0; i < 2; i++) { // round robin would pick rw2 once: it may not, the new file would not show
            write(m("d/gone" + i), "x");
        }
        write(m("d/gone"), "new");
        assertEquals("new", Tree.read(m("d/gone")));
        assertEquals("new", Tree.read(rw1.resolve("d/gone")));
        assertFalse(Files.exists(rw1.resolve("d/.wh.gone")), "the whiteout gave way to the new file");
    }

    // ---- create=rr ----

    @Test
    void roundRobinAlternatesAndMkdirDoesNotTakeATurn() throws Exception {
        mount("create=rr");
        for (int i = 0; i < 6; i++) {
            write(m("f" + i), "x");
        }
        for (int i = 0; i < 6; i++) {
            Path expected = (i % 2 == 0 ? rw1 : rw2).resolve("f" + i);
            assertTrue(Files.exists(expected), "f" + i + " in " + expected.getParent());
        }
        Files.createDirectory(m("d1"));
        Files.createDirectory(m("d2"));
        assertTrue(Files.isDirectory(rw1.resolve("d1")) && Files.isDirectory(rw1.resolve("d2")),
                "a run of mkdirs lands on one branch, as in AUFS");
        write(m("f6"), "x");
        assertTrue(Files.exists(rw1.resolve("f6")));
        write(m("d1/inside"), "x"); // rw2 does not hold d1: its parent is made there
        assertTrue(Files.exists(rw2.resolve("d1/inside")));
        assertEquals(List.of("f0", "f1", "f2", "f3", "f4", "f5", "f6"),
                Tree.describe(u.path()).keySet().stream().filter(k -> k.startsWith("f")).sorted().toList());
    }

    @Test
    void aDirectoryShowsANewTimeWhenANameChangesInALowerWritableLevel() throws Exception {
        Tree.dir(rw1, "d");
        Tree.dir(rw2, "d");
        Tree.write(rw2, "d/old", "o");
        java.nio.file.attribute.FileTime past = java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(rw1.resolve("d"), past);
        mount("create=rr");
        write(m("d/a"), "a");
        write(m("d/b"), "b");
        assertTrue(Files.exists(rw2.resolve("d/b")), "one of them went to rw2");
        Files.setLastModifiedTime(m("d"), past);
        Files.delete(m("d/old"));
        assertTrue(Files.getLastModifiedTime(m("d")).compareTo(past) > 0, "unlink in rw2 moved d's time");
    }

    // ---- create=mfs, mfsrr, pmfs: branches on tmpfs of different sizes ----

    @Test
    void mostFreeSpaceFollowsTheFreeSpace() throws Exception {
        onTmpfs("4m", "16m");
        mount("create=mfs");
        write(m("a"), "a");
        assertTrue(Files.exists(rw2.resolve("a")), "rw2 has more room");
        Files.write(m("big"), new byte[14 << 20]); // rw2 now has less room left than rw1
        assertTrue(Files.exists(rw2.resolve("big")));
        write(m("b"), "b");
        assertTrue(Files.exists(rw1.resolve("b")), "rw1 has more room now");
    }

    @Test
    void mfsrrGoesRoundRobinOnceEveryBranchIsBelowTheThreshold() throws Exception {
        onTmpfs("4m", "16m");
        mount("create=mfsrr:8m");
        write(m("a"), "a");
        write(m("b"), "b");
        assertTrue(Files.exists(rw2.resolve("a")) && Files.exists(rw2.resolve("b")), "above 8 MiB free: mfs");
        Files.write(m("big"), new byte[12 << 20]);
        List<Path> landed = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            write(m("r" + i), "r");
            landed.add(Files.exists(rw1.resolve("r" + i)) ? rw1 : rw2);
        }
        assertEquals(2, landed.stream().filter(rw1::equals).count(), "alternating: " + landed);
        assertTrue(!landed.get(0).equals(landed.get(1)) && landed.get(0).equals(landed.get(2)), "alternating: " + landed);
    }

    @Test
    void pmfsPicksTheRoomierOfTheBranchesHoldingTheParent() throws Exception {
        onTmpfs("4m", "16m");
        Tree.dir(rw1, "both");
        Tree.dir(rw2, "both");
        Tree.dir(rw1, "one");
        mount("create=pmfs");
        write(m("both/x"), "x");
        write(m("one/y"), "y");
        assertTrue(Files.exists(rw2.resolve("both/x")), "both hold the parent: the roomier rw2");
        assertTrue(Files.exists(rw1.resolve("one/y")), "only rw1 holds the parent");
    }

    @Test
    void statfsReportsTheTopmostWritableBranch() throws Exception {
        onTmpfs("4m", "16m");
        mount("create=mfs");
        long total = Files.getFileStore(u.path()).getTotalSpace();
        assertEquals(Files.getFileStore(rw1).getTotalSpace(), total);
    }

    // ---- cpup ----

    @Test
    void copyUpTopDownParentGoesToTheTopmostBranchHoldingTheParent() throws Exception {
        Tree.write(base, "d/x", "lower");
        Tree.write(base, "e/y", "lower");
        Tree.dir(rw2, "d");
        Tree.dir(rw1, "e");
        Tree.dir(rw2, "e");
        mount();
        Files.writeString(m("d/x"), "+", StandardOpenOption.APPEND);
        Files.writeString(m("e/y"), "+", StandardOpenOption.APPEND);
        assertEquals("lower+", Tree.read(rw2.resolve("d/x")));
        assertEquals("lower+", Tree.read(rw1.resolve("e/y")));
        assertFalse(Files.exists(rw1.resolve("d")) || Files.exists(rw2.resolve("e/y")));
    }

    @Test
    void copyUpBottomUpParentGoesToTheNearestBranchAboveTheSourceHoldingTheParent() throws Exception {
        Tree.write(base, "e/y", "lower");
        Tree.write(base, "f/z", "lower");
        Tree.dir(rw1, "e");
        Tree.dir(rw2, "e");
        Tree.dir(rw1, "f");
        mount("cpup=bup");
        Files.writeString(m("e/y"), "+", StandardOpenOption.APPEND);
        Files.writeString(m("f/z"), "+", StandardOpenOption.APPEND);
        assertEquals("lower+", Tree.read(rw2.resolve("e/y")));
        assertEquals("lower+", Tree.read(rw1.resolve("f/z")), "only rw1 holds f/");
    }

    @Test
    void copyUpBottomUpGoesToTheNearestBranchAboveTheSourceParentOrNot() throws Exception {
        Tree.write(base, "f/z", "lower");
        Tree.dir(rw1, "f");
        mount("cpup=bu");
        Files.writeString(m("f/z"), "+", StandardOpenOption.APPEND);
        assertEquals("lower+", Tree.read(rw2.resolve("f/z")));
        assertFalse(Files.exists(rw1.resolve("f/z")));
    }

    // ---- in place ----

    @Test
    void aFileInTheSecondWritableBranchIsChangedWhereItIs() throws Exception {
        Tree.write(rw2, "d/f", "old");
        Tree.write(base, "d/f", "lower");
        mount();
        Files.writeString(m("d/f"), "+", StandardOpenOption.APPEND);
        Cmd.ok("chmod", "600", m("d/f").toString());
        Cmd.ok("touch", "-d", "2001-02-03 04:05:06", m("d/f").toString());
        assertEquals("old+", Tree.read(rw2.resolve("d/f")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(rw2.resolve("d/f"))));
        assertFalse(Files.exists(rw1.resolve("d")), "no copy-up to rw1");
        Files.writeString(m("d/f"), "new"); // O_TRUNC: still in place
        assertEquals("new", Tree.read(rw2.resolve("d/f")));
        assertFalse(Files.exists(rw1.resolve("d")));
    }

    // ---- unlink and rmdir ----

    @Test
    void unlinkRemovesTheNameFromEveryWritableBranchAndWhitesOutTheReadOnlyOne() throws Exception {
        Tree.write(rw1, "n", "1");
        Tree.write(rw2, "n", "2");
        Tree.write(base, "n", "b");
        Tree.write(rw1, "both", "1");
        Tree.write(rw2, "both", "2");
        Tree.write(rw2, "low", "2");
        Tree.write(base, "low", "b");
        mount();
        Files.delete(m("n"));
        assertFalse(Files.exists(m("n")));
        assertFalse(Files.exists(rw1.resolve("n")) || Files.exists(rw2.resolve("n")));
        assertTrue(Files.exists(rw1.resolve(".wh.n")), "the whiteout goes to the topmost branch it was removed from");
        assertFalse(Files.exists(rw2.resolve(".wh.n")));

        Files.delete(m("both"));
        assertFalse(Files.exists(m("both")), "rw2's copy does not show through");
        assertFalse(Files.exists(rw1.resolve("both")) || Files.exists(rw2.resolve("both")));
        assertFalse(Files.exists(rw1.resolve(".wh.both")) || Files.exists(rw2.resolve(".wh.both")), "nothing left to hide");

        Files.delete(m("low"));
        assertFalse(Files.exists(m("low")));
        assertTrue(Files.exists(rw2.resolve(".wh.low")) && !Files.exists(rw2.resolve("low")));
        assertFalse(Files.exists(rw1.resolve(".wh.low")));
    }

    @Test
    void unlinkOfAReadOnlyFileWhitesItOutWhereTheCopyUpPolicySays() throws Exception {
        Tree.write(base, "d/x", "b");
        Tree.dir(rw2, "d");
        mount();
        Files.delete(m("d/x"));
        assertFalse(Files.exists(m("d/x")));
        assertTrue(Files.exists(rw2.resolve("d/.wh.x")), "tdp: rw2 holds d/");
        assertFalse(Files.exists(rw1.resolve("d")));
    }

    @Test
    void rmdirRemovesTheDirectoryFromBothWritableBranches() throws Exception {
        Tree.dir(rw1, "d");
        Tree.dir(rw2, "d");
        Tree.write(rw2, "hid/x", "hidden");
        Tree.dir(rw1, "hid");
        Tree.write(rw1, "hid/.wh.x", "");
        Tree.dir(base, "hid");
        mount();
        Files.delete(m("d"));
        assertFalse(Files.exists(rw1.resolve("d")) || Files.exists(rw2.resolve("d")));
        assertFalse(Files.exists(rw1.resolve(".wh.d")));
        Files.delete(m("hid")); // empty in the union: rw2's x is whited out by rw1
        assertFalse(Files.exists(m("hid")));
        assertFalse(Files.exists(rw1.resolve("hid")));
        assertEquals("hidden", Tree.read(rw2.resolve("hid/x")), "a directory with hidden content stays, whited out");
        assertTrue(Files.exists(rw1.resolve(".wh.hid")));
    }

    // ---- rename ----

    @Test
    void renameWithinTheSecondWritableBranchIsAPlainRename() throws Exception {
        Tree.write(rw2, "a", "A");
        mount();
        Object inode = Files.getAttribute(rw2.resolve("a"), "unix:ino");
        Files.move(m("a"), m("c"));
        assertEquals("A", Tree.read(m("c")));
        assertEquals(inode, Files.getAttribute(rw2.resolve("c"), "unix:ino"), "the same file, renamed in rw2");
        assertFalse(Files.exists(rw2.resolve("a")) || Files.exists(rw1.resolve("c")));
        assertFalse(Files.exists(rw2.resolve(".wh.a")));
    }

    @Test
    void renameOntoANameOfTheUpperBranchMovesTheFileThereAndItStaysTheSameFile() throws Exception {
        Tree.write(rw2, "a", "A");
        Tree.write(base, "a", "lower");
        Tree.write(rw1, "b", "B");
        mount();
        Object unionIno = Files.getAttribute(m("a"), "unix:ino");
        Object branchIno = Files.getAttribute(rw2.resolve("a"), "unix:ino");
        try (var open = Files.newOutputStream(m("a"), StandardOpenOption.APPEND)) {
            Cmd.ok("mv", "-f", m("a").toString(), m("b").toString()); // one rename(2) onto b (Java's move unlinks b first)
            open.write('+'); // still the same file: the write shows under the new name
        }
        assertEquals("A+", Tree.read(m("b")));
        assertFalse(Files.exists(m("a")));
        assertEquals("A+", Tree.read(rw1.resolve("b")), "b shows from rw1, so the file moved there");
        assertEquals(branchIno, Files.getAttribute(rw1.resolve("b"), "unix:ino"), "rw1 and rw2 share a file system: renamed");
        assertEquals(unionIno, Files.getAttribute(m("b"), "unix:ino"), "the union's inode number moves with it");
        assertFalse(Files.exists(rw2.resolve("a")));
        assertTrue(Files.exists(rw2.resolve(".wh.a")), "base still holds a: whited out where the file was");
    }

    @Test
    void renameAcrossWritableBranchesOnTwoFileSystemsCopiesTheFile() throws Exception {
        onTmpfs("4m", "4m");
        Tree.write(rw2, "d/a", "A");
        Tree.write(rw1, "d/b", "B");
        mount();
        Object unionIno = Files.getAttribute(m("d/a"), "unix:ino");
        Cmd.ok("mv", "-f", m("d/a").toString(), m("d/b").toString());
        assertEquals("A", Tree.read(m("d/b")));
        assertEquals("A", Tree.read(rw1.resolve("d/b")));
        assertFalse(Files.exists(m("d/a")) || Files.exists(rw2.resolve("d/a")));
        assertFalse(Files.exists(rw1.resolve("d/.wh.a")) || Files.exists(rw2.resolve("d/.wh.a")), "nothing below to hide");
        assertEquals(unionIno, Files.getAttribute(m("d/b"), "unix:ino"), "the copy carries the file's number");
    }

    @Test
    void renameOfADirectorySpanningBothWritableBranchesMovesTheWholeTree() throws Exception {
        Tree.write(rw1, "d/one", "1");
        Tree.write(rw2, "d/two", "2");
        Tree.write(base, "d/three", "3");
        mount();
        Files.move(m("d"), m("e"));
        try (var names = Files.list(m("e"))) {
            assertEquals(List.of("one", "three", "two"), names.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals("2", Tree.read(m("e/two")));
        assertFalse(Files.exists(m("d")));
        assertTrue(Files.exists(rw1.resolve("e/two")), "built in rw1, the source's top branch");
        assertFalse(Files.exists(rw2.resolve("d")), "rw2's old tree is gone");
        assertTrue(Files.exists(rw1.resolve(".wh.d")));
    }

    @Test
    void aLinkWhoseNameIsWhitedOutAboveGoesUpAndStaysOneFile() throws Exception {
        Tree.write(rw2, "f", "F");
        Tree.write(rw1, ".wh.g", "");
        Tree.write(base, "g", "old");
        mount();
        Cmd.ok("ln", m("f").toString(), m("g").toString());
        assertEquals("F", Tree.read(m("g")));
        assertEquals(Files.getAttribute(rw2.resolve("f"), "unix:ino"), Files.getAttribute(rw1.resolve("g"), "unix:ino"),
                "linked into rw1, above the whiteout, on the same file system");
        assertEquals(Files.getAttribute(m("f"), "unix:ino"), Files.getAttribute(m("g"), "unix:ino"));
        assertEquals(2, Files.getAttribute(m("g"), "unix:nlink"));
    }

    @Test
    void aDirectoryMadeInALowerWritableBranchTakesSetGroupIdFromTheParentAsShown() throws Exception {
        Tree.dir(rw1, "d");
        Tree.dir(rw2, "d");
        Cmd.ok("chmod", "2775", rw1.resolve("d").toString());
        Cmd.ok("chmod", "0755", rw2.resolve("d").toString()); // an older copy of d's metadata
        mount("create=rr");
        write(m("d/first"), "x"); // rr: rw1; the next turn is rw2's
        Cmd.ok("mkdir", "-m", "755", m("d/sub").toString());
        assertTrue(Files.isDirectory(rw2.resolve("d/sub")));
        assertEquals("drwxr-sr-x", Cmd.ok("stat", "-c", "%A", m("d/sub").toString()));
    }

    @Test
    void aWritableBranchAddedToAMountedUnionTakesItsTurnAndGetsAWorkDirectory() throws Exception {
        Tree.write(base, "x", "b");
        mountDirs(rw1 + "=rw:" + base + "=ro", "create=rr");
        write(m("before"), "1");
        u.union().changeBranches(dev.layerfs.branch.BranchStack.parse(rw1 + "=rw:" + rw2 + "=rw:" + base + "=ro", tmp),
                false, java.time.Duration.ofSeconds(5));
        assertTrue(Files.isDirectory(rw2.resolve(".wh..wh.work")));
        write(m("a"), "a");
        write(m("b"), "b");
        assertTrue(Files.exists(rw1.resolve("a")) != Files.exists(rw1.resolve("b")), "one each");
        assertTrue(Files.exists(rw2.resolve("a")) != Files.exists(rw2.resolve("b")), "one each");
        Files.delete(m("x"));
        assertFalse(Files.exists(m("x")));
    }

    // ---- a writable branch below a read-only one ----

    @Test
    void aWritableBranchBelowAReadOnlyOneIsWrittenOnlyWhereItShows() throws Exception {
        Path ro = Tree.dir(tmp, "ro");
        Tree.write(rw2, "mine", "m");
        Tree.write(ro, "theirs", "t");
        Map<String, String> roBefore = Tree.describe(ro);
        mountDirs(rw1 + "=rw:" + ro + "=ro:" + rw2 + "=rw:" + base + "=ro", "cpup=bu");
        Files.writeString(m("mine"), "+", StandardOpenOption.APPEND);
        assertEquals("m+", Tree.read(rw2.resolve("mine")));
        Files.writeString(m("theirs"), "+", StandardOpenOption.APPEND);
        assertEquals("t+", Tree.read(rw1.resolve("theirs")), "only rw1 is above ro");
        Files.delete(m("mine"));
        assertFalse(Files.exists(m("mine")) || Files.exists(rw2.resolve("mine")));
        Tree.assertSameTree(roBefore, Tree.describe(ro));
    }
}
