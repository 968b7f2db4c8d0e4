package dev.layerfs.imaged.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.imaged.testing.ImagedProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * Repeated start-ups of fresh 3-node clusters, to catch a start-up livelock (a follower that
 * never catches up while the leader logs INCONSISTENCY replies). Not a test: run it by hand,
 * ideally inside a CPU-starved cgroup so that elections flap, with the Ratis version under test
 * on the class path (the node JVMs inherit it):
 * <pre>
 * java -cp imaged/target/test-classes:imaged/target/classes:$(cat cp.txt) \
 *     dev.layerfs.imaged.bench.FreshStartups ROUNDS TIMEOUT_SECONDS WORK_DIR
 * </pre>
 * Prints one line per round: formed (seconds to a leader with every node registered on every
 * node) or STUCK, and the INCONSISTENCY warnings each node logged; then a summary line.
 */
public final class FreshStartups {

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        Duration timeout = Duration.ofSeconds(Long.parseLong(args[1]));
        Path work = Files.createDirectories(Path.of(args[2]));
        int stuck = 0;
        for (int round = 1; round <= rounds; round++) {
            Path dir = Files.createDirectories(work.resolve("round-" + round));
            List<ImagedProcess> nodes = new ArrayList<>();
            StringJoiner peers = new StringJoiner(",");
            for (int i = 1; i <= 3; i++) {
                peers.add("n" + i + "=127.0.0.1:" + ImagedProcess.freePort());
            }
            Instant start = Instant.now();
            String outcome;
            Thread cleanup = new Thread(() -> nodes.forEach(FreshStartups::closeQuietly));
            Runtime.getRuntime().addShutdownHook(cleanup);
            try {
                for (int i = 1; i <= 3; i++) {
                    nodes.add(new ImagedProcess("n" + i, peers.toString(), ImagedProcess.freePort(), dir.resolve("n" + i), List.of()).start());
                }
                Instant deadline = start.plus(timeout);
                while (!formed(nodes) && Instant.now().isBefore(deadline)) {
                    Thread.sleep(500);
                }
                if (formed(nodes)) {
                    outcome = "formed in " + Duration.between(start, Instant.now()).toSeconds() + " s";
                } else {
                    stuck++;
                    outcome = "STUCK after " + timeout.toSeconds() + " s (registered: " + registered(nodes) + ")";
                }
            } finally {
                nodes.forEach(FreshStartups::closeQuietly);
                Runtime.getRuntime().removeShutdownHook(cleanup);
            }
            StringJoiner inconsistency = new StringJoiner(", ");
            for (ImagedProcess n : nodes) {
                long count = n.log().lines().filter(l -> l.contains("INCONSISTENCY")).count();
                inconsistency.add(n.id() + "=" + count);
            }
            System.out.println("round " + round + ": " + outcome + "; INCONSISTENCY warnings " + inconsistency);
        }
        System.out.println("summary: " + stuck + " of " + rounds + " fresh start-ups stuck (Ratis "
                + org.apache.ratis.server.RaftServer.class.getPackage().getImplementationVersion() + ")");
    }

    private static void closeQuietly(ImagedProcess n) {
        try {
            n.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean formed(List<ImagedProcess> nodes) {
        return nodes.stream().anyMatch(ImagedProcess::isLeader) && nodes.stream().allMatch(n -> nodesKnown(n) == 3);
    }

    private static String registered(List<ImagedProcess> nodes) {
        StringJoiner s = new StringJoiner(", ");
        nodes.forEach(n -> s.add(n.id() + " knows " + nodesKnown(n)));
        return s.toString();
    }

    private static int nodesKnown(ImagedProcess n) {
        try {
            JsonNode s = n.status();
            return s.path("metadata").path("nodes").asInt(-1);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
