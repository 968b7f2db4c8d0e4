package dev.layerfs.imaged.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.imaged.blob.BlobStore;
import dev.layerfs.imaged.blob.Uploads;
import dev.layerfs.imaged.meta.InMemoryMetadataService;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.server.BlobReplication;
import dev.layerfs.imaged.server.PeerBlobClient;
import dev.layerfs.imaged.server.Registry;
import dev.layerfs.imaged.testing.RegistryClient;
import dev.layerfs.imaged.testing.RegistryClient.Image;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCI API over real HTTP against one node whose metadata is the in-memory model (no Raft):
 * status codes, headers and the spec's error JSON.
 */
@Timeout(60)
class RegistryApiTest {

    @TempDir
    Path dir;

    private HttpServer server;
    private RegistryClient client;
    private BlobStore store;

    @BeforeEach
    void start() throws Exception {
        InMemoryMetadataService meta = new InMemoryMetadataService();
        store = new BlobStore(dir.resolve("blobs"));
        BlobReplication replication = new BlobReplication("n1", 1, 0, meta, store, new PeerBlobClient());
        Registry registry = new Registry(meta, store, new Uploads(store, "n1"), replication);
        server = new HttpServer(new InetSocketAddress("127.0.0.1", 0),
                new RegistryHandler("n1", registry, store, meta, () -> Map.of("node", "n1")));
        server.start();
        client = new RegistryClient("127.0.0.1:" + server.port());
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static JsonNode firstError(HttpResponse<byte[]> r) throws Exception {
        return Json.MAPPER.readTree(r.body()).get("errors").get(0);
    }

    @Test
    void baseEndpointAnswers200WithApiVersion() throws Exception {
        HttpResponse<byte[]> r = client.get("/v2/");
        assertEquals(200, r.statusCode());
        assertEquals("registry/2.0", RegistryClient.headers(r).get("docker-distribution-api-version"));
    }

    @Test
    void pushedBlobIsServedWholeAndByRange() throws Exception {
        byte[] blob = random(100_000, 1);
        assertEquals(201, client.pushBlob("lib/app", blob));
        String path = "/v2/lib/app/blobs/" + Digest.of(blob);

        HttpResponse<byte[]> whole = client.get(path);
        assertEquals(200, whole.statusCode());
        assertArrayEquals(blob, whole.body());
        assertEquals(Digest.of(blob).toString(), RegistryClient.headers(whole).get("docker-content-digest"));

        HttpResponse<byte[]> head = client.send("HEAD", path, null);
        assertEquals(200, head.statusCode());
        assertEquals("100000", RegistryClient.headers(head).get("content-length"));

        HttpResponse<byte[]> part = client.get(path, "Range", "bytes=10-19");
        assertEquals(206, part.statusCode());
        assertArrayEquals(Arrays.copyOfRange(blob, 10, 20), part.body());
        assertEquals("bytes 10-19/100000", RegistryClient.headers(part).get("content-range"));

        assertEquals(416, client.get(path, "Range", "bytes=200000-").statusCode());
    }

    @Test
    void aBlobLargerThanOneMappedWindowIsServedWholeAndByRangesAcrossWindows() throws Exception {
        int size = (int) (2 * Exchange.WINDOW + 12_345);
        byte[] blob = random(size, 7);
        assertEquals(201, client.pushBlob("lib/big", blob));
        String path = "/v2/lib/big/blobs/" + Digest.of(blob);

        HttpResponse<byte[]> whole = client.get(path);
        assertEquals(200, whole.statusCode());
        assertEquals(Digest.of(blob), Digest.of(whole.body()));

        int from = (int) Exchange.WINDOW - 100;
        int to = (int) (2 * Exchange.WINDOW) + 100; // spans three windows
        HttpResponse<byte[]> across = client.get(path, "Range", "bytes=" + from + "-" + to);
        assertEquals(206, across.statusCode());
        assertArrayEquals(Arrays.copyOfRange(blob, from, to + 1), across.body());

        HttpResponse<byte[]> tail = client.get(path, "Range", "bytes=-5000");
        assertArrayEquals(Arrays.copyOfRange(blob, size - 5000, size), tail.body());
    }

    @Test
    void wrongDigestIsDigestInvalidAndStoresNothing() throws Exception {
        byte[] blob = random(1000, 2);
        Digest claimed = Digest.of(random(10, 3));
        HttpResponse<byte[]> r = client.send("POST", "/v2/a/blobs/uploads/?digest=" + claimed, blob);
        assertEquals(400, r.statusCode());
        assertEquals("DIGEST_INVALID", firstError(r).get("code").asText());
        assertTrue(firstError(r).get("message").asText().contains(claimed.toString()));
        assertEquals(404, client.get("/v2/a/blobs/" + claimed).statusCode());
        try (Stream<Path> files = Files.walk(store.root().resolve("sha256"))) {
            assertEquals(0, files.filter(Files::isRegularFile).count());
        } catch (java.nio.file.NoSuchFileException e) {
            // nothing was ever stored
        }
    }

    @Test
    void chunkedUploadRefusesOutOfOrderChunkAndFinishesWithPut() throws Exception {
        byte[] blob = random(3000, 4);
        HttpResponse<byte[]> start = client.send("POST", "/v2/lib/app/blobs/uploads/", null);
        assertEquals(202, start.statusCode());
        String location = RegistryClient.headers(start).get("location");

        HttpResponse<byte[]> first = client.send("PATCH", location, Arrays.copyOfRange(blob, 0, 1000),
                "Content-Range", "0-999", "Content-Type", "application/octet-stream");
        assertEquals(202, first.statusCode());
        assertEquals("0-999", RegistryClient.headers(first).get("range"));

        HttpResponse<byte[]> skipped = client.send("PATCH", location, Arrays.copyOfRange(blob, 2000, 3000),
                "Content-Range", "2000-2999", "Content-Type", "application/octet-stream");
        assertEquals(416, skipped.statusCode());
        assertEquals("0-999", RegistryClient.headers(skipped).get("range"));

        HttpResponse<byte[]> status = client.get(location);
        assertEquals(204, status.statusCode());
        assertEquals("0-999", RegistryClient.headers(status).get("range"));

        assertEquals(202, client.send("PATCH", location, Arrays.copyOfRange(blob, 1000, 2000),
                "Content-Range", "1000-1999", "Content-Type", "application/octet-stream").statusCode());
        HttpResponse<byte[]> done = client.send("PUT", location + "?digest=" + Digest.of(blob), Arrays.copyOfRange(blob, 2000, 3000),
                "Content-Range", "2000-2999", "Content-Type", "application/octet-stream");
        assertEquals(201, done.statusCode());
        assertEquals("/v2/lib/app/blobs/" + Digest.of(blob), RegistryClient.headers(done).get("location"));
        assertArrayEquals(blob, client.get("/v2/lib/app/blobs/" + Digest.of(blob)).body());

        HttpResponse<byte[]> gone = client.send("PATCH", location, new byte[1], "Content-Type", "application/octet-stream");
        assertEquals(404, gone.statusCode());
        assertEquals("BLOB_UPLOAD_UNKNOWN", firstError(gone).get("code").asText());
    }

    @Test
    void manifestIsServedByTagAndDigestWithItsMediaType() throws Exception {
        Image image = client.pushImage("lib/app", "v1", random(500, 5));
        Digest digest = Digest.of(image.manifest());
        for (String ref : new String[] {"v1", digest.toString()}) {
            HttpResponse<byte[]> r = client.get("/v2/lib/app/manifests/" + ref);
            assertEquals(200, r.statusCode());
            assertArrayEquals(image.manifest(), r.body());
            assertEquals("application/vnd.oci.image.manifest.v1+json", RegistryClient.headers(r).get("content-type"));
            assertEquals(digest.toString(), RegistryClient.headers(r).get("docker-content-digest"));
        }
        assertEquals(404, client.get("/v2/lib/app/manifests/v2").statusCode());
        assertEquals("MANIFEST_UNKNOWN", firstError(client.get("/v2/lib/app/manifests/v2")).get("code").asText());
    }

    @Test
    void manifestNamingAMissingBlobIsManifestBlobUnknown() throws Exception {
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        client.pushBlob("a", config);
        Digest missing = Digest.of(random(10, 6));
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + Digest.of(config)
                + "\",\"size\":2},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\""
                + missing + "\",\"size\":10}]}";
        HttpResponse<byte[]> r = client.send("PUT", "/v2/a/manifests/v1", manifest.getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/vnd.oci.image.manifest.v1+json");
        assertEquals(400, r.statusCode());
        assertEquals("MANIFEST_BLOB_UNKNOWN", firstError(r).get("code").asText());
        assertEquals(missing.toString(), firstError(r).get("detail").asText());
        assertEquals(404, client.get("/v2/a/manifests/v1").statusCode());
    }

    @Test
    void malformedOrOversizedManifestIsRefused() throws Exception {
        HttpResponse<byte[]> bad = client.send("PUT", "/v2/a/manifests/v1", "{not json".getBytes(StandardCharsets.UTF_8),
                "Content-Type", "application/vnd.oci.image.manifest.v1+json");
        assertEquals(400, bad.statusCode());
        assertEquals("MANIFEST_INVALID", firstError(bad).get("code").asText());

        HttpResponse<byte[]> big = client.send("PUT", "/v2/a/manifests/v1", new byte[Registry.MAX_MANIFEST_BYTES + 1],
                "Content-Type", "application/vnd.oci.image.manifest.v1+json");
        assertEquals(413, big.statusCode());
    }

    @Test
    void invalidRepositoryNamesAreNameInvalid() throws Exception {
        for (String name : new String[] {"UPPER", "a/.hidden", "-a", "a__-b", "a/b_"}) {
            HttpResponse<byte[]> r = client.get("/v2/" + name + "/tags/list");
            assertEquals(400, r.statusCode(), name);
            assertEquals("NAME_INVALID", firstError(r).get("code").asText(), name);
            assertTrue(firstError(r).get("message").asText().contains(name), name);
        }
    }

    @Test
    void dotSegmentsNeverReachARepositoryName() throws Exception {
        client.pushImage("b", "v1", random(10, 12));
        // Jetty resolves a literal "a/../b" to "b" before routing; an encoded one is refused outright.
        assertEquals(200, client.get("/v2/a/../b/tags/list").statusCode());
        assertEquals(400, client.get("/v2/a/%2e%2e/b/tags/list").statusCode());
        assertEquals(400, client.get("/v2/a%2f..%2fb/tags/list").statusCode());
    }

    @Test
    void tagsArePaginatedWithLinkHeader() throws Exception {
        byte[] layer = random(100, 7);
        for (String t : new String[] {"c", "a", "b", "d"}) {
            client.pushImage("lib/app", t, layer);
        }
        HttpResponse<byte[]> page1 = client.get("/v2/lib/app/tags/list?n=2");
        assertEquals("[\"a\",\"b\"]", Json.MAPPER.readTree(page1.body()).get("tags").toString());
        String link = RegistryClient.headers(page1).get("link");
        assertEquals("</v2/lib/app/tags/list?n=2&last=b>; rel=\"next\"", link);
        HttpResponse<byte[]> page2 = client.get(link.substring(1, link.indexOf('>')));
        assertEquals("[\"c\",\"d\"]", Json.MAPPER.readTree(page2.body()).get("tags").toString());
        assertFalse(RegistryClient.headers(page2).containsKey("link"));
        assertEquals("NAME_UNKNOWN", firstError(client.get("/v2/nothing/tags/list")).get("code").asText());
    }

    @Test
    void crossRepositoryMountLinksWithoutUpload() throws Exception {
        byte[] blob = random(2000, 8);
        client.pushBlob("src", blob);
        HttpResponse<byte[]> r = client.send("POST", "/v2/dst/blobs/uploads/?mount=" + Digest.of(blob) + "&from=src", null);
        assertEquals(201, r.statusCode());
        assertArrayEquals(blob, client.get("/v2/dst/blobs/" + Digest.of(blob)).body());
        HttpResponse<byte[]> fallback = client.send("POST", "/v2/dst/blobs/uploads/?mount=" + Digest.of(random(5, 9)) + "&from=src", null);
        assertEquals(202, fallback.statusCode(), "an unknown mount falls back to a new upload session");
    }

    @Test
    void deletingManifestAndBlobMakesThemUnknown() throws Exception {
        Image image = client.pushImage("a", "v1", random(100, 10));
        Digest digest = Digest.of(image.manifest());
        assertEquals(202, client.send("DELETE", "/v2/a/manifests/" + digest, null).statusCode());
        assertEquals(404, client.get("/v2/a/manifests/v1").statusCode());
        assertEquals(202, client.send("DELETE", "/v2/a/blobs/" + Digest.of(image.layer()), null).statusCode());
        assertEquals(404, client.get("/v2/a/blobs/" + Digest.of(image.layer())).statusCode());
        assertEquals("BLOB_UNKNOWN", firstError(client.send("DELETE", "/v2/a/blobs/" + Digest.of(image.layer()), null)).get("code").asText());
    }

    @Test
    void referrersListManifestsWithTheSubject() throws Exception {
        Image image = client.pushImage("a", "v1", random(100, 11));
        Digest subject = Digest.of(image.manifest());
        byte[] empty = "{}".getBytes(StandardCharsets.UTF_8);
        client.pushBlob("a", empty);
        String sig = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"artifactType\":\"application/vnd.example.sig\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"" + Digest.of(empty) + "\",\"size\":2},"
                + "\"layers\":[],\"subject\":{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\""
                + subject + "\",\"size\":" + image.manifest().length + "}}";
        byte[] sigBytes = sig.getBytes(StandardCharsets.UTF_8);
        HttpResponse<byte[]> put = client.send("PUT", "/v2/a/manifests/" + Digest.of(sigBytes), sigBytes,
                "Content-Type", "application/vnd.oci.image.manifest.v1+json");
        assertEquals(201, put.statusCode());
        assertEquals(subject.toString(), RegistryClient.headers(put).get("oci-subject"));

        JsonNode index = Json.MAPPER.readTree(client.get("/v2/a/referrers/" + subject).body());
        assertEquals(1, index.get("manifests").size());
        assertEquals(Digest.of(sigBytes).toString(), index.get("manifests").get(0).get("digest").asText());
        assertEquals("application/vnd.example.sig", index.get("manifests").get(0).get("artifactType").asText());
        JsonNode filtered = Json.MAPPER.readTree(client.get("/v2/a/referrers/" + subject + "?artifactType=other").body());
        assertEquals(0, filtered.get("manifests").size());
    }
}
