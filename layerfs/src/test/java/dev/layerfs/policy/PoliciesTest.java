package dev.layerfs.policy;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each policy's choice over plain data: branches 0..3 writable, top first (see WritableBranchesTest for real mounts). */
class PoliciesTest {

    /** A target whose parent directory has 2 components; {@code depth} says how much of it each branch holds. */
    record Given(List<Integer> candidates, Map<Integer, Integer> depth, Map<Integer, Long> free,
                 OptionalInt source, boolean directory) implements Choice {

        static Given of(List<Integer> candidates, Map<Integer, Integer> depth) {
            return new Given(candidates, depth, Map.of(), OptionalInt.empty(), false);
        }

        Given free(Map<Integer, Long> bytes) {
            return new Given(candidates, depth, bytes, source, directory);
        }

        Given from(int branch) {
            return new Given(candidates, depth, free, OptionalInt.of(branch), directory);
        }

        Given mkdir() {
            return new Given(candidates, depth, free, source, true);
        }

        @Override
        public int depthIn(int branch) {
            return depth.getOrDefault(branch, 0);
        }

        @Override
        public int parentDepth() {
            return 2;
        }

        @Override
        public long freeBytes(int branch) {
            return free.getOrDefault(branch, 0L);
        }
    }

    @Test
    void topDownParentTakesTheTopmostBranchHoldingTheParent() {
        TopDownParent tdp = new TopDownParent();
        assertEquals(1, tdp.choose(Given.of(List.of(0, 1, 2), Map.of(1, 2, 2, 2))));
        assertEquals(2, tdp.choose(Given.of(List.of(0, 1, 2), Map.of(0, 1, 2, 2))));
    }

    @Test
    void topDownParentFallsBackToTheBranchHoldingMostOfTheParent() {
        TopDownParent tdp = new TopDownParent();
        assertEquals(1, tdp.choose(Given.of(List.of(0, 1, 2), Map.of(1, 1, 2, 1))));
        assertEquals(0, tdp.choose(Given.of(List.of(0, 1, 2), Map.of())), "every branch holds the root");
    }

    @Test
    void roundRobinTakesTurnsButMkdirDoesNotAdvance() {
        RoundRobin rr = new RoundRobin();
        Given files = Given.of(List.of(0, 2), Map.of());
        assertEquals(List.of(0, 2, 0), List.of(rr.choose(files), rr.choose(files), rr.choose(files)));
        assertEquals(2, rr.choose(files.mkdir()));
        assertEquals(2, rr.choose(files.mkdir()));
        assertEquals(2, rr.choose(files));
        assertEquals(0, rr.choose(files));
    }

    @Test
    void mostFreeSpaceTakesTheRoomiestBranchAndTheUpperOneOnATie() {
        MostFreeSpace mfs = new MostFreeSpace(0);
        Given g = Given.of(List.of(0, 1, 2), Map.of());
        assertEquals(1, mfs.choose(g.free(Map.of(0, 10L, 1, 30L, 2, 20L))));
        assertEquals(0, mfs.choose(g.free(Map.of(0, 30L, 1, 30L, 2, 20L))));
    }

    @Test
    void mostFreeSpaceKeepsAMeasurementForItsInterval() {
        MostFreeSpace mfs = new MostFreeSpace(60);
        Given g = Given.of(List.of(0, 1), Map.of());
        assertEquals(1, mfs.choose(g.free(Map.of(0, 10L, 1, 30L))));
        assertEquals(1, mfs.choose(g.free(Map.of(0, 50L, 1, 30L))), "within 60 s the first figures stand");
    }

    @Test
    void mfsrrIsMostFreeSpaceAboveTheThresholdAndRoundRobinBelow() {
        MostFreeSpaceRoundRobin p = new MostFreeSpaceRoundRobin(100, 0);
        Given roomy = Given.of(List.of(0, 1), Map.of()).free(Map.of(0, 150L, 1, 500L));
        assertEquals(List.of(1, 1), List.of(p.choose(roomy), p.choose(roomy)));
        Given tight = roomy.free(Map.of(0, 50L, 1, 90L));
        int first = p.choose(tight);
        assertEquals(1 - first, p.choose(tight));
        assertEquals(first, p.choose(tight));
    }

    @Test
    void parentMostFreeSpaceChoosesAmongTheBranchesHoldingTheParent() {
        ParentMostFreeSpace p = new ParentMostFreeSpace(0);
        Given g = Given.of(List.of(0, 1, 2), Map.of(0, 2, 2, 2)).free(Map.of(0, 10L, 1, 1000L, 2, 20L));
        assertEquals(2, p.choose(g));
    }

    @Test
    void bottomUpParentTakesTheNearestBranchAboveTheSourceHoldingTheParent() {
        BottomUpParent bup = new BottomUpParent();
        assertEquals(1, bup.choose(Given.of(List.of(0, 1, 2), Map.of(0, 2, 1, 2)).from(3)));
        assertEquals(0, bup.choose(Given.of(List.of(0, 1, 2), Map.of(0, 2)).from(3)));
    }

    @Test
    void bottomUpTakesTheNearestBranchAboveTheSource() {
        assertEquals(2, new BottomUp().choose(Given.of(List.of(0, 1, 2), Map.of(0, 2)).from(3)));
    }

    @Test
    void optionValuesParseToTheirPolicies() {
        assertEquals("tdp", WritePolicies.parseCreate("top-down-parent").spec());
        assertEquals("rr", WritePolicies.parseCreate("rr").spec());
        assertEquals("mfs:30", WritePolicies.parseCreate("mfs:30").spec());
        assertEquals("mfsrr:" + (512L << 20), WritePolicies.parseCreate("mfsrr:512m").spec());
        assertEquals("mfsrr:1073741824:5", WritePolicies.parseCreate("mfsrr:1G:5").spec());
        assertEquals("pmfs", WritePolicies.parseCreate("pmfs").spec());
        assertEquals("bup", WritePolicies.parseCopyUp("bottom-up-parent").spec());
        assertEquals("bu", WritePolicies.parseCopyUp("bu").spec());
    }

    @Test
    void badValuesAreRefusedNamingTheOption() {
        for (String bad : List.of("fastest", "mfsrr", "mfsrr:lots", "mfs:-1", "rr:3", "mfs:1:2")) {
            var e = assertThrows(IllegalArgumentException.class, () -> WritePolicies.parseCreate(bad));
            assertTrue(e.getMessage().startsWith("bad create=" + bad + ":"), e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> WritePolicies.parseCopyUp("rr"));
        assertTrue(e.getMessage().startsWith("bad cpup=rr:"), e.getMessage());
    }
}
