package dev.layerfs.imaged.ops;

import static dev.layerfs.imaged.ops.OpsTesting.assertPullable;
import static dev.layerfs.imaged.ops.OpsTesting.call;
import static dev.layerfs.imaged.ops.OpsTesting.holds;
import static dev.layerfs.imaged.ops.OpsTesting.nodeIn;
import static dev.layerfs.imaged.ops.OpsTesting.random;
import static dev.layerfs.imaged.ops.OpsTesting.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.testing.ImagedProcess;
import dev.layerfs.imaged.testing.ProcessCluster;
import dev.layerfs.imaged.testing.RegistryClient.Image;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Adding and removing members under a light push load, one node at a time. */
class MembershipTest {

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void aJoinedNodeCatchesUpFromASnapshotAndARemovedNodesBlobsKeepTheirReplicationFactor() throws Exception {
        List<String> args = List.of("--replication", "3", "--repair-period-ms", "1000", "--snapshot-threshold", "20");
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, args).start()) {
            ImagedProcess n1 = cluster.node(0);
            ImagedProcess n2 = cluster.node(1);
            ImagedProcess n3 = cluster.node(2);
            List<Image> acked = Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < 12; i++) { // enough log for snapshots, so the new node needs one
                acked.add(cluster.node(i % 3).client().pushImage("lib/early", "e" + i, random(8_000, i)));
            }

            int raftPort = ImagedProcess.freePort();
            ImagedProcess n4 = new ImagedProcess("n4", n1.peers() + ",n4=127.0.0.1:" + raftPort, ImagedProcess.freePort(),
                    dir.resolve("n4"), concat(args, "--join"));
            try {
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger seq = new AtomicInteger();
                AtomicInteger refused = new AtomicInteger();
                List<ImagedProcess> targets = List.of(n2, n3);
                Runnable pusher = () -> {
                    while (!stop.get()) {
                        int n = seq.incrementAndGet();
                        try {
                            acked.add(targets.get(n % 2).client().pushImage("lib/load", "t" + n, random(8_000, 1000 + n)));
                        } catch (IOException e) {
                            refused.incrementAndGet();
                        }
                    }
                };
                CompletableFuture<Void> load = CompletableFuture.runAsync(pusher);
                try {
                    n4.start().awaitHttp(Duration.ofSeconds(90));
                    JsonNode waiting = call(n4, "GET", "/ready", 503); // serves HTTP, but belongs to no group yet
                    assertTrue(waiting.get("reason").asText().contains("not a member"), waiting.toString());
                    JsonNode added = call(n1, "POST", "/cluster/members?id=n4&address=127.0.0.1:" + raftPort, 200);
                    assertTrue(added.get("members").has("n4"), added.toString());

                    ImagedProcess.await(Duration.ofSeconds(90), "n4 to catch up and show as a healthy member", () -> {
                        JsonNode s = status(n2);
                        JsonNode n = s == null ? null : nodeIn(s, "n4");
                        return n != null && n.get("member").asBoolean() && n.get("healthy").asBoolean()
                                && localTags(n4, "lib/early").size() == 12;
                    });
                    assertTrue(n4.log().contains("installed snapshot from the leader"), "n4 caught up through a snapshot");
                    assertTrue(call(n4, "GET", "/ready", 200).get("ready").asBoolean());

                    JsonNode removed = call(n2, "DELETE", "/cluster/members/n1", 200);
                    assertEquals(List.of("n2", "n3", "n4"), fieldNames(removed.get("members")));
                } finally {
                    stop.set(true);
                    load.get(120, TimeUnit.SECONDS);
                }
                n1.stop();

                List<ImagedProcess> members = List.of(n2, n3, n4);
                ImagedProcess.await(Duration.ofSeconds(120), "every acked blob on all three remaining members", () ->
                        acked.stream().allMatch(i -> members.stream().allMatch(m -> holds(m, Digest.of(i.layer())) && holds(m, Digest.of(i.config())))));
                for (ImagedProcess m : members) {
                    for (Image i : acked) {
                        assertPullable(m, i);
                    }
                }
                JsonNode s = status(n3);
                assertNull(nodeIn(s, "n1"), "n1 is gone from the cluster: " + s.get("nodes"));
                assertEquals(3, s.get("nodes").size());
                ImagedProcess.await(Duration.ofSeconds(30), "nothing under-replicated", () ->
                        status(n3).get("replication").get("underReplicated").asInt() == 0);
                System.out.println("membership: " + acked.size() + " pushes acked, " + refused.get() + " refused during add/remove");
            } finally {
                n4.close();
            }
        }
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void aDownNodeIsReplacedWhileItIsDownAndNoAcknowledgedPushIsLostOrUnderReplicated() throws Exception {
        List<String> args = List.of("--replication", "3", "--repair-period-ms", "1000");
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, args).start()) {
            ImagedProcess n1 = cluster.node(0);
            ImagedProcess n2 = cluster.node(1);
            ImagedProcess n3 = cluster.node(2);
            List<Image> acked = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                acked.add(cluster.node(i % 3).client().pushImage("lib/before", "b" + i, random(8_000, 2000 + i)));
            }
            n3.kill9();
            for (int i = 0; i < 6; i++) { // acknowledged by n1 and n2 alone
                acked.add(cluster.node(i % 2).client().pushImage("lib/during", "d" + i, random(8_000, 3000 + i)));
            }

            int raftPort = ImagedProcess.freePort();
            ImagedProcess n4 = new ImagedProcess("n4", n1.peers() + ",n4=127.0.0.1:" + raftPort, ImagedProcess.freePort(),
                    dir.resolve("n4"), concat(args, "--join"));
            try {
                n4.start().awaitHttp(Duration.ofSeconds(90));
                JsonNode added = call(n1, "POST", "/cluster/members?id=n4&address=127.0.0.1:" + raftPort, 200);
                assertEquals(List.of("n1", "n2", "n3", "n4"), fieldNames(added.get("members")));
                JsonNode removed = call(n2, "DELETE", "/cluster/members/n3", 200);
                assertEquals(List.of("n1", "n2", "n4"), fieldNames(removed.get("members")));
                acked.add(n4.client().pushImage("lib/after", "a0", random(8_000, 4000)));

                List<ImagedProcess> live = List.of(n1, n2, n4);
                ImagedProcess.await(Duration.ofSeconds(120), "every acked blob on all three live members", () ->
                        acked.stream().allMatch(i -> live.stream().allMatch(m -> holds(m, Digest.of(i.layer())) && holds(m, Digest.of(i.config())))));
                for (ImagedProcess m : live) {
                    for (Image i : acked) {
                        assertPullable(m, i);
                    }
                }
                JsonNode s = status(n4);
                assertNull(nodeIn(s, "n3"), "n3 is gone from the cluster: " + s.get("nodes"));
                assertEquals(3, s.get("nodes").size(), s.get("nodes").toString());
                ImagedProcess.await(Duration.ofSeconds(30), "nothing under-replicated", () ->
                        status(n1).get("replication").get("underReplicated").asInt() == 0);

                // The dead machine reboots with its old data: it must not come back as a member.
                n3.start().awaitHttp(Duration.ofSeconds(90));
                Thread.sleep(5_000);
                acked.add(n1.client().pushImage("lib/after", "a1", random(8_000, 4001)));
                JsonNode later = status(n2);
                assertNull(nodeIn(later, "n3"), "the removed node did not register again: " + later.get("nodes"));
                assertEquals(List.of("n1", "n2", "n4"), members(later));
                assertTrue(n3.log().contains("node n3: the cluster refuses this node: node n3 was removed from the cluster"),
                        "the rebooted node says why it is not serving as a member");
                for (ImagedProcess m : live) {
                    assertPullable(m, acked.get(acked.size() - 1));
                }
            } finally {
                n4.close();
            }
        }
    }

    private static List<String> concat(List<String> a, String b) {
        List<String> all = new ArrayList<>(a);
        all.add(b);
        return all;
    }

    private static List<String> members(JsonNode status) {
        List<String> ids = new ArrayList<>();
        status.get("nodes").forEach(n -> {
            if (n.path("member").asBoolean()) {
                ids.add(n.get("id").asText());
            }
        });
        return ids;
    }

    private static List<String> fieldNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<String> localTags(ImagedProcess node, String repo) {
        try {
            HttpResponse<byte[]> r = node.client().get("/v2/" + repo + "/tags/list", "Imaged-Consistency", "local");
            if (r.statusCode() != 200) {
                return List.of();
            }
            List<String> tags = new ArrayList<>();
            Json.MAPPER.readTree(r.body()).get("tags").forEach(t -> tags.add(t.asText()));
            return tags;
        } catch (IOException e) {
            return List.of();
        }
    }
}
