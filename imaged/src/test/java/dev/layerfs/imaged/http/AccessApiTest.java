package dev.layerfs.imaged.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.imaged.auth.AccessPolicy;
import dev.layerfs.imaged.auth.ClientAccess;
import dev.layerfs.imaged.auth.Pem;
import dev.layerfs.imaged.auth.ServerSecurity;
import dev.layerfs.imaged.auth.TokenSet;
import dev.layerfs.imaged.blob.BlobStore;
import dev.layerfs.imaged.blob.Uploads;
import dev.layerfs.imaged.client.RegistryClient;
import dev.layerfs.imaged.client.RegistryException;
import dev.layerfs.imaged.meta.InMemoryMetadataService;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.MediaTypes;
import dev.layerfs.imaged.server.BlobReplication;
import dev.layerfs.imaged.server.PeerBlobClient;
import dev.layerfs.imaged.server.Registry;
import dev.layerfs.imaged.testing.TestCertificate;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Access control and TLS over real HTTPS against one in-process node (in-memory metadata): what a
 * refused client sees, that a refused request stores nothing, and that the right token works.
 */
@Timeout(90)
class AccessApiTest {

    static final String TOKEN = "push-token-0123456789abcdef";
    static final String CLUSTER = "cluster-token-0123456789abcdef";

    @TempDir
    Path dir;

    private HttpServer server;
    private BlobStore store;
    private SSLContext trustCert;
    private HttpClient http;
    private String base;

