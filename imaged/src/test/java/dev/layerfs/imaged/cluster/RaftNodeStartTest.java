package dev.layerfs.imaged.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.testing.FreePorts;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A node alone (the one-node default) leads right after it starts, on fresh and on recovered storage. */
class RaftNodeStartTest {

    /** The configured minimum election timeout: what every start used to wait before serving. */
    private static final long ELECTION_TIMEOUT_MIN_MILLIS = 1000;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aNodeAloneLeadsBeforeAnElectionTimeoutAfterEachStart() throws Exception {
        ClusterSpec spec = ClusterSpec.parse("n1", "n1=127.0.0.1:" + FreePorts.next());
        for (String start : new String[] {"fresh storage", "recovered storage"}) {
            try (RaftNode node = new RaftNode(spec, dir.resolve("raft"), RaftTuning.DEFAULT, false)) {
                long t0 = System.nanoTime();
                node.start();
                while (!node.isLeader()) {
                    Thread.sleep(5);
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(millis < ELECTION_TIMEOUT_MIN_MILLIS,
                        "with " + start + " the node led after " + millis + " ms, not before the "
                                + ELECTION_TIMEOUT_MIN_MILLIS + " ms election timeout");
            }
        }
    }
}
