package dev.layerfs.fsx;

import dev.layerfs.testing.LiveUnion;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The fsx-style random tester: one seeded sequence of operations applied to a live layerfs mount
 * (upper=rw over a populated lower=ro) and to {@link ExpectedTree}, compared after every step
 * (the answer, and the state of every name the step touched) and every {@code fullCheckEvery}
 * steps in full (every name's type, mode, owner, size, link count, mtime, content or target,
 * which names share an inode, that no {@code .wh.} name shows). Halfway it unmounts and mounts
 * the same branches again: nothing may live only in the daemon's memory. At the end the lower
 * branch must be exactly as before, and the work directory empty.
 */
final class RandomOps {

    /** The figures of a run that passed. */
    record Report(long seed, int steps, Map<String, Integer> opsByKind, Map<String, Integer> failuresByErrno,
                  int fullChecks, int copyUps, int hardLinksBroken, int staleAttributeWaits, List<String> toleratedBugs, long millis) {
        @Override
        public String toString() {
            return "seed " + seed + ": " + steps + " steps in " + millis + " ms, ops " + opsByKind + ", refused " + failuresByErrno
                    + ", " + fullChecks + " full comparisons, " + copyUps + " copy-ups, " + hardLinksBroken
                    + " lower hard links broken by copy-up, " + staleAttributeWaits + " waits for attr_timeout"
                    + (toleratedBugs.isEmpty() ? "" : "\n  KNOWN BUGS STILL PRESENT (reproduced by the oracle): " + toleratedBugs);
        }
    }

    private static final int HISTORY = Integer.getInteger("fsx.history", 30);

    private final long seed;
    private final int steps;
    private final int fullCheckEvery;
    private final double attrTimeout;
    private final Path lower;
    private final Path upper;
    private final Path mnt;
    private final ExpectedTree expected;
    private final KnownBugs bugs;
    private final Deque<String> history = new ArrayDeque<>();
    private final Map<String, Integer> opsByKind = new TreeMap<>();
    private final Map<String, Integer> failuresByErrno = new TreeMap<>();
    private int step;
    private int fullChecks;
    private int staleWaits;

    private RandomOps(long seed, int steps, int fullCheckEvery, double attrTimeout, Path dir) throws Exception {
        this.seed = seed;
        this.attrTimeout = attrTimeout;
        this.steps = steps;
        this.fullCheckEvery = fullCheckEvery;
        this.lower = Files.createDirectories(dir.resolve("lower"));
        this.upper = Files.createDirectories(dir.resolve("upper"));
        this.mnt = Files.createDirectories(dir.resolve("mnt"));
        Path model = Files.createDirectories(dir.resolve("expected"));
        LowerTree.populate(lower, seed);
        copyTree(lower, model);
        this.bugs = KnownBugs.probe();
        this.expected = new ExpectedTree(model, lower, upper, bugs);
    }

    /** Runs {@code steps} operations from {@code seed} in a fresh directory under {@code dir}. */
    static Report run(long seed, int steps, int fullCheckEvery, double attrTimeout, Path dir) throws Exception {
        return new RandomOps(seed, steps, fullCheckEvery, attrTimeout, dir).run();
    }

    private Report run() throws Exception {
        long start = System.nanoTime();
        Map<String, String> lowerBefore = BranchDigest.of(lower);
        OpGenerator gen = new OpGenerator(seed, !bugs.removedOpenFileShowsHidden());
        String dirs = upper + "=rw:" + lower + "=ro";
        String cache = "attr_timeout=" + attrTimeout;
        LiveUnion u = LiveUnion.mount(dirs, mnt, cache);
        try {
            // the union's root is the writable branch's root directory (mode, times), not the lower one's
            copyAttributes(upper, expected.root());
            fullCheck("after mounting");
            for (step = 1; step <= steps; step++) {
                Op op = gen.next(OpGenerator.Listing.of(expected.root()));
                step(op);
                if (step == steps / 2) {
                    u.close();
                    u = null;
                    u = LiveUnion.mount(dirs, mnt, cache);
                    record("-- unmounted and mounted again");
                    fullCheck("after remounting");
                } else if (step % fullCheckEvery == 0) {
                    fullCheck("periodic");
                }
            }
            step = steps;
            fullCheck("at the end");
        } finally {
            if (u != null) {
                u.close();
            }
        }
        String changes = BranchDigest.changes(lowerBefore, BranchDigest.of(lower));
        if (!changes.isEmpty()) {
            fail("the lower (ro) branch changed:" + changes);
        }
        try (Stream<Path> s = Files.list(upper.resolve(".wh..wh.work"))) {
            List<Path> left = s.toList();
            if (!left.isEmpty()) {
                fail("copy-up leftovers in the work directory after a clean unmount: " + left);
            }
        }
        return new Report(seed, steps, opsByKind, failuresByErrno, fullChecks, expected.copyUps(), expected.hardLinksBroken(),
                staleWaits, bugs.present(), (System.nanoTime() - start) / 1_000_000);
    }

