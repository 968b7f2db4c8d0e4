package dev.layerfs.imaged.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.cluster.RaftView;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class NodeLivenessTest {

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final NodeLiveness liveness = new NodeLiveness(5_000, now::get);

    private static RaftView leaderView(Map<String, Long> contact) {
        return new RaftView("n1", "LEADER", 3, "n1", 10, 10, Map.of("n1", "a:1", "n2", "a:2", "n3", "a:3"), contact, Map.of());
    }

    @Test
    void aFollowerSilentLongerThanTheTimeoutIsUnavailableAndComesBackWhenItAnswers() {
        liveness.observe(leaderView(Map.of("n2", 100L, "n3", 100L)), List.of("n1", "n2", "n3"));
        now.addAndGet(4_000);
        liveness.observe(leaderView(Map.of("n2", 50L, "n3", 4_100L)), List.of("n1", "n2", "n3"));
        assertTrue(liveness.unavailable().isEmpty(), "4.1 s of silence is within the 5 s timeout");

        now.addAndGet(2_000);
        liveness.observe(leaderView(Map.of("n2", 50L, "n3", 6_100L)), List.of("n1", "n2", "n3"));
        assertEquals(Set.of("n3"), liveness.unavailable());
        assertFalse(liveness.healthy("n3"));
        assertTrue(liveness.healthy("n2"));

        liveness.observe(leaderView(Map.of("n2", 50L, "n3", 10L)), List.of("n1", "n2", "n3"));
        assertTrue(liveness.unavailable().isEmpty(), "n3 answered again");
    }

    @Test
    void aRegisteredNodeTheLeaderNeverHeardFromCountsFromWhenItWasFirstNoticed() {
        liveness.observe(leaderView(Map.of("n2", 0L, "n3", 0L)), List.of("n1", "n2", "n3", "n9"));
        assertTrue(liveness.healthy("n9"));
        now.addAndGet(5_000);
        liveness.observe(leaderView(Map.of("n2", 0L, "n3", 0L)), List.of("n1", "n2", "n3", "n9"));
        assertEquals(Set.of("n9"), liveness.unavailable());
        liveness.forget("n9");
        assertTrue(liveness.unavailable().isEmpty());
    }

    @Test
    void onlyTheLeaderJudges() {
        liveness.observe(leaderView(Map.of("n2", 0L, "n3", 60_000L)), List.of("n1", "n2", "n3"));
        assertEquals(Set.of("n3"), liveness.unavailable());
        liveness.observe(new RaftView("n1", "FOLLOWER", 4, "n2", 10, 10, Map.of(), Map.of(), Map.of()), List.of("n1", "n2", "n3"));
        assertTrue(liveness.unavailable().isEmpty(), "a follower does not run repairs, so it declares nobody gone");
        assertEquals(-1, liveness.silenceMillis("n3"));
    }
}
