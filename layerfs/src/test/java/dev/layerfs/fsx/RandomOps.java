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
 * (upper=rw, or upper=rw:upper2=rw with create=rr, over one or two populated ro branches) and to {@link ExpectedTree}, compared after every step
 * (the answer, and the state of every name the step touched) and every {@code fullCheckEvery}
 * steps in full (every name's type, mode, owner, size, link count, mtime, content or target,
 * which names share an inode, that no {@code .wh.} name shows). Halfway it unmounts and mounts
 * the same branches again: nothing may live only in the daemon's memory. At the end the read-only
 * branch must be exactly as before, and the work directory empty.
 */
final class RandomOps {

    /** The figures of a run that passed. */
    record Report(long seed, int steps, int readOnlyBranches, Map<String, Integer> opsByKind, Map<String, Integer> failuresByErrno,
                  int fullChecks, int copyUps, int hardLinksBroken, int staleAttributeWaits, List<String> toleratedBugs, long millis) {
        @Override
        public String toString() {
            return "seed " + seed + " (" + readOnlyBranches + " ro branch" + (readOnlyBranches > 1 ? "es" : "") + "): "
                    + steps + " steps in " + millis + " ms, ops " + opsByKind + ", refused " + failuresByErrno
                    + ", " + fullChecks + " full comparisons, " + copyUps + " copy-ups, " + hardLinksBroken
                    + " lower hard links broken by copy-up, " + staleAttributeWaits + " waits for attr_timeout"
                    + (toleratedBugs.isEmpty() ? "" : "\n  KNOWN BUGS STILL PRESENT, their cases left out of this run: " + toleratedBugs);
        }
    }

    private static final int HISTORY = Integer.getInteger("fsx.history", 30);

    private final long seed;
    private final int steps;
    private final int fullCheckEvery;
    private final double attrTimeout;
    private final ReadOnlyStack readOnly;
    private final Path upper;
    /** The writable branches, top first: {@code upper}, and {@code upper2} in the two-writable-branch variant. */
    private final List<Path> writable;
    private final Path mnt;
    private final ExpectedTree expected;
    private final KnownBugs bugs;
    private final Deque<String> history = new ArrayDeque<>();
    private final Map<String, Integer> opsByKind = new TreeMap<>();
    private final Map<String, Integer> failuresByErrno = new TreeMap<>();
    private int step;
    private int fullChecks;
    private int staleWaits;

    private RandomOps(long seed, int steps, int fullCheckEvery, double attrTimeout, int readOnlyBranches, int writableBranches,
                      Path dir) throws Exception {
        this.seed = seed;
        this.attrTimeout = attrTimeout;
        this.steps = steps;
        this.fullCheckEvery = fullCheckEvery;
        Path lower = Files.createDirectories(dir.resolve("lower"));
        LowerTree.populate(lower, seed);
        List<Path> ro = new ArrayList<>(List.of(lower));
        if (readOnlyBranches == 2) {
            Path middle = Files.createDirectories(dir.resolve("middle"));
            LowerTree.populateMiddle(middle, seed);
            ro.add(0, middle);
        } else if (readOnlyBranches != 1) {
            throw new IllegalArgumentException("1 or 2 read-only branches, not " + readOnlyBranches);
        }
        this.readOnly = new ReadOnlyStack(ro);
        this.upper = Files.createDirectories(dir.resolve("upper"));
        this.writable = writableBranches == 1 ? List.of(upper)
                : writableBranches == 2 ? List.of(upper, Files.createDirectories(dir.resolve("upper2")))
                : List.of();
        if (writable.isEmpty()) {
            throw new IllegalArgumentException("1 or 2 writable branches, not " + writableBranches);
        }
        this.mnt = Files.createDirectories(dir.resolve("mnt"));
        Path model = Files.createDirectories(dir.resolve("expected"));
        var sources = readOnly.mergeInto(model);
        this.bugs = KnownBugs.probe();
        this.expected = new ExpectedTree(model, sources);
    }

    /** Runs {@code steps} operations from {@code seed} in a fresh directory under {@code dir}. */
    static Report run(long seed, int steps, int fullCheckEvery, double attrTimeout, int readOnlyBranches, Path dir) throws Exception {
        return run(seed, steps, fullCheckEvery, attrTimeout, readOnlyBranches, 1, dir);
    }

