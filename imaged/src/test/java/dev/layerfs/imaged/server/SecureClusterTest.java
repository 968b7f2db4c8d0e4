package dev.layerfs.imaged.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.imaged.auth.ClientAccess;
import dev.layerfs.imaged.auth.Pem;
import dev.layerfs.imaged.client.Progress;
import dev.layerfs.imaged.client.RegistryClient;
import dev.layerfs.imaged.layer.Commands;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.testing.ImagedProcess;
import dev.layerfs.imaged.testing.TestCertificate;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-node cluster as separate processes with every access option: HTTPS with one shared
 * certificate, client tokens, and the cluster token on node-to-node calls. Blob copies and
 * forwarded uploads still work between nodes; clients without the right token are refused;
 * skopeo pushes with {@code --dest-creds}.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SecureClusterTest {

    static final String TOKEN = "client-token-0123456789abcdef";
    static final String CLUSTER = "cluster-token-0123456789abcdef";

    @TempDir
    static Path dir;
    static final List<ImagedProcess> nodes = new ArrayList<>();
    static TestCertificate cert;
    static HttpClient https;

    @BeforeAll
    static void startCluster() throws Exception {
        cert = TestCertificate.create(dir.resolve("tls"));
        Path tokens = Files.writeString(dir.resolve("tokens"), TOKEN + "\n");
        Path cluster = Files.writeString(dir.resolve("cluster-token"), CLUSTER + "\n");
        SSLContext trust = Pem.trusting(List.of(cert.cert()), "test");
        https = HttpClient.newBuilder().sslContext(trust).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(3)).build();
        StringJoiner peers = new StringJoiner(",");
        for (int i = 1; i <= 3; i++) {
            peers.add("n" + i + "=127.0.0.1:" + ImagedProcess.freePort());
        }
        List<String> secure = List.of("--token-file", tokens.toString(), "--cluster-token-file", cluster.toString(),
                "--tls-cert", cert.cert().toString(), "--tls-key", cert.key().toString());
        for (int i = 1; i <= 3; i++) {
            nodes.add(new ImagedProcess("n" + i, peers.toString(), ImagedProcess.freePort(), dir.resolve("n" + i), secure).start());
        }
        ImagedProcess.await(Duration.ofSeconds(150), "a leader and all three nodes registered, over HTTPS", () ->
                nodes.stream().anyMatch(n -> status(n).path("leader").asBoolean())
                        && nodes.stream().allMatch(n -> status(n).path("metadata").path("nodes").asInt() == 3));
    }

    @AfterAll
    static void stopCluster() throws InterruptedException {
        for (ImagedProcess n : nodes) {
            n.close();
        }
    }

    static String url(ImagedProcess n) {
        return "https://" + n.httpAddress();
    }

    static HttpResponse<byte[]> send(ImagedProcess n, String method, String path, byte[] body, String... headers) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(n) + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            return https.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    static JsonNode status(ImagedProcess n) {
        try {
            HttpResponse<byte[]> r = send(n, "GET", "/internal/status", null, "Authorization", "Bearer " + CLUSTER);
            return r.statusCode() == 200 ? Json.MAPPER.readTree(r.body()) : Json.MAPPER.createObjectNode();
        } catch (IOException e) {
            return Json.MAPPER.createObjectNode();
        }
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static RegistryClient client(ImagedProcess n, Optional<String> token) {
        return new RegistryClient(URI.create(url(n)),
                new ClientAccess(token, Optional.of(Pem.trusting(List.of(cert.cert()), "test"))));
    }

    private static long holders(Digest digest) throws IOException {
        long count = 0;
        for (ImagedProcess n : nodes) {
            if (send(n, "HEAD", "/internal/blobs/" + digest, null, "Authorization", "Bearer " + CLUSTER).statusCode() == 200) {
                count++;
            }
        }
        return count;
    }

    @Test
    void aPushIsCopiedToPeersOverHttpsWithTheClusterToken() throws Exception {
        byte[] blob = random(200_000, 1);
        Digest digest = Digest.of(blob);
        client(nodes.get(0), Optional.of(TOKEN)).uploadBlob("lib/app", digest, blob.length, () -> new ByteArrayInputStream(blob), Progress.silent());
        assertTrue(holders(digest) >= 2, "acknowledged only once a majority holds the blob");
        assertArrayEquals(blob, client(nodes.get(2), Optional.empty()).readSmallBlob("lib/app", digest), "pulls are anonymous");
    }

    @Test
    void internalEndpointsRefuseClientsWithoutTheClusterTokenAndStoreNothing() throws Exception {
        byte[] blob = random(1000, 2);
        Digest digest = Digest.of(blob);
        ImagedProcess n2 = nodes.get(1);
        for (String[] auth : List.of(new String[0], new String[] {"Authorization", "Bearer " + TOKEN},
                new String[] {"Authorization", "Bearer wrong-cluster-token-0123456789"})) {
            HttpResponse<byte[]> put = send(n2, "PUT", "/internal/blobs/" + digest, blob, auth);
            assertEquals(401, put.statusCode());
            assertEquals("UNAUTHORIZED", Json.MAPPER.readTree(put.body()).get("errors").get(0).get("code").asText());
            assertEquals(401, send(n2, "GET", "/internal/status", null, auth).statusCode());
        }
        assertEquals(0, holders(digest), "no node took the blob");
        assertFalse(Files.exists(n2.data().resolve("blobs/sha256/" + digest.hex().substring(0, 2) + "/" + digest.hex())));
    }

    @Test
    void anUploadStartedOnOneNodeFinishesThroughAnother() throws Exception {
        byte[] blob = random(5000, 3);
        HttpResponse<byte[]> start = send(nodes.get(0), "POST", "/v2/lib/fwd/blobs/uploads/", null, "Authorization", "Bearer " + TOKEN);
        assertEquals(202, start.statusCode());
        String location = start.headers().firstValue("Location").orElseThrow();
        assertEquals(401, send(nodes.get(1), "PUT", location + "?digest=" + Digest.of(blob), blob).statusCode());
        HttpResponse<byte[]> done = send(nodes.get(1), "PUT", location + "?digest=" + Digest.of(blob), blob,
                "Authorization", "Bearer " + TOKEN, "Content-Type", "application/octet-stream");
        assertEquals(201, done.statusCode(), new String(done.body(), StandardCharsets.UTF_8));
        assertArrayEquals(blob, send(nodes.get(2), "GET", "/v2/lib/fwd/blobs/" + Digest.of(blob), null).body());
    }

    @Test
    void skopeoPushesWithCredentialsAfterTheChallengeAndIsRefusedWithout() throws Exception {
        assumeTrue(Commands.available("skopeo"), "SKIPPED LOUDLY: skopeo is not installed");
        Path source = dir.resolve("skopeo-src");
        OciDir.write(source, random(100_000, 4));
        Path certDir = Files.createDirectories(dir.resolve("certs"));
        Files.copy(cert.cert(), certDir.resolve("ca.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String ref = "docker://" + nodes.get(0).httpAddress() + "/lib/skopeo-auth:v1";

        Process refused = new ProcessBuilder("skopeo", "copy", "--dest-cert-dir", certDir.toString(), "dir:" + source, ref)
                .redirectErrorStream(true).redirectOutput(dir.resolve("skopeo-refused.log").toFile()).start();
        assertTrue(refused.waitFor(120, TimeUnit.SECONDS));
        assertNotEquals(0, refused.exitValue(), "skopeo without credentials must fail");
        String why = Files.readString(dir.resolve("skopeo-refused.log")).toLowerCase();
        assertTrue(why.contains("unauthorized") || why.contains("authentication required"), why);
        assertEquals(404, send(nodes.get(1), "GET", "/v2/lib/skopeo-auth/manifests/v1", null).statusCode(), "nothing was tagged");

        Commands.run("skopeo", "copy", "--dest-cert-dir", certDir.toString(), "--dest-creds", "imaged:" + TOKEN, "dir:" + source, ref);
        Path back = dir.resolve("skopeo-back");
        Commands.run("skopeo", "copy", "--src-cert-dir", certDir.toString(),
                "docker://" + nodes.get(2).httpAddress() + "/lib/skopeo-auth:v1", "dir:" + back);
        for (String name : OciDir.files(source)) {
            assertArrayEquals(Files.readAllBytes(source.resolve(name)), Files.readAllBytes(back.resolve(name)), name);
        }
    }
}
