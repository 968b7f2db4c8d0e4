package dev.layerfs.imaged.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.faults.Op.Kind;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.testing.ImagedProcess;
import dev.layerfs.imaged.testing.ProcessCluster;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of one imaged process while it is in the middle of monolithic and chunked blob uploads,
 * manifest puts and (with a snapshot every 40 entries) snapshots; first the leader, then a
 * follower. After the restart: no partial or corrupt blob is visible, on disk or through the API;
 * every acknowledged write is there; the node rejoins (same state as its peers, takes writes).
 * Runs on loopback, no root needed; part of the {@code faults} group.
 */
@Tag("faults")
class NodeCrashTest {

    private static final long SEED = FaultRun.property("faults.seed").map(Long::parseLong).orElse(20261122L);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void nodeKilledMidUploadsAndManifestPutsKeepsEveryAcknowledgedWriteShowsNoPartialBlobAndRejoins() throws Exception {
        // Started inside the try: a cluster that fails to form is still killed by close.
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, List.of("--snapshot-threshold", "40", "--repair-period-ms", "2000"))) {
            cluster.start();
            History history = new History();
            Random random = new Random(SEED);
            ImagedProcess leader = cluster.leader().orElseThrow();
            crashUnderLoad(cluster, leader, history, random, "leader");
            ImagedProcess follower = cluster.nodes().stream().filter(n -> !n.isLeader()).findFirst().orElseThrow();
            crashUnderLoad(cluster, follower, history, random, "follower");
            history.dump(dir.resolve("history.jsonl"));
        }
    }

    private void crashUnderLoad(ProcessCluster cluster, ImagedProcess victim, History history, Random random, String role)
            throws Exception {
        Endpoint target = new Endpoint(victim.id(), victim.httpAddress());
        AtomicBoolean stop = new AtomicBoolean();
        List<String> tags = List.of(role + "-a", role + "-b");
        List<Thread> loaders = List.of(
                loader(new RegistryOps(history, 0, Duration.ofSeconds(30)), "monolithic", stop, random.nextLong(),
                        (ops, r) -> ops.pushBlob(target, bytes(r, (256 << 10) + r.nextInt(1 << 20)))),
                loader(new RegistryOps(history, 1, Duration.ofSeconds(30)), "chunked", stop, random.nextLong(),
                        (ops, r) -> ops.pushBlobChunked(target, bytes(r, (1 << 20) + r.nextInt(2 << 20)), 4)),
                loader(new RegistryOps(history, 2, Duration.ofSeconds(30)), "manifests", stop, random.nextLong(),
                        (ops, r) -> putTag(ops, target, r, tags.get(r.nextInt(tags.size())))));
        loaders.forEach(Thread::start);
        // Kill only once writes through the victim are being acknowledged: on a loaded machine
        // the first acknowledgement can take longer than any fixed sleep.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (history.ops().stream().filter(op -> op.node().equals(victim.id()) && op.ok()).count() < 3
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        Thread.sleep(500 + random.nextInt(2000));
        long killedAt = history.now();
        victim.kill9();
        Thread.sleep(1000);
        stop.set(true);
        for (Thread t : loaders) {
            t.join(TimeUnit.SECONDS.toMillis(90));
            assertTrue(!t.isAlive(), "loader " + t.getName() + " stopped");
        }
        List<Op> mine = history.ops().stream().filter(op -> op.node().equals(victim.id())).toList();
        assertTrue(mine.stream().anyMatch(op -> op.ok() && op.end() < killedAt), "writes were acknowledged before the kill of the " + role);
        assertTrue(mine.stream().anyMatch(op -> op.start() < killedAt && op.end() > killedAt),
                "a write was in flight when the " + role + " " + victim.id() + " was killed");

        System.out.printf("kill -9 of the %s %s at %s: %d operations through it, %d acknowledged before, %d in flight%n",
                role, victim.id(), HistoryChecker.ms(killedAt), mine.size(),
                mine.stream().filter(op -> op.ok() && op.end() < killedAt).count(),
                mine.stream().filter(op -> op.start() < killedAt && op.end() > killedAt).count());

        victim.start().awaitHttp(Duration.ofSeconds(120));

        assertEquals(List.of(), misnamedBlobFiles(victim.data().resolve("blobs")),
                "blob files on " + victim.id() + " whose content does not match their name (partial or corrupt)");
        assertRejoins(cluster, victim);
        checkBlobs(victim, history.ops(), role);
        HistoryChecker checker = new HistoryChecker(history.ops());
        for (String tag : tags) {
            String value = readTag(victim, tag);
            checker.checkFinal(tag, value).ifPresent(problem -> {
                throw new AssertionError("after restarting the " + role + " " + victim.id() + ": " + problem);
            });
        }
        RegistryOps prober = new RegistryOps(history, 9, Duration.ofSeconds(20));
        Op probe = null;
        for (int i = 0; i < 30 && (probe == null || !probe.ok()); i++) {
            probe = prober.pushBlob(target, bytes(random, 4096));
            if (!probe.ok()) {
                Thread.sleep(1000);
            }
        }
        assertTrue(probe.ok(), victim.id() + " takes writes again after its restart: " + probe.error());
    }

    private interface Step {
        Op run(RegistryOps ops, Random random);
    }

    private static Thread loader(RegistryOps ops, String name, AtomicBoolean stop, long seed, Step step) {
        Thread t = new Thread(() -> {
            Random random = new Random(seed);
            for (int i = 0; i < 10_000 && !stop.get(); i++) {
                if (!step.run(ops, random).ok()) {
                    sleepQuietly(200);
                }
            }
        }, "load-" + name);
        t.setDaemon(true);
        return t;
    }

    /** One tag move: a layer, a config carrying the sequence number, then the manifest. */
    private static Op putTag(RegistryOps ops, Endpoint target, Random random, String tag) {
        byte[] layer = bytes(random, 2048);
        Op pushed = ops.pushBlob(target, layer);
        if (!pushed.ok()) {
            return pushed;
        }
        long seq = random.nextLong() & Long.MAX_VALUE;
        byte[] config = RegistryOps.config(tag, seq);
        Op configPushed = ops.pushBlob(target, config);
        if (!configPushed.ok()) {
            return configPushed;
        }
        return ops.putTag(target, tag, seq, RegistryOps.manifest(config, Digest.of(layer).toString(), layer.length, tag, seq));
    }

    /** Every regular file under sha256/ must hash to its own name: a partial blob is never published. */
    private static List<String> misnamedBlobFiles(Path blobs) throws IOException {
        List<String> bad = new ArrayList<>();
        Path root = blobs.resolve("sha256");
        if (!Files.isDirectory(root)) {
            return bad;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                try (InputStream in = Files.newInputStream(f)) {
                    String actual = Digest.of(in).toString();
                    if (!actual.equals("sha256:" + f.getFileName())) {
                        bad.add(root.relativize(f) + " holds " + actual);
                    }
                }
            }
        }
        return bad;
    }

    private static void assertRejoins(ProcessCluster cluster, ImagedProcess victim) {
        FaultCluster.await(Duration.ofSeconds(120), victim.id() + " catching up with its peers' state", () -> {
            Set<String> digests = new TreeSet<>();
            for (ImagedProcess n : cluster.nodes()) {
                Optional<NodeView> v = NodeView.of(new Endpoint(n.id(), n.httpAddress()), RegistryOps.REPO);
                if (v.isEmpty()) {
                    return false;
                }
                digests.add(v.get().digest());
            }
            return digests.size() == 1;
        });
    }

    /** Acknowledged blobs are served whole; indeterminate ones are served whole or not at all. */
    private static void checkBlobs(ImagedProcess victim, List<Op> ops, String role) throws IOException {
        Set<String> acked = new TreeSet<>();
        Set<String> attempted = new TreeSet<>();
        for (Op op : ops) {
            if (op.kind() == Kind.PUSH_BLOB) {
                attempted.add(op.key());
                if (op.ok()) {
                    acked.add(op.key());
                }
            }
        }
        for (String digest : attempted) {
            HttpResponse<byte[]> r = victim.client().get("/v2/" + RegistryOps.REPO + "/blobs/" + digest);
            if (acked.contains(digest)) {
                assertEquals(200, r.statusCode(), "acknowledged blob " + digest + " from " + victim.id()
                        + " after the " + role + " restarted: " + new String(r.body()));
            }
            if (r.statusCode() == 200) {
                assertEquals(digest, Digest.of(r.body()).toString(), "blob " + digest + " served by " + victim.id());
            }
        }
    }

    private static String readTag(ImagedProcess node, String tag) throws IOException {
        HttpResponse<byte[]> r = node.client().get("/v2/" + RegistryOps.REPO + "/manifests/" + tag);
        if (r.statusCode() == 404) {
            return "";
        }
        assertEquals(200, r.statusCode(), "read of tag " + tag + " from " + node.id() + ": " + new String(r.body()));
        return Digest.of(r.body()).toString();
    }

    private static byte[] bytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
