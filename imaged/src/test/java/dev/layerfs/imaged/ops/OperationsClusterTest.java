package dev.layerfs.imaged.ops;

import static dev.layerfs.imaged.ops.OpsTesting.assertPullable;
import static dev.layerfs.imaged.ops.OpsTesting.call;
import static dev.layerfs.imaged.ops.OpsTesting.holds;
import static dev.layerfs.imaged.ops.OpsTesting.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.testing.ImagedProcess;
import dev.layerfs.imaged.testing.ProcessCluster;
import dev.layerfs.imaged.testing.RegistryClient;
import dev.layerfs.imaged.testing.RegistryClient.Image;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Garbage collection, leases, metrics and the status page on one live three-node cluster
 * (started once for the class: each test leaves the cluster usable for the next).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class OperationsClusterTest {

    private static final long GRACE_MS = 5000;

    private Path dir;
    private ProcessCluster cluster;

    @BeforeAll
    void startCluster() throws IOException {
        dir = Files.createTempDirectory("imaged-ops");
        cluster = new ProcessCluster(dir, 3, List.of("--gc-grace-ms", String.valueOf(GRACE_MS), "--sweep-period-ms", "1000",
                "--repair-period-ms", "1000"));
        try {
            cluster.start();
        } catch (RuntimeException | Error | IOException e) {
            closeCluster();
            throw e;
        }
    }

    @AfterAll
    void closeCluster() throws IOException {
        try {
            cluster.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.out.println("node logs under " + dir);
    }

    private ImagedProcess node(int i) {
        return cluster.node(i % 3);
    }

    @Test
    @Order(1)
    void garbageCollectionRacingWithPushesLosesNoReferencedBlobAndFreesTheDiskOnEveryNode() throws Exception {
        ImagedProcess n1 = node(0);
        Image keep = n1.client().pushImage("keep", "v1", random(30_000, 1));
        Image dropped = n1.client().pushImage("drop", "v1", random(30_000, 2));
        byte[] stray = random(20_000, 3);
        assertEquals(201, n1.client().pushBlob("drop", stray));
        String droppedManifest = Digest.of(dropped.manifest()).toString();
        assertEquals(202, n1.client().send("DELETE", "/v2/drop/manifests/" + droppedManifest, null).statusCode());
        List<Digest> garbage = List.of(Digest.of(dropped.layer()), Digest.of(stray));
        Thread.sleep(GRACE_MS + 1000); // the garbage is now older than the grace period

        JsonNode plan = call(node(1), "POST", "/gc?dryRun=true", 200);
        List<String> planned = new ArrayList<>();
        plan.get("blobs").forEach(b -> planned.add(b.get("digest").asText()));
        assertTrue(planned.containsAll(garbage.stream().map(Digest::toString).toList()), "dry run lists " + planned);
        assertTrue(holds(n1, Digest.of(stray)), "a dry run deletes nothing");
        assertEquals(200, n1.client().send("HEAD", "/v2/drop/blobs/" + Digest.of(stray), null).statusCode());

        // Pushers stream images at every node while collections run on every node.
        List<Image> acked = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger refused = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger seq = new AtomicInteger();
        Runnable pusher = () -> {
            while (!stop.get()) {
                int n = seq.incrementAndGet();
                try {
                    acked.add(node(n).client().pushImage("race", "t" + n, random(15_000, 100 + n)));
                } catch (IOException e) {
                    refused.incrementAndGet();
                }
            }
        };
        CompletableFuture<Void> a = CompletableFuture.runAsync(pusher);
        CompletableFuture<Void> b = CompletableFuture.runAsync(pusher);
        int removed = 0;
        try {
            for (int round = 0; round < 6; round++) {
                removed += call(node(round), "POST", "/gc", 200).get("blobs").size();
                Thread.sleep(700);
            }
        } finally {
            stop.set(true);
            a.get(120, TimeUnit.SECONDS);
            b.get(120, TimeUnit.SECONDS);
        }
        assertTrue(removed >= 2, "the collections removed the garbage (" + removed + " blobs)");
        assertTrue(acked.size() >= 3, "pushes went on during the collections: " + acked.size() + " acked, " + refused.get() + " refused");

        for (ImagedProcess n : cluster.nodes()) {
            assertPullable(n, keep);
            for (Image i : acked) {
                assertPullable(n, i);
            }
        }
        ImagedProcess.await(Duration.ofSeconds(60), "the garbage files gone from every node", () ->
                garbage.stream().noneMatch(d -> cluster.nodes().stream().anyMatch(n -> holds(n, d))));
        assertEquals(404, node(2).client().send("HEAD", "/v2/drop/blobs/" + Digest.of(stray), null).statusCode());
        assertTrue(cluster.nodes().stream().allMatch(n -> holds(n, Digest.of(keep.layer()))), "referenced blobs stay on their holders");

        // Untagged manifests go on request: v2 replaces v1 under one tag, and v1's layer goes with it.
        Image old = n1.client().pushImage("retag", "latest", random(10_000, 7));
        Image current = n1.client().pushImage("retag", "latest", random(10_000, 8));
        JsonNode r = call(node(1), "POST", "/gc?untagged=true&graceMs=0", 200);
        assertTrue(r.get("manifests").toString().contains(Digest.of(old.manifest()).toString()), r.toString());
        assertEquals(404, n1.client().get("/v2/retag/manifests/" + Digest.of(old.manifest())).statusCode());
        assertPullable(node(2), current);
        System.out.println("gc race: " + acked.size() + " pushes acked, " + refused.get() + " refused, " + removed + " blobs collected");
    }

    @Test
    @Order(2)
    void twoHoldersRacingForOneLeaseGetOneGrantAndTheLoserOfTheOldGrantIsRefusedByToken() throws Exception {
        String path = "/leases/ct.web";
        CompletableFuture<HttpResponse<byte[]>> a = CompletableFuture.supplyAsync(() -> send(node(0), "POST", path + "?holder=host-a&ttlMs=3000"));
        CompletableFuture<HttpResponse<byte[]>> b = CompletableFuture.supplyAsync(() -> send(node(1), "POST", path + "?holder=host-b&ttlMs=3000"));
        HttpResponse<byte[]> ra = a.get(60, TimeUnit.SECONDS);
        HttpResponse<byte[]> rb = b.get(60, TimeUnit.SECONDS);
        assertEquals(1, (ra.statusCode() == 200 ? 1 : 0) + (rb.statusCode() == 200 ? 1 : 0),
                "exactly one grant: " + ra.statusCode() + " " + rb.statusCode());
        boolean aWon = ra.statusCode() == 200;
        HttpResponse<byte[]> lostAnswer = aWon ? rb : ra;
        assertEquals(403, lostAnswer.statusCode());
        assertTrue(new String(lostAnswer.body(), StandardCharsets.UTF_8).contains("DENIED"));
        JsonNode first = Json.MAPPER.readTree((aWon ? ra : rb).body());
        String loser = aWon ? "host-b" : "host-a";
        ImagedProcess loserNode = aWon ? node(1) : node(0);

        // The winner stops renewing (a paused or cut-off host); once the grant lapses the loser gets it.
        JsonNode second = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (second == null && System.nanoTime() < deadline) {
            HttpResponse<byte[]> r = send(loserNode, "POST", path + "?holder=" + loser + "&ttlMs=60000");
            if (r.statusCode() == 200) {
                second = Json.MAPPER.readTree(r.body());
            } else {
                assertEquals(403, r.statusCode());
                Thread.sleep(500);
            }
        }
        assertNotNull(second, loser + " got the lease after it lapsed");
        assertTrue(second.get("token").asLong() > first.get("token").asLong(), "tokens grow with every grant: " + first + " then " + second);

        long stale = first.get("token").asLong();
        assertEquals(403, send(node(2), "POST", path + "/check?token=" + stale).statusCode(), "the former holder is refused by token");
        assertEquals(403, send(node(2), "PUT", path + "?token=" + stale + "&ttlMs=3000").statusCode());
        assertEquals(403, send(node(2), "DELETE", path + "?token=" + stale).statusCode());
        assertEquals(200, send(node(2), "POST", path + "/check?token=" + second.get("token").asLong()).statusCode());
        assertEquals(loser, call(node(0), "GET", path, 200).get("holder").asText());
        assertEquals(204, send(node(1), "DELETE", path + "?token=" + second.get("token").asLong()).statusCode());
        assertEquals(404, send(node(2), "GET", path, null).statusCode());
    }

    @Test
    @Order(3)
    void metricsAreScrapedInPrometheusTextFormat() throws Exception {
        node(0).client().pushImage("metrics", "v1", random(5_000, 9));
        int leaders = 0;
        long manifestRequests = 0;
        for (ImagedProcess n : cluster.nodes()) {
            HttpResponse<byte[]> r = n.client().get("/metrics");
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain; version=0.0.4"));
            String text = new String(r.body(), StandardCharsets.UTF_8);
            Map<String, Double> m = parse(text);
            leaders += m.get("imaged_raft_is_leader").intValue();
            assertTrue(m.get("imaged_raft_term") >= 1, n.id() + " term");
            assertTrue(m.get("imaged_raft_applied_index") > 0, n.id() + " applied index");
            assertTrue(m.get("imaged_blob_bytes_stored") > 0, n.id() + " stores blobs");
            assertTrue(m.containsKey("imaged_replication_under_replicated_blobs"));
            assertTrue(m.containsKey("imaged_raft_leader_changes_total"));
            Matcher mm = Pattern.compile("imaged_http_requests_total\\{[^}]*area=\"manifests\"[^}]*} (\\d+)").matcher(text);
            while (mm.find()) {
                manifestRequests += Long.parseLong(mm.group(1));
            }
            assertTrue(text.contains("# TYPE imaged_http_requests_total counter"));
        }
        assertEquals(1, leaders, "one node reports itself leader");
        assertTrue(manifestRequests > 0, "manifest requests were counted");
    }

    @Test
    @Order(4)
    void theStatusPageDrawsTheLiveClusterInAHeadlessBrowser() throws Exception {
        String chromium = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser").stream()
                .filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse(null);
        Assumptions.assumeTrue(chromium != null,
                "SKIPPED LOUDLY: chromium is not installed (apt-get install -y chromium); the status page was not rendered");
        HttpResponse<byte[]> page = node(1).client().get("/ui");
        assertEquals(200, page.statusCode());
        assertTrue(new String(page.body(), StandardCharsets.UTF_8).contains("<script>"), "self-contained page");
        String url = "http://" + node(1).httpAddress() + "/ui";
        String leader = cluster.leader().orElseThrow().id();

        String dom = chromium(chromium, "--dump-dom", url);
        for (ImagedProcess n : cluster.nodes()) {
            assertTrue(dom.contains("data-node=\"" + n.id() + "\""), "the page draws node " + n.id() + ":\n" + dom);
        }
        Matcher leaders = Pattern.compile("data-node=\"([^\"]+)\" data-role=\"LEADER\"").matcher(dom);
        assertTrue(leaders.find(), "the page marks a leader");
        assertEquals(leader, leaders.group(1));
        assertTrue(!leaders.find(), "only one leader");
        assertTrue(dom.contains("keep") && dom.contains("replicas"), "images and replica counts are listed");

        Path shot = Path.of("target", "ui-cluster.png").toAbsolutePath();
        Files.deleteIfExists(shot);
        chromium(chromium, "--screenshot=" + shot, url);
        assertTrue(Files.size(shot) > 10_000, "screenshot written to " + shot);
        System.out.println("status page screenshot: " + shot);
    }

    private static String chromium(String binary, String mode, String url) throws Exception {
        Path profile = Files.createTempDirectory("chromium-profile");
        Path out = Files.createTempFile("chromium", ".out");
        Process p = new ProcessBuilder(binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--window-size=1200,900", "--virtual-time-budget=5000", mode, url)
                .redirectErrorStream(false).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium finished");
            return Files.readString(out);
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Map<String, Double> parse(String text) {
        Map<String, Double> m = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String name = brace > 0 ? line.substring(0, brace) : line.substring(0, space);
            m.merge(name, Double.parseDouble(line.substring(space + 1)), Double::sum);
        }
        return m;
    }

    private static HttpResponse<byte[]> send(ImagedProcess node, String method, String path) {
        return send(node, method, path, null);
    }

    private static HttpResponse<byte[]> send(ImagedProcess node, String method, String path, byte[] body) {
        try {
            return node.client().send(method, path, body);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
