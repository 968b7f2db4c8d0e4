package dev.layerfs.wire;

import dev.layerfs.control.BranchEdit;
import dev.layerfs.control.ControlClient;
import dev.layerfs.control.ControlRequest;
import dev.layerfs.testing.LiveUnion;
import dev.layerfs.testing.Tree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Listings read in several getdents(2) calls while other processes list the same directory: the
 * kernel fills one listing cache per directory from whichever open directory reads it, so every
 * listing must read as one snapshot however the kernel stitched its pieces (a name added
 * meanwhile may show or not, but no name shows twice, and branches show as one stack).
 */
@Timeout(60)
class WireListingTest {

    @TempDir
    Path tmp;

    @Test
    void aListingInProgressWhileANameIsAddedShowsEveryOtherNameOnce() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        List<String> names = names("f", 100); // more than one request of the kernel's (4 KiB) holds
        for (String n : names) {
            Tree.write(base, "many/" + n, "");
        }
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"), "engine=wire");
             DirectoryStream<Path> reading = Files.newDirectoryStream(u.resolve("many"))) {
            Iterator<Path> it = reading.iterator();
            List<String> seen = new ArrayList<>(List.of(it.next().getFileName().toString())); // its first part
            Files.writeString(u.resolve("many/added"), "x"); // upper branch: listed before the others
            assertEquals(plus(names, "added"), ls(u.resolve("many")), "a listing begun after the change");
            it.forEachRemaining(p -> seen.add(p.getFileName().toString()));
            seen.remove("added");
            assertListed(names, seen, "the listing begun before the change");
        }
    }

    @Test
    void aListingReadFromTheKernelsCacheAcrossABranchChangeShowsOneStack() throws Exception {
        Path up = Tree.dir(tmp, "up");
        Path base = Tree.dir(tmp, "base");
        Path extra = Tree.dir(tmp, "extra");
        List<String> baseNames = names("base", 1500); // more than one getdents(2) buffer (32 KiB) holds
        List<String> extraNames = names("extra", 1500);
        for (String n : baseNames) {
            Tree.write(base, "many/" + n, "");
        }
        for (String n : extraNames) {
            Tree.write(extra, "many/" + n, "");
        }
        try (LiveUnion u = LiveUnion.mount(up + "=rw:" + base + "=ro", Tree.dir(tmp, "mnt"), "engine=wire")) {
            assertEquals(baseNames, ls(u.resolve("many"))); // now in the kernel's listing cache
            List<String> seen = new ArrayList<>();
            try (DirectoryStream<Path> reading = Files.newDirectoryStream(u.resolve("many"))) {
                Iterator<Path> it = reading.iterator();
                seen.add(it.next().getFileName().toString()); // its first buffer, from the cache
                String now = ControlClient.send(u.path(), ControlRequest.change(
                        List.of(BranchEdit.parse("add:1:" + extra + "=ro", Path.of("/"))), false));
                assertEquals(up + "=rw:" + extra + "=ro:" + base + "=ro", now.strip());
                List<String> both = Stream.concat(baseNames.stream(), extraNames.stream()).sorted().toList();
                assertEquals(both, ls(u.resolve("many")), "a listing begun after the change");
                it.forEachRemaining(p -> seen.add(p.getFileName().toString()));
            }
            assertListed(baseNames, seen, "the listing begun before the change (the old stack)");
        }
    }

    /** Every expected name once and nothing else; a failure says how, without listing thousands of names. */
    private static void assertListed(List<String> expected, List<String> seen, String what) {
        java.util.Set<String> once = new java.util.HashSet<>();
        List<String> twice = seen.stream().filter(n -> !once.add(n)).toList();
        List<String> missing = expected.stream().filter(n -> !once.contains(n)).toList();
        List<String> unexpected = once.stream().filter(n -> !expected.contains(n)).sorted().toList();
        assertEquals("", (twice.isEmpty() ? "" : twice.size() + " shown twice " + first(twice))
                + (missing.isEmpty() ? "" : " " + missing.size() + " missing " + first(missing))
                + (unexpected.isEmpty() ? "" : " " + unexpected.size() + " not expected " + first(unexpected)), what);
    }

    private static List<String> first(List<String> names) {
        return names.subList(0, Math.min(5, names.size()));
    }

    private static List<String> names(String prefix, int count) {
        return IntStream.range(0, count).mapToObj(i -> String.format("%s%04d", prefix, i)).sorted().toList();
    }

    private static List<String> plus(List<String> names, String name) {
        return Stream.concat(names.stream(), Stream.of(name)).sorted().toList();
    }

    private static List<String> ls(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