    private void start(boolean authPulls) throws Exception {
        TestCertificate cert = TestCertificate.create(dir.resolve("tls"));
        InMemoryMetadataService meta = new InMemoryMetadataService();
        store = new BlobStore(dir.resolve("blobs"));
        BlobReplication replication = new BlobReplication("n1", 1, 0, meta, store, new PeerBlobClient());
        Registry registry = new Registry(meta, store, new Uploads(store, "n1"), replication);
        AccessPolicy policy = new AccessPolicy(Optional.of(TokenSet.of(List.of(TOKEN))), authPulls,
                Optional.of(TokenSet.of(List.of(CLUSTER))));
        server = new HttpServer(new InetSocketAddress("127.0.0.1", 0),
                new AccessHandler(policy, new RegistryHandler("n1", registry, store, meta, () -> Map.of("node", "n1"))),
                Optional.of(new ServerSecurity.Tls(cert.cert(), cert.key())));
        server.start();
        trustCert = Pem.trusting(List.of(cert.cert()), "test");
        http = HttpClient.newBuilder().sslContext(trustCert).version(HttpClient.Version.HTTP_1_1).build();
        base = "https://127.0.0.1:" + server.port();
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private HttpResponse<byte[]> send(String method, String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void assertUnauthorized(HttpResponse<byte[]> r) throws IOException {
        assertEquals(401, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        assertTrue(r.headers().allValues("WWW-Authenticate").contains("Bearer realm=\"imaged\""), r.headers().toString());
        JsonNode error = Json.MAPPER.readTree(r.body()).get("errors").get(0);
        assertEquals("UNAUTHORIZED", error.get("code").asText());
        assertTrue(error.get("message").asText().length() > 10, error.toString());
    }

    private long storedBlobFiles() throws IOException {
        Path sha = store.root().resolve("sha256");
        if (!Files.exists(sha)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(sha)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    private static RegistryClient client(String base, SSLContext trust, Optional<String> token) {
        return new RegistryClient(URI.create(base), new ClientAccess(token, Optional.of(trust)));
    }

    @Test
    void writesWithoutOrWithAWrongTokenGet401AndStoreNothing() throws Exception {
        start(false);
        byte[] blob = "layer bytes".getBytes(StandardCharsets.UTF_8);
        String push = "/v2/lib/app/blobs/uploads/?digest=" + Digest.of(blob);
        assertUnauthorized(send("POST", push, blob));
        assertUnauthorized(send("POST", push, blob, "Authorization", "Bearer not-the-token-0123456789"));
        assertUnauthorized(send("POST", push, blob, "Authorization", "Basic aW1hZ2VkOndyb25n")); // imaged:wrong
        assertUnauthorized(send("POST", "/v2/lib/app/blobs/uploads/", null));
        assertUnauthorized(send("PUT", "/v2/lib/app/manifests/v1", "{}".getBytes(StandardCharsets.UTF_8),
                "Content-Type", MediaTypes.OCI_MANIFEST));
        assertUnauthorized(send("DELETE", "/v2/lib/app/manifests/v1", null));
        assertEquals(0, storedBlobFiles(), "a refused push stores no blob");
        assertEquals(404, send("GET", "/v2/lib/app/blobs/" + Digest.of(blob), null).statusCode());
        assertUnauthorized(send("GET", "/v2/", null));

        assertEquals(201, send("POST", push, blob, "Authorization", "Bearer " + TOKEN).statusCode());
        assertEquals(1, storedBlobFiles());
        assertEquals(200, send("GET", "/v2/", null, "Authorization", "Bearer " + TOKEN).statusCode());
    }

    @Test
    void theClientPushesWithItsTokenOverHttpsAndPullsAreAnonymous() throws Exception {
        start(false);
        byte[] layer = "a layer".getBytes(StandardCharsets.UTF_8);
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
                + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.of(config) + "\",\"size\":" + config.length
                + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR_GZIP + "\",\"digest\":\"" + Digest.of(layer)
                + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);

        RegistryClient anonymous = client(base, trustCert, Optional.empty());
        RegistryException refused = assertThrows(RegistryException.class, () -> anonymous.uploadBlob("lib/app", Digest.of(layer),
                layer.length, () -> new ByteArrayInputStream(layer), dev.layerfs.imaged.client.Progress.silent()));
        assertEquals("UNAUTHORIZED", refused.code());

        RegistryClient pusher = client(base, trustCert, Optional.of(TOKEN));
        pusher.ping();
        for (byte[] b : List.of(layer, config)) {
            pusher.uploadBlob("lib/app", Digest.of(b), b.length, () -> new ByteArrayInputStream(b), dev.layerfs.imaged.client.Progress.silent());
        }
        assertEquals(Digest.of(manifest), pusher.putManifest("lib/app", "v1", manifest, MediaTypes.OCI_MANIFEST));
        // a blob streamed while it is produced (how a layer tar goes up) takes the same TLS and token
        byte[] big = new byte[3 << 20];
        new java.util.Random(5).nextBytes(big);
        Digest streamed = pusher.uploadWhileWriting("lib/app", big.length, dev.layerfs.imaged.client.Progress.silent(),
                out -> {
                    out.write(big);
                    return Digest.of(big);
                }, d -> d);
        assertEquals(java.util.Optional.of((long) big.length), anonymous.blobSize("lib/app", streamed));

        assertArrayEquals(manifest, anonymous.getManifest("lib/app", "v1").body());
        assertArrayEquals(layer, anonymous.readSmallBlob("lib/app", Digest.of(layer)));
        assertEquals(List.of("v1"), anonymous.tags("lib/app"));
    }

    @Test
    void withAuthPullsReadsNeedTheTokenToo() throws Exception {
        start(true);
        byte[] blob = "pull me".getBytes(StandardCharsets.UTF_8);
        assertEquals(201, send("POST", "/v2/a/blobs/uploads/?digest=" + Digest.of(blob), blob, "Authorization", "Bearer " + TOKEN).statusCode());
        assertUnauthorized(send("GET", "/v2/a/blobs/" + Digest.of(blob), null));
        HttpResponse<byte[]> head = send("HEAD", "/v2/a/blobs/" + Digest.of(blob), null, "Authorization", "Bearer wrong-token-0123456789");
        assertEquals(401, head.statusCode(), "a HEAD gets the status and challenge, no body");
        assertTrue(head.headers().allValues("WWW-Authenticate").contains("Bearer realm=\"imaged\""));
        assertUnauthorized(send("GET", "/v2/a/tags/list", null));
        HttpResponse<byte[]> ok = send("GET", "/v2/a/blobs/" + Digest.of(blob), null, "Authorization", "Bearer " + TOKEN);
        assertEquals(200, ok.statusCode());
        assertArrayEquals(blob, ok.body());
    }

    @Test
    void internalEndpointsRefuseEveryoneButHoldersOfTheClusterToken() throws Exception {
        start(false);
        byte[] blob = "node copy".getBytes(StandardCharsets.UTF_8);
        String path = "/internal/blobs/" + Digest.of(blob);
        assertUnauthorized(send("PUT", path, blob));
        assertUnauthorized(send("PUT", path, blob, "Authorization", "Bearer " + TOKEN));
        assertUnauthorized(send("GET", "/internal/status", null));
        assertUnauthorized(send("GET", "/internal/status", null, "Authorization", "Bearer " + TOKEN));
        assertEquals(0, storedBlobFiles());
        assertEquals(200, send("GET", "/internal/status", null, "Authorization", "Bearer " + CLUSTER).statusCode());
        assertEquals(201, send("PUT", path, blob, "Authorization", "Bearer " + CLUSTER).statusCode());
        assertEquals(1, storedBlobFiles());
    }

    @Test
    void aClientNotTrustingTheCertificateCannotConnect() throws Exception {
        start(false);
        HttpClient untrusting = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        assertThrows(SSLHandshakeException.class, () -> untrusting.send(HttpRequest.newBuilder(URI.create(base + "/v2/")).build(),
                HttpResponse.BodyHandlers.discarding()));
    }
}
