package dev.layerfs.imaged.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.StringJoiner;

/** Three (or n) imaged processes on loopback forming one Raft group. Close kills them all. */
public final class ProcessCluster implements AutoCloseable {

    private final List<ImagedProcess> nodes = new ArrayList<>();

    public ProcessCluster(Path dir, int size, List<String> extraArgs) {
        StringJoiner peers = new StringJoiner(",");
        for (int i = 1; i <= size; i++) {
            peers.add("n" + i + "=127.0.0.1:" + ImagedProcess.freePort());
        }
        for (int i = 1; i <= size; i++) {
            nodes.add(new ImagedProcess("n" + i, peers.toString(), ImagedProcess.freePort(), dir.resolve("n" + i), extraArgs));
        }
    }

    /** Starts every node and waits for a formed cluster; on failure kills what it started. */
    public ProcessCluster start() throws IOException {
        try {
            for (ImagedProcess n : nodes) {
                n.start();
            }
            for (ImagedProcess n : nodes) {
                n.awaitHttp(Duration.ofSeconds(90));
            }
            // Ready when there is a leader and every node has registered its HTTP address everywhere.
            ImagedProcess.await(Duration.ofSeconds(90), "a leader and all nodes registered", () ->
                    leader().isPresent() && nodes.stream().allMatch(n -> registeredNodes(n) == nodes.size()));
            return this;
        } catch (IOException | RuntimeException | Error e) {
            // try-with-resources never closes a cluster whose start() threw: do it here.
            try {
                close();
            } catch (Exception closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    private static int registeredNodes(ImagedProcess n) {
        try {
            return n.status().get("metadata").get("nodes").asInt();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    public List<ImagedProcess> nodes() {
        return nodes;
    }

    public ImagedProcess node(int i) {
        return nodes.get(i);
    }

    public Optional<ImagedProcess> leader() {
        return nodes.stream().filter(ImagedProcess::isLeader).findFirst();
    }

    @Override
    public void close() throws InterruptedException {
        for (ImagedProcess n : nodes) {
            n.close();
        }
    }
}
