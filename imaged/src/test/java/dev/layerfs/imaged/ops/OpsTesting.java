package dev.layerfs.imaged.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.testing.ImagedProcess;
import dev.layerfs.imaged.testing.RegistryClient;
import dev.layerfs.imaged.testing.RegistryClient.Image;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Random;

/** Helpers shared by the operations tests on process clusters. */
final class OpsTesting {

    private OpsTesting() {
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static Path blobFile(ImagedProcess node, Digest digest) {
        return node.data().resolve("blobs").resolve(digest.relativePath());
    }

    static boolean holds(ImagedProcess node, Digest digest) {
        return Files.isRegularFile(blobFile(node, digest));
    }

    static long holders(Collection<ImagedProcess> nodes, Digest digest) {
        return nodes.stream().filter(n -> holds(n, digest)).count();
    }

    /** Calls an operations endpoint; fails unless the answer is {@code want}; returns the JSON body (null when empty). */
    static JsonNode call(ImagedProcess node, String method, String path, int want) throws IOException {
        HttpResponse<byte[]> r = node.client().send(method, path, null);
        assertEquals(want, r.statusCode(), method + " " + path + " on " + node.id() + ": " + new String(r.body()));
        return r.body().length == 0 ? null : Json.MAPPER.readTree(r.body());
    }

    static JsonNode status(ImagedProcess node) {
        try {
            HttpResponse<byte[]> r = node.client().get("/cluster/status");
            return r.statusCode() == 200 ? Json.MAPPER.readTree(r.body()) : null;
        } catch (IOException e) {
            return null;
        }
    }

    static JsonNode nodeIn(JsonNode status, String id) {
        for (JsonNode n : status.get("nodes")) {
            if (n.get("id").asText().equals(id)) {
                return n;
            }
        }
        return null;
    }

    static void assertPullable(ImagedProcess node, Image image) throws IOException {
        RegistryClient c = node.client();
        HttpResponse<byte[]> m = c.get("/v2/" + image.repo() + "/manifests/" + image.tag());
        assertEquals(200, m.statusCode(), image.tag() + " from " + node.id());
        assertArrayEquals(image.manifest(), m.body(), image.tag() + " manifest from " + node.id());
        assertArrayEquals(image.layer(), c.get("/v2/" + image.repo() + "/blobs/" + Digest.of(image.layer())).body(),
                image.tag() + " layer from " + node.id());
        assertArrayEquals(image.config(), c.get("/v2/" + image.repo() + "/blobs/" + Digest.of(image.config())).body(),
                image.tag() + " config from " + node.id());
    }
}