    /**
     * As {@link #run(long, int, int, double, int, Path)}; with {@code writableBranches} 2, over
     * two writable branches on one file system with {@code create=rr}, so new names alternate
     * between them and renames, links and directory renames cross them.
     */
    static Report run(long seed, int steps, int fullCheckEvery, double attrTimeout, int readOnlyBranches, int writableBranches,
                      Path dir) throws Exception {
        return new RandomOps(seed, steps, fullCheckEvery, attrTimeout, readOnlyBranches, writableBranches, dir).run();
    }

    private Report run() throws Exception {
        long start = System.nanoTime();
        List<Map<String, String>> roBefore = new ArrayList<>();
        for (Path b : readOnly.branches()) {
            roBefore.add(BranchDigest.of(b));
        }
        OpGenerator gen = new OpGenerator(seed, bugs);
        String dirs = writable.stream().map(b -> b + "=rw:").collect(Collectors.joining())
                + readOnly.branches().stream().map(b -> b + "=ro").collect(Collectors.joining(":"));
        String cache = "attr_timeout=" + attrTimeout + (writable.size() > 1 ? ",create=rr" : "");
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
                    u = null; // so a failed remount is not unmounted twice
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
        for (int i = 0; i < roBefore.size(); i++) {
            Path b = readOnly.branches().get(i);
            String changes = BranchDigest.changes(roBefore.get(i), BranchDigest.of(b));
            if (!changes.isEmpty()) {
                fail("the read-only branch " + b + " changed:" + changes);
            }
        }
        for (Path w : writable) {
            try (Stream<Path> s = Files.list(w.resolve(".wh..wh.work"))) {
                List<Path> left = s.toList();
                if (!left.isEmpty()) {
                    fail("copy-up leftovers in the work directory after a clean unmount: " + left);
                }
            }
        }
        return new Report(seed, steps, readOnly.branches().size(), opsByKind, failuresByErrno, fullChecks, expected.copyUps(),
                expected.hardLinksBroken(), staleWaits, bugs.present(), (System.nanoTime() - start) / 1_000_000);
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
     * True when every difference is an attribute (mode, owner, size, link count, mtime, inode
     * number) of a file that has had several names: libfuse's path API gives each name its own
     * kernel inode, so a change through one name shows through the others only after
     * attr_timeout, as MountOptions and the layerfs README document. Content, symlink targets,
     * extended attributes and existence are never allowed to lag.
     */
    private static boolean onlyLaggingAttributes(List<String> problems) {
        return problems.stream().allMatch(p -> p.endsWith("[hard-linked]")
                && (p.contains(": mode ") || p.contains(": owner ") || p.contains(": size ") || p.contains(": nlink ")
                || p.contains(": mtime ") || p.contains(": shares its inode number")));
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
) {
                problems.add(p + ": shares its inode number with " + others(p, gotGroups) + " through the mount, expected with "
                        + others(p, wantGroups) + (expected.everMultiLinked(want.get(p).ino()) ? " [hard-linked]" : ""));
            }
        }
        // no bookkeeping name of a writable branch is reachable through the mount
        for (Path w : writable) {
            try (Stream<Path> s = Files.walk(w)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    String rel = w.relativize(p).toString();
                    if (p.getFileName().toString().startsWith(".wh.") && !rel.contains(".wh..wh.work/")
                            && Files.exists(mnt.resolve(rel), LinkOption.NOFOLLOW_LINKS)) {
                        problems.add(rel + ": the writable branch's marker is reachable through the mount");
                    }
                }
            }
        }
        return problems;
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
                + "\nreplay (the same operations): mvn -B -pl layerfs -am test -Dtest=dev.layerfs.fsx.RandomOperationsTest"
                + " -Dsurefire.failIfNoSpecifiedTests=false -Dfsx.seed=" + seed + " -Dfsx.steps=" + steps
                + " -Dfsx.roBranches=" + readOnly.branches().size() + " -Dfsx.attrTimeout=" + attrTimeout
                + " -Dfsx.fullCheckEvery=" + fullCheckEvery + " -Dfsx.history=" + Math.max(HISTORY, step));
    }

    private static void copyAttributes(Path from, Path to) throws IOException {
        var a = Files.readAttributes(from, java.nio.file.attribute.PosixFileAttributes.class);
        Files.setPosixFilePermissions(to, a.permissions());
        Files.getFileAttributeView(to, java.nio.file.attribute.BasicFileAttributeView.class)
                .setTimes(a.lastModifiedTime(), a.lastAccessTime(), null);
    }
}
