package dev.layerfs.imaged.faults;

import dev.layerfs.imaged.oci.Digest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Concurrent clients, each on its own thread with its own seeded random stream, sending every
 * operation to a randomly chosen node: push a small random blob, move a tag (push a fresh config
 * blob, then PUT a manifest naming it and one of this client's acknowledged layers), or read a tag.
 * Tags come from a small set, so they are overwritten concurrently by several clients.
 */
final class Workload {

    static final List<String> TAGS = List.of("t0", "t1", "t2", "t3");

    private final FaultCluster cluster;
    private final History history;
    private final long seed;
    private final int clients;
    private final Duration requestTimeout;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong sequence = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();

    Workload(FaultCluster cluster, History history, long seed, int clients, Duration requestTimeout) {
        this.cluster = cluster;
        this.history = history;
        this.seed = seed;
        this.clients = clients;
        this.requestTimeout = requestTimeout;
    }

    void start() {
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> run(client), "client-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Asks the clients to stop and waits for their in-flight requests (each bounded by its timeout). */
    void stop() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(requestTimeout.toMillis() * 3 + 5_000);
            if (t.isAlive()) {
                throw new AssertionError("client thread " + t.getName() + " did not stop");
            }
        }
    }

    /** A blob this client pushed and got acknowledged, usable as a layer of later manifests. */
    private record Layer(String digest, int size) {
    }

    private void run(int client) {
        Random random = new Random(seed * 1_000_003L + client);
        RegistryOps ops = new RegistryOps(history, client, requestTimeout);
        List<Layer> layers = new ArrayList<>();
        while (!stop.get()) {
            Endpoint node = cluster.node(random.nextInt(cluster.size())).endpoint();
            int dice = random.nextInt(100);
            if (layers.isEmpty() || dice < 30) {
                byte[] blob = new byte[512 + random.nextInt(16 << 10)];
                random.nextBytes(blob);
                if (ops.pushBlob(node, blob).ok()) {
                    layers.add(new Layer(Digest.of(blob).toString(), blob.length));
                }
            } else if (dice < 70) {
                String tag = TAGS.get(random.nextInt(TAGS.size()));
                long seq = sequence.incrementAndGet();
                byte[] config = RegistryOps.config(tag, seq);
                if (ops.pushBlob(node, config).ok()) {
                    Layer layer = layers.get(random.nextInt(layers.size()));
                    ops.putTag(node, tag, seq, RegistryOps.manifest(config, layer.digest(), layer.size(), tag, seq));
                }
            } else {
                ops.readTag(node, TAGS.get(random.nextInt(TAGS.size())));
            }
            pause(10 + random.nextInt(30));
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
