package dev.layerfs.imaged.ops;

import static dev.layerfs.imaged.ops.OpsTesting.assertPullable;
import static dev.layerfs.imaged.ops.OpsTesting.blobFile;
import static dev.layerfs.imaged.ops.OpsTesting.holders;
import static dev.layerfs.imaged.ops.OpsTesting.holds;
import static dev.layerfs.imaged.ops.OpsTesting.nodeIn;
import static dev.layerfs.imaged.ops.OpsTesting.random;
import static dev.layerfs.imaged.ops.OpsTesting.status;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.testing.ImagedProcess;
import dev.layerfs.imaged.testing.ProcessCluster;
import dev.layerfs.imaged.testing.RegistryClient.Image;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A node lost for good: after the node timeout its blobs are copied from the survivors; damaged copies heal on read. */
class NodeLossTest {

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void blobsOfANodeGoneLongerThanTheTimeoutAreReReplicatedAndADamagedCopyIsRepairedOnRead() throws Exception {
        List<String> args = List.of("--replication", "2", "--repair-period-ms", "1000", "--node-timeout-ms", "4000");
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, args).start()) {
            ImagedProcess leader = cluster.leader().orElseThrow();
            List<Image> images = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                images.add(leader.client().pushImage("lib/app", "v" + i, random(40_000, i)));
            }
            Digest layer = Digest.of(images.get(0).layer());
            ImagedProcess lost = cluster.nodes().stream().filter(n -> n != leader && holds(n, layer)).findFirst().orElseThrow();
            List<ImagedProcess> survivors = cluster.nodes().stream().filter(n -> n != lost).toList();

            lost.kill9();

            ImagedProcess.await(Duration.ofSeconds(90), "every blob on 2 survivors", () -> images.stream().allMatch(i ->
                    holders(survivors, Digest.of(i.layer())) == 2 && holders(survivors, Digest.of(i.config())) == 2));
            ImagedProcess.await(Duration.ofSeconds(30), "status to show " + lost.id() + " down and nothing under-replicated", () -> {
                JsonNode s = status(survivors.get(0));
                return s != null && !nodeIn(s, lost.id()).get("healthy").asBoolean()
                        && s.get("replication").get("underReplicated").asInt() == 0
                        && s.get("replication").get("unavailableNodes").toString().contains(lost.id());
            });
            JsonNode s = status(survivors.get(1));
            assertEquals(leader.id(), s.get("leader").asText());
            for (ImagedProcess n : survivors) {
                for (Image i : images) {
                    assertPullable(n, i);
                }
            }

            // A survivor's copy is damaged on disk (same size, other bytes): a read still answers the
            // right bytes, fetched from the other holder, and the local file is repaired.
            ImagedProcess damaged = survivors.get(1);
            Path file = blobFile(damaged, layer);
            byte[] good = Files.readAllBytes(file);
            Files.write(file, random(good.length, 99));
            byte[] read = damaged.client().get("/v2/lib/app/blobs/" + layer).body();
            assertArrayEquals(images.get(0).layer(), read, "a damaged local copy is never served");
            assertArrayEquals(good, Files.readAllBytes(file), "the local copy was repaired");
            assertFalse(damaged.log().contains("Exception in thread"), "no thread died");

            // A missing local copy is fetched back the same way.
            Files.delete(file);
            assertArrayEquals(images.get(0).layer(), damaged.client().get("/v2/lib/app/blobs/" + layer).body());
            assertArrayEquals(good, Files.readAllBytes(file));
        }
    }
}
