package dev.layerfs.imaged.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.testing.ImagedProcess;
import dev.layerfs.imaged.testing.ProcessCluster;
import dev.layerfs.imaged.testing.RegistryClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Group commit on three imaged processes: concurrent tag updates through every node. */
class GroupCommitClusterTest {

    private static final String TYPE = "application/vnd.oci.image.manifest.v1+json";
    private static final int UPDATES = 96;

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path dir;

    private static byte[] manifest(byte[] config, String layerDigest, int i) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + TYPE + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + Digest.of(config) + "\",\"size\":"
                + config.length + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\""
                + layerDigest + "\",\"size\":5}],\"annotations\":{\"n\":\"" + i + "\"}}").getBytes(StandardCharsets.UTF_8);
    }

    private static long appliedIndex(ImagedProcess leader) throws Exception {
        return leader.status().get("appliedIndex").asLong();
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void concurrentTagUpdatesShareLogEntriesAndEachIsAcknowledgedWithItsOwnOutcomeAndReadEverywhere() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, List.of()).start()) {
            ImagedProcess leader = cluster.leader().orElseThrow();
            byte[] layer = "layer".getBytes(StandardCharsets.UTF_8);
            byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
            assertEquals(201, leader.client().pushBlob("lib/app", layer));
            assertEquals(201, leader.client().pushBlob("lib/app", config));
            String unknownLayer = Digest.of("never pushed".getBytes(StandardCharsets.UTF_8)).toString();
            long before = appliedIndex(leader);

            // Every eighth update names a layer nobody pushed: it must be refused, alone.
            ExecutorService clients = Executors.newFixedThreadPool(UPDATES);
            List<Future<HttpResponse<byte[]>>> answers = new ArrayList<>();
            try {
                for (int i = 0; i < UPDATES; i++) {
                    int n = i;
                    RegistryClient via = cluster.node(n % 3).client();
                    byte[] m = manifest(config, n % 8 == 7 ? unknownLayer : Digest.of(layer).toString(), n);
                    answers.add(clients.submit(() -> via.send("PUT", "/v2/lib/app/manifests/t" + n, m, "Content-Type", TYPE)));
                }
                for (int i = 0; i < UPDATES; i++) {
                    HttpResponse<byte[]> r = answers.get(i).get(120, TimeUnit.SECONDS);
                    String body = new String(r.body(), StandardCharsets.UTF_8);
                    if (i % 8 == 7) {
                        assertEquals(400, r.statusCode(), "t" + i + " names an unknown layer: " + body);
                        assertTrue(body.contains("MANIFEST_BLOB_UNKNOWN"), body);
                    } else {
                        assertEquals(201, r.statusCode(), "t" + i + ": " + body);
                    }
                }
            } finally {
                clients.shutdownNow();
            }
            long entries = appliedIndex(leader) - before;

            // Acknowledged means committed: every node reads every acknowledged tag (linearizable
            // reads), and no refused one.
            for (ImagedProcess node : cluster.nodes()) {
                for (int i = 0; i < UPDATES; i++) {
                    HttpResponse<byte[]> r = node.client().get("/v2/lib/app/manifests/t" + i, "Accept", TYPE);
                    if (i % 8 == 7) {
                        assertEquals(404, r.statusCode(), "refused t" + i + " on " + node.id());
                    } else {
                        assertEquals(200, r.statusCode(), "t" + i + " on " + node.id());
                        assertEquals(Digest.of(manifest(config, Digest.of(layer).toString(), i)), Digest.of(r.body()),
                                "t" + i + " on " + node.id());
                    }
                }
            }
            assertTrue(entries < UPDATES * 3 / 4,
                    UPDATES + " concurrent tag updates took " + entries + " log entries: they did not share entries");
        }
    }
}
