package dev.layerfs.imaged.faults;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.function.BooleanSupplier;

/**
 * n imaged processes, each in its own network namespace of a {@link FaultNet}, forming one Raft
 * group. Closing kills every process and removes the network; a JVM shutdown hook does the same
 * if the test JVM is stopped before close runs.
 */
final class FaultCluster implements AutoCloseable {

    private final FaultNet net;
    private final List<NodeProcess> nodes = new ArrayList<>();
    private final Thread cleanupHook = new Thread(this::closeQuietly, "fault-cluster-cleanup");

    FaultCluster(Path dir, int size, long seed, List<String> extraArgs) throws IOException {
        this.net = FaultNet.create(size, seed);
        Runtime.getRuntime().addShutdownHook(cleanupHook);
        StringJoiner peers = new StringJoiner(",");
        for (int i = 0; i < size; i++) {
            peers.add("n" + (i + 1) + "=" + net.address(i) + ":" + NodeProcess.RAFT_PORT);
        }
        for (int i = 0; i < size; i++) {
            nodes.add(new NodeProcess(i, net.address(i), net.inNamespace(i), peers.toString(),
                    dir.resolve("n" + (i + 1)), extraArgs));
        }
    }

    FaultNet net() {
        return net;
    }

    List<NodeProcess> nodes() {
        return nodes;
    }

    NodeProcess node(int i) {
        return nodes.get(i);
    }

    int size() {
        return nodes.size();
    }

    /** Starts every node and waits for a leader and for every node to have registered its address. */
    FaultCluster start(Duration timeout) throws IOException {
        for (NodeProcess n : nodes) {
            n.start();
        }
        try {
            await(timeout, "a leader and all " + nodes.size() + " nodes registered", () ->
                    leader().isPresent() && nodes.stream().allMatch(n -> n.status(Duration.ofSeconds(2))
                            .map(s -> s.path("metadata").path("nodes").asInt()).orElse(-1) == nodes.size()));
        } catch (AssertionError e) {
            StringBuilder why = new StringBuilder(e.getMessage()).append("; node states:");
            for (NodeProcess n : nodes) {
                why.append("\n  ").append(n.id()).append(": ")
                        .append(n.status(Duration.ofSeconds(2)).map(Object::toString).orElse("no answer"))
                        .append(" (log ").append(n.log()).append(")");
            }
            throw new AssertionError(why.toString(), e);
        }
        return this;
    }

    /** The node that says it leads; when a stale leader and a new one both claim it, the first found. */
    Optional<NodeProcess> leader() {
        return nodes.stream().filter(NodeProcess::claimsLeadership).findFirst();
    }

    static boolean await(Duration timeout, String what, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
        return true;
    }

    private void closeQuietly() {
        for (NodeProcess n : nodes) {
            try {
                n.close();
            } catch (InterruptedException | RuntimeException e) {
                System.err.println("faults: could not kill node " + n.id() + ": " + e);
            }
        }
        net.close();
    }

    @Override
    public void close() {
        closeQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupHook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down and the hook runs anyway
        }
    }
}