    private void step(Op op) throws Exception {
        Set<String> touched = new LinkedHashSet<>();
        Outcome want = expected.apply(op, touched);
        Outcome got = op.apply(mnt);
        record(step + ": " + op + " -> " + got + (want.equals(got) ? "" : "  (expected " + want + ")"));
        opsByKind.merge(op.getClass().getSimpleName(), 1, Integer::sum);
        if (!got.ok()) {
            failuresByErrno.merge(got.result(), 1, Integer::sum);
        }
        if (!want.equals(got) && op instanceof Op.Read r && hardLinked(r.path())) {
            staleWaits++; // a write through another name shows once the cached size expires (MountOptions)
            long deadline = System.nanoTime() + (long) ((attrTimeout + 0.3) * 1e9);
            while (!want.equals(got) && System.nanoTime() < deadline) {
                Thread.sleep(50);
                got = op.apply(mnt);
            }
            record("   read again after the attribute cache expired -> " + got);
        }
        if (!want.equals(got)) {
            fail("answer differs: expected " + want + ", the union said " + got);
        }
        touched.addAll(op.touched());
        for (String p : List.copyOf(touched)) {
            touched.add(ExpectedTree.parent(p));
        }
        List<String> problems = compareNames(touched);
        if (!problems.isEmpty() && onlyLaggingAttributes(problems)) {
            staleWaits++;
            problems = waitOutAttributeCache(() -> compareNames(touched));
        }
        if (!problems.isEmpty()) {
            fail("state after the step differs:\n  " + String.join("\n  ", problems));
        }
    }

    private boolean hardLinked(String rel) throws IOException {
        Optional<String> c = expected.canonical(rel, true);
        if (c.isEmpty()) {
            return false;
        }
        Optional<EntryState> s = EntryState.of(expected.root().resolve(c.get()));
        return s.isPresent() && expected.everMultiLinked(s.get().ino());
    }

    private List<String> compareNames(Set<String> paths) throws IOException {
        List<String> problems = new ArrayList<>();
        for (String p : paths) {
            if (p.contains("/.wh.") || p.startsWith(".wh.")) {
                if (Files.exists(mnt.resolve(p), LinkOption.NOFOLLOW_LINKS)) {
                    problems.add(p + ": a reserved .wh. name is visible through the mount");
                }
                continue;
            }
            Optional<EntryState> e = EntryState.of(expected.root().resolve(p));
            Optional<EntryState> a = stateThroughMount(p);
            compareOne(p, e, a, problems);
        }
        return problems;
    }

    /** lstat through the mount; a name under a non-directory or too deep in symlinks is simply absent. */
    private Optional<EntryState> stateThroughMount(String p) throws IOException {
        try {
            return EntryState.of(mnt.resolve(p));
        } catch (java.nio.file.FileSystemException ex) {
            if (ex.getReason() != null && ex.getReason().contains("Not a directory")) {
                return Optional.empty();
            }
            throw ex;
        }
    }

    private void compareOne(String p, Optional<EntryState> e, Optional<EntryState> a, List<String> problems) throws IOException {
        if (e.isPresent() != a.isPresent()) {
            problems.add(p + ": " + (e.isPresent() ? "missing through the mount" : "exists through the mount only: " + a.get()));
            return;
        }
        if (e.isEmpty()) {
            return;
        }
        int nlink = e.get().type() == 'd' ? 0 : expected.expectedNlink(p, e.get());
        for (String d : EntryState.differences(e.get(), a.get(), nlink)) {
            problems.add(p + ": " + d + (expected.everMultiLinked(e.get().ino()) ? " [hard-linked]" : ""));
        }
    }

    /**
     * True when every difference is a size, link count or mtime of a file that has had several
     * names: libfuse's path API gives each name its own kernel inode, so a change through one name
     * shows through the others only after attr_timeout (1 s), as MountOptions documents.
     */
    private static boolean onlyLaggingAttributes(List<String> problems) {
        return problems.stream().allMatch(p -> p.endsWith("[hard-linked]")
                && (p.contains(": size ") || p.contains(": nlink ") || p.contains(": mtime ")));
    }

    private interface Comparison {
        List<String> problems() throws IOException;
    }

    /** Compares again until the kernel's cached attributes expire (attr_timeout), then answers what still differs. */
    private List<String> waitOutAttributeCache(Comparison c) throws Exception {
        long deadline = System.nanoTime() + (long) ((attrTimeout + 0.3) * 1e9);
        List<String> problems;
        do {
            Thread.sleep(50);
            problems = c.problems();
        } while (!problems.isEmpty() && System.nanoTime() < deadline);
        return problems;
    }

