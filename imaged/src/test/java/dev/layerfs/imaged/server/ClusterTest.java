package dev.layerfs.imaged.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.imaged.cluster.RaftNode;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.testing.ImagedProcess;
import dev.layerfs.imaged.testing.ProcessCluster;
import dev.layerfs.imaged.testing.RegistryClient;
import dev.layerfs.imaged.testing.RegistryClient.Image;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Three imaged processes on loopback: replication of metadata and blobs, leader loss, catch-up. */
class ClusterTest {

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path dir;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static boolean holds(ImagedProcess node, Digest digest) {
        return Files.isRegularFile(node.data().resolve("blobs").resolve(digest.relativePath()));
    }

    private static void assertPullable(ImagedProcess node, Image image) throws IOException {
        RegistryClient c = node.client();
        HttpResponse<byte[]> m = c.get("/v2/" + image.repo() + "/manifests/" + image.tag());
        assertEquals(200, m.statusCode(), image.tag() + " from " + node.id());
        assertArrayEquals(image.manifest(), m.body(), image.tag() + " manifest from " + node.id());
        assertArrayEquals(image.layer(), c.get("/v2/" + image.repo() + "/blobs/" + Digest.of(image.layer())).body(),
                image.tag() + " layer from " + node.id());
        assertArrayEquals(image.config(), c.get("/v2/" + image.repo() + "/blobs/" + Digest.of(image.config())).body(),
                image.tag() + " config from " + node.id());
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void pushToOneNodePullsByteIdenticalFromTheOthers() throws Exception {
        // Replication factor 2 of 3 nodes: one node lacks each blob and must fetch it when asked.
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, List.of("--replication", "2")).start()) {
            ImagedProcess n1 = cluster.node(0);
            ImagedProcess n2 = cluster.node(1);
            ImagedProcess n3 = cluster.node(2);
            Image image = n1.client().pushImage("lib/app", "v1", random(300_000, 1));
            Digest layer = Digest.of(image.layer());
            List<ImagedProcess> holders = cluster.nodes().stream().filter(n -> holds(n, layer)).toList();
            assertEquals(2, holders.size(), "an acknowledged blob is durable on a majority (and the factor is 2)");
            ImagedProcess lacking = cluster.nodes().stream().filter(n -> !holds(n, layer)).findFirst().orElseThrow();

            assertPullable(lacking, image);
            assertTrue(holds(lacking, layer), lacking.id() + " fetched the blob from a holder to serve it");
            assertPullable(n2, image);
            assertPullable(n3, image);

            // A chunked upload started on n2 is continued on n3 and finished on n1 (same Location).
            byte[] blob = random(100_000, 2);
            String location = RegistryClient.headers(n2.client().send("POST", "/v2/lib/app/blobs/uploads/", null)).get("location");
            assertEquals(202, n3.client().send("PATCH", location, Arrays.copyOfRange(blob, 0, 60_000),
                    "Content-Range", "0-59999", "Content-Type", "application/octet-stream").statusCode());
            String finish = location + "?digest=" + Digest.of(blob);
            byte[] tail = Arrays.copyOfRange(blob, 60_000, blob.length);
            assertEquals(201, n1.client().send("PUT", finish, tail,
                    "Content-Range", "60000-99999", "Content-Type", "application/octet-stream").statusCode());
            assertArrayEquals(blob, n3.client().get("/v2/lib/app/blobs/" + Digest.of(blob)).body());
            // A final PUT retried after its answer was lost gets the same answer.
            assertEquals(201, n1.client().send("PUT", finish, tail,
                    "Content-Range", "60000-99999", "Content-Type", "application/octet-stream").statusCode());
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aNodeWhoseDiskIsWipedRejoinsAndItsBlobsAreReCopied() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, List.of("--replication", "2", "--repair-period-ms", "1000")).start()) {
            ImagedProcess leader = cluster.leader().orElseThrow();
            Image image = leader.client().pushImage("lib/app", "v1", random(50_000, 3));
            Digest layer = Digest.of(image.layer());
            // The push landed on the leader and one peer: wipe that peer, so one copy is really lost.
            ImagedProcess wiped = cluster.nodes().stream().filter(n -> n != leader && holds(n, layer)).findFirst().orElseThrow();

            wiped.kill9();
            try (Stream<Path> files = Files.walk(wiped.data())) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
            wiped.start().awaitHttp(Duration.ofSeconds(90));

            ImagedProcess.await(Duration.ofSeconds(60), wiped.id() + " to catch up as a new member",
                    () -> localTagsOf(wiped, "lib/app").contains("v1"));
            ImagedProcess.await(Duration.ofSeconds(60), "the layer back on 2 nodes",
                    () -> cluster.nodes().stream().filter(n -> holds(n, layer)).count() >= 2);
            assertPullable(wiped, image);
        }
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void aWipedNodeGetsHundredsOfBlobsBackWithinOneRepairPeriod() throws Exception {
        // Factor 3 of 3: every blob is on every node, so a wiped node lacks all of them. 250 is more
        // than a repair round takes from the metadata at once (100): a round must not stop there.
        int period = 20_000;
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, List.of("--replication", "3",
                "--repair-period-ms", String.valueOf(period))).start()) {
            ImagedProcess leader = cluster.leader().orElseThrow();
            List<Digest> blobs = new ArrayList<>();
            ExecutorService pushers = Executors.newFixedThreadPool(8);
            try {
                List<Future<Integer>> pushes = new ArrayList<>();
                for (int i = 0; i < 250; i++) {
                    byte[] blob = random(1_024, 1_000 + i);
                    blobs.add(Digest.of(blob));
                    pushes.add(pushers.submit(() -> leader.client().pushBlob("lib/many", blob)));
                }
                for (Future<Integer> p : pushes) {
                    assertEquals(201, p.get(120, TimeUnit.SECONDS));
                }
            } finally {
                pushers.shutdownNow();
            }
            ImagedProcess wiped = cluster.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
            assertTrue(blobs.stream().allMatch(d -> holds(wiped, d)), "factor 3: every node held every blob");

            wiped.kill9();
            try (Stream<Path> files = Files.walk(wiped.data())) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
            wiped.start().awaitHttp(Duration.ofSeconds(90));
            // One period for the leader's next round, plus the round itself; rounds of 100 blobs
            // each a period apart would need three periods.
            ImagedProcess.await(Duration.ofMillis(period + 15_000), "all 250 blobs back on " + wiped.id(),
                    () -> blobs.stream().allMatch(d -> holds(wiped, d)));
        }
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void killingTheLeaderLosesNoAcknowledgedPushAndItCatchesUpFromASnapshot() throws Exception {
        List<String> args = List.of("--snapshot-threshold", "20", "--repair-period-ms", "1000");
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, args).start()) {
            ImagedProcess leader = cluster.leader().orElseThrow();
            List<Image> acked = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger failed = new AtomicInteger();
            AtomicBoolean killed = new AtomicBoolean();
            AtomicInteger sequence = new AtomicInteger();
            // Two pushers stream images at every node, round robin; the leader is killed mid-stream.
            Runnable pusher = () -> {
                while (acked.size() < 40) {
                    int n = sequence.incrementAndGet();
                    ImagedProcess target = cluster.nodes().get(n % 3);
                    if (killed.get() && target == leader) {
                        continue;
                    }
                    try {
                        acked.add(target.client().pushImage("lib/stream", "t" + n, random(20_000, n)));
                    } catch (IOException e) {
                        failed.incrementAndGet(); // not acknowledged: no promise was made
                    }
                }
            };
            ExecutorService pushers = Executors.newFixedThreadPool(2);
            try {
                Future<?> a = pushers.submit(pusher);
                Future<?> b = pushers.submit(pusher);
                ImagedProcess.await(Duration.ofSeconds(60), "the first pushes", () -> acked.size() >= 8);
                leader.kill9();
                killed.set(true);
                a.get(120, TimeUnit.SECONDS);
                b.get(120, TimeUnit.SECONDS);
            } finally {
                pushers.shutdownNow();
            }
            List<ImagedProcess> survivors = cluster.nodes().stream().filter(n -> n != leader).toList();
            for (ImagedProcess survivor : survivors) {
                for (Image image : acked) {
                    assertPullable(survivor, image);
                }
            }

            // Snapshots bound the log: each survivor keeps only a few snapshot files.
            for (ImagedProcess survivor : survivors) {
                Path sm = survivor.data().resolve("raft").resolve(RaftNode.GROUP_ID.getUuid().toString()).resolve("sm");
                try (Stream<Path> files = Files.list(sm)) {
                    long snapshots = files.filter(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+")).count();
                    assertTrue(snapshots >= 1 && snapshots <= 3, survivor.id() + " keeps " + snapshots + " snapshots");
                }
            }

            // The killed node restarts with its old directory and catches up through a snapshot install.
            leader.start().awaitHttp(Duration.ofSeconds(90));
            Set<String> want = new HashSet<>();
            acked.forEach(i -> want.add(i.tag()));
            ImagedProcess.await(Duration.ofSeconds(90), leader.id() + " to catch up", () -> localTags(leader).containsAll(want));
            assertTrue(leader.log().contains("installed snapshot from the leader"),
                    leader.id() + " needed the snapshot because the log it missed was purged");
            // Background repair brings every blob back to the replication factor (3) without a pull.
            ImagedProcess.await(Duration.ofSeconds(90), "re-replication to " + leader.id(),
                    () -> acked.stream().allMatch(i -> holds(leader, Digest.of(i.layer())) && holds(leader, Digest.of(i.config()))));
            for (Image image : acked) {
                assertPullable(leader, image);
            }
            System.out.println("acked " + acked.size() + " pushes, " + failed.get() + " failed around the leader kill");
        }
    }

    private static Set<String> localTags(ImagedProcess node) {
        return localTagsOf(node, "lib/stream");
    }

    /** The tags a node's own state machine holds (a local read, not through the leader). */
    private static Set<String> localTagsOf(ImagedProcess node, String repo) {
        try {
            HttpResponse<byte[]> r = node.client().get("/v2/" + repo + "/tags/list", "Imaged-Consistency", "local");
            if (r.statusCode() != 200) {
                return Set.of();
            }
            JsonNode tags = Json.MAPPER.readTree(r.body()).get("tags");
            Set<String> found = new HashSet<>();
            tags.forEach(t -> found.add(t.asText()));
            return found;
        } catch (IOException e) {
            return Set.of();
        }
    }
}
