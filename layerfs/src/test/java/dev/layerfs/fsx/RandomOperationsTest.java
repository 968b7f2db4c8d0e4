package dev.layerfs.fsx;

import dev.layerfs.testing.LiveUnion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The fsx-style random tester over a live union (see {@link RandomOps}). By default three seeds
 * of 1500 steps, fit for CI. System properties make the long or the replay version:
 * <ul>
 * <li>{@code -Dfsx.seed=S[,S2...]} the seeds to run (replays a reported failure exactly);
 * <li>{@code -Dfsx.steps=N} operations per seed;
 * <li>{@code -Dfsx.fullCheckEvery=K} full tree comparison period (50);
 * <li>{@code -Dfsx.roBranches=1|2} read-only branches under the writable one (odd seeds 2, even 1);
 * <li>{@code -Dfsx.attrTimeout=T} the mount's attr_timeout (0.2 s here; layerfs's default is 1 s).
 *     A change through one hard link shows through its other names only once the kernel's cached
 *     attributes expire (documented in MountOptions); the tester waits that out for hard-linked
 *     files only, and a shorter timeout keeps those waits short.
 * </ul>
 * e.g. {@code mvn -B -pl layerfs -am test -Dtest='dev.layerfs.fsx.RandomOperationsTest'
 * -Dsurefire.failIfNoSpecifiedTests=false -Dfsx.seed=7,8,9 -Dfsx.steps=100000 -Dfsx.attrTimeout=1}.
 * Every seed runs even when one fails; the failures are reported together.
 */
class RandomOperationsTest {

    private static final long[] CI_SEEDS = {1, 20261122, 0x5eedL};
    private static final long[] TWO_WRITABLE_CI_SEEDS = {2, 7};

    @TempDir
    Path tmp;

    /** Odd seeds stack two read-only branches (the upper one with whiteouts and an opaque directory), even seeds one; -Dfsx.roBranches=N for all. */
    private static int readOnlyBranches(long seed) {
        return Integer.getInteger("fsx.roBranches", (int) Math.floorMod(seed, 2L) + 1);
    }

    @Test
    @Timeout(value = 12, unit = TimeUnit.HOURS) // the long version; the short one takes well under a minute
    void unionAgreesWithAPlainDirectoryHoldingTheExpectedMerge() throws Exception {
        runSeeds(1);
    }

    /**
     * The same over two writable branches with {@code create=rr}: new names alternate between
     * them, so renames, links and directory renames cross branches. Two seeds (one and two
     * read-only branches) in CI; {@code -Dfsx.seed} etc. as above.
     */
    @Test
    @Timeout(value = 12, unit = TimeUnit.HOURS)
    void twoWritableBranchesWithRoundRobinAgreeWithAPlainDirectory() throws Exception {
        runSeeds(2);
    }

    private void runSeeds(int writableBranches) throws Exception {
        LiveUnion.assumeFuse();
        int steps = Integer.getInteger("fsx.steps", 1500);
        String given = System.getProperty("fsx.seed");
        long[] seeds = given == null ? (writableBranches == 1 ? CI_SEEDS : TWO_WRITABLE_CI_SEEDS) : Arrays.stream(given.split(",")).mapToLong(s -> Long.decode(s.strip())).toArray();
        int every = Integer.getInteger("fsx.fullCheckEvery", 50);
        double attrTimeout = Double.parseDouble(System.getProperty("fsx.attrTimeout", "0.2"));
        List<RandomOps.Report> reports = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (long seed : seeds) {
            try {
                RandomOps.Report r = RandomOps.run(seed, steps, every, attrTimeout, readOnlyBranches(seed), writableBranches,
                        Files.createDirectories(tmp.resolve("rw" + writableBranches + "-seed-" + seed)));
                System.out.println("fsx " + r);
                reports.add(r);
            } catch (AssertionError e) {
                System.out.println(e.getMessage());
                failures.add(e.getMessage());
            }
        }
        System.out.println("fsx (" + writableBranches + " writable): " + reports.size() + " of " + seeds.length + " seeds passed, "
                + reports.stream().mapToInt(RandomOps.Report::steps).sum() + " steps in "
                + reports.stream().mapToLong(RandomOps.Report::millis).sum() + " ms");
        if (!failures.isEmpty()) {
            throw new AssertionError(failures.size() + " of " + seeds.length + " seeds failed:\n\n" + String.join("\n\n", failures));
        }
    }
}