    private void fullCheck(String when) throws Exception {
        fullChecks++;
        List<String> problems = compareTrees();
        if (!problems.isEmpty() && onlyLaggingAttributes(problems)) {
            staleWaits++;
            problems = waitOutAttributeCache(this::compareTrees);
        }
        if (!problems.isEmpty()) {
            fail("full comparison " + when + " differs:\n  " + String.join("\n  ", problems));
        }
    }

    private List<String> compareTrees() throws IOException {
        List<String> problems = new ArrayList<>();
        Map<String, EntryState> want = walk(expected.root(), problems, false);
        Map<String, EntryState> got = walk(mnt, problems, true);
        Set<String> names = new TreeSet<>(want.keySet());
        names.addAll(got.keySet());
        for (String p : names) {
            compareOne(p, Optional.ofNullable(want.get(p)), Optional.ofNullable(got.get(p)), problems);
        }
        // names that are one file (hard links) must be one file through the mount too, and only those
        Map<String, Set<String>> wantGroups = linkGroups(want);
        Map<String, Set<String>> gotGroups = linkGroups(got);
        for (String p : wantGroups.keySet()) {
            if (gotGroups.containsKey(p) && !wantGroups.get(p).equals(gotGroups.get(p))
                    && !(bugs.brokenLinksShareInode() && onlyExtraNamesShare(wantGroups.get(p), gotGroups.get(p)))) {
                problems.add(p + ": shares its inode number with " + others(p, gotGroups) + " through the mount, expected with "
                        + others(p, wantGroups));
            }
        }
        // no bookkeeping name of the writable branch is reachable through the mount
        try (Stream<Path> s = Files.walk(upper)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String rel = upper.relativize(p).toString();
                if (p.getFileName().toString().startsWith(".wh.") && !rel.contains(".wh..wh.work/")
                        && Files.exists(mnt.resolve(rel), LinkOption.NOFOLLOW_LINKS)) {
                    problems.add(rel + ": the writable branch's marker is reachable through the mount");
                }
            }
        }
        return problems;
    }

    /**
     * While the known inode bug lasts (copies of a lower hard link keep its number, and new files
     * that reuse a freed copy's branch inode inherit it), extra names sharing a number are not
     * told apart from it; names that are one file must still share their number.
     */
    private boolean onlyExtraNamesShare(Set<String> wantGroup, Set<String> gotGroup) {
        return gotGroup.containsAll(wantGroup);
    }

    private static Set<String> others(String p, Map<String, Set<String>> groups) {
        Set<String> s = new TreeSet<>(groups.get(p));
        s.remove(p);
        return s;
    }

    private static Map<String, Set<String>> linkGroups(Map<String, EntryState> tree) {
        Map<Long, Set<String>> byIno = new HashMap<>();
        tree.forEach((p, s) -> {
            if (s.type() != 'd') {
                byIno.computeIfAbsent(s.ino(), k -> new TreeSet<>()).add(p);
            }
        });
        Map<String, Set<String>> out = new HashMap<>();
        byIno.values().forEach(g -> g.forEach(p -> out.put(p, g)));
        return out;
    }

    private Map<String, EntryState> walk(Path root, List<String> problems, boolean throughMount) throws IOException {
        Map<String, EntryState> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String rel = root.relativize(p).toString();
                if (throughMount && p.getFileName() != null && p.getFileName().toString().startsWith(".wh.")) {
                    problems.add(rel + ": a .wh. name is listed through the mount");
                }
                EntryState.of(p).ifPresent(st -> out.put(rel, st));
            }
        }
        return out;
    }

    private void record(String line) {
        if (history.size() == HISTORY) {
            history.removeFirst();
        }
        history.addLast(line);
    }

    private void fail(String what) {
        throw new AssertionError("fsx seed " + seed + ", step " + step + " of " + steps + ": " + what
                + "\nlast operations:\n  " + String.join("\n  ", history)
                + "\nreplay: mvn -pl layerfs test -Dtest=RandomOperationsTest -Dfsx.seed=" + seed + " -Dfsx.steps=" + steps);
    }

    private static void copyAttributes(Path from, Path to) throws IOException {
        var a = Files.readAttributes(from, java.nio.file.attribute.PosixFileAttributes.class);
        Files.setPosixFilePermissions(to, a.permissions());
        Files.getFileAttributeView(to, java.nio.file.attribute.BasicFileAttributeView.class)
                .setTimes(a.lastModifiedTime(), a.lastAccessTime(), null);
    }

    private static void copyTree(Path from, Path to) throws Exception {
        Process p = new ProcessBuilder("cp", "-a", from + "/.", to.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException("cp -a " + from + " " + to + ": " + out);
        }
    }

    static String summary(List<Report> reports) {
        return reports.stream().map(Report::toString).collect(Collectors.joining("\n"));
    }
}
