package dev.layerfs.imaged.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.testing.ImagedProcess;
import dev.layerfs.imaged.testing.ProcessCluster;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /ready} as a load balancer sees it, on three real processes: ready while a leader
 * is known, 503 with the reason while a majority is gone (when {@code /v2/} still answers 200
 * and a write would only wait), and ready again once a majority is back.
 */
class ReadinessTest {

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aNodeThatKnowsNoLeaderIsNotReadyThoughV2AnswersAndIsReadyAgainWhenAMajorityIsBack() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, List.of()).start()) {
            ImagedProcess.await(Duration.ofSeconds(30), "every node ready", () ->
                    cluster.nodes().stream().allMatch(n -> ready(n).status() == 200));
            Set<String> leaders = new HashSet<>();
            for (ImagedProcess n : cluster.nodes()) {
                leaders.add(ready(n).body().get("leader").asText());
            }
            assertEquals(1, leaders.size(), "every node names the same leader: " + leaders);

            ImagedProcess survivor = cluster.node(0);
            cluster.node(1).kill9();
            cluster.node(2).kill9();
            ImagedProcess.await(Duration.ofSeconds(30), survivor.id() + " to stop being ready", () -> ready(survivor).status() == 503);
            JsonNode lost = ready(survivor).body();
            assertFalse(lost.get("ready").asBoolean());
            assertTrue(lost.get("leader").isNull(), lost.toString());
            assertTrue(lost.get("reason").asText().contains("knows no Raft leader"), lost.toString());
            assertEquals(200, survivor.client().get("/v2/").statusCode(), "the API's base endpoint answers regardless");

            cluster.node(1).start().awaitHttp(Duration.ofSeconds(90));
            ImagedProcess.await(Duration.ofSeconds(60), "a majority back and ready", () ->
                    ready(survivor).status() == 200 && ready(cluster.node(1)).status() == 200);
            assertEquals(201, survivor.client().pushBlob("lib/ready", new byte[] {1, 2, 3}), "and it takes writes again");
        }
    }

    private record Answer(int status, JsonNode body) {
    }

    private static Answer ready(ImagedProcess node) {
        try {
            HttpResponse<byte[]> r = node.client().get("/ready");
            return new Answer(r.statusCode(), Json.MAPPER.readTree(r.body()));
        } catch (IOException e) {
            return new Answer(-1, null);
        }
    }
}
