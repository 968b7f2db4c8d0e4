package dev.layerfs.imaged.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.layerfs.imaged.auth.ClientAccess;
import dev.layerfs.imaged.client.Progress;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.MediaTypes;
import dev.layerfs.imaged.server.Registry;
import dev.layerfs.imaged.testing.ImagedProcess;
import dev.layerfs.imaged.testing.RegistryClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A one-node registry process under 10,000 hostile requests of many kinds from a few threads: each
 * gets the spec's error, nothing is stored, and afterwards the server still serves correctly with
 * no more threads and open files than before.
 */
class HostileRequestsTest {

    static final String TOKEN = "hostile-test-token-0123456789";
    static final int REQUESTS = 10_000;
    static final int THREADS = 4;

    @TempDir
    Path dir;

    /** One bad request and the answer it must get ({@code code} null: the status alone is checked). */
    record Expect(int status, String code) {
    }

    private RegistryClient client;
    private Digest seeded;
    private final List<String> mismatches = Collections.synchronizedList(new ArrayList<>());

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void tenThousandBadRequestsGetSpecErrorsStoreNothingAndLeakNoThreadsOrFiles() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "SKIPPED LOUDLY: no /proc to count threads and file descriptors");
        Path tokens = Files.writeString(dir.resolve("tokens"), TOKEN + "\n");
        Path data = dir.resolve("n1");
        int raftPort = ImagedProcess.freePort();
        try (ImagedProcess node = new ImagedProcess("n1", "n1=127.0.0.1:" + raftPort, ImagedProcess.freePort(),
                data, List.of("--token-file", tokens.toString()))) {
            node.start();
            client = node.client();
            ImagedProcess.await(Duration.ofSeconds(90), "node n1 HTTP API", () -> {
                try {
                    return client.get("/v2/", "Authorization", "Bearer " + TOKEN).statusCode() == 200;
                } catch (IOException e) {
                    return false;
                }
            });
            int httpPort = Integer.parseInt(node.httpAddress().split(":")[1]);
            assertEquals(List.of("127.0.0.1"), listeningAddresses(httpPort), "the API is bound to the loopback address asked for");
            assertEquals(List.of("127.0.0.1"), listeningAddresses(raftPort), "Raft is bound to the node's --peers address only");
            byte[] blob = random(10_000, 1);
            seeded = Digest.of(blob);
            assertEquals(201, client.send("POST", "/v2/lib/app/blobs/uploads/?digest=" + seeded, blob,
                    "Authorization", "Bearer " + TOKEN).statusCode());

            // Warm up with the same mix, so the pools and the JIT's compiler threads reach their working size first.
            flood(node, 2_000);
            long threadsBefore = threads(node.pid());
            long fdsBefore = fds(node.pid());
            mismatches.clear();

            Instant start = Instant.now();
            flood(node, REQUESTS);
            Duration took = Duration.between(start, Instant.now());
            System.out.printf("hostile requests: %d in %d ms from %d threads; threads %d -> %d, fds %d -> %d%n",
                    REQUESTS, took.toMillis(), THREADS, threadsBefore, threads(node.pid()), fdsBefore, fds(node.pid()));
            assertTrue(mismatches.isEmpty(), mismatches.size() + " answers were not the spec's error, e.g. "
                    + mismatches.subList(0, Math.min(5, mismatches.size())));

            // Connections from the flood close asynchronously and an idle pool thread may linger: allow a little.
            ImagedProcess.await(Duration.ofSeconds(90), "threads and file descriptors back near their level before the flood",
                    () -> threads(node.pid()) <= threadsBefore + 6 && fds(node.pid()) <= fdsBefore + 8);

            assertEquals(List.of(seeded.hex()), storedBlobs(data), "no bad request stored a blob");
            assertEquals(0, countFiles(data.resolve("blobs/tmp")), "no temp file left behind");
            assertEquals(0, countFiles(data.resolve("blobs/uploads")), "no upload session left behind");

            dev.layerfs.imaged.client.RegistryClient real = new dev.layerfs.imaged.client.RegistryClient(
                    URI.create(client.base()), new ClientAccess(Optional.of(TOKEN), Optional.empty()));
            byte[] layer = random(50_000, 2);
            real.uploadBlob("lib/after", Digest.of(layer), layer.length, () -> new ByteArrayInputStream(layer), Progress.silent());
            byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
            real.uploadBlob("lib/after", Digest.of(config), config.length, () -> new ByteArrayInputStream(config), Progress.silent());
            byte[] manifest = manifest(Digest.of(config), config.length, Digest.of(layer), layer.length);
            real.putManifest("lib/after", "v1", manifest, MediaTypes.OCI_MANIFEST);
            assertArrayEquals(manifest, real.getManifest("lib/after", "v1").body());
            assertArrayEquals(layer, client.get("/v2/lib/after/blobs/" + Digest.of(layer)).body());

            String log = node.log();
            assertEquals(1, log.split("node-to-node endpoints /internal/\\* accept any local client", -1).length - 1,
                    "the open /internal endpoints are warned about once at start:\n" + log);
        }
    }

    private void flood(ImagedProcess node, int requests) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                workers.add(pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < requests) {
                        badRequest(node, i);
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                w.get(240, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static final String AUTH = "Authorization";

    /** Request number {@code i}: its kind is chosen by {@code i}, so every run sends the same mix. */
    private void badRequest(ImagedProcess node, int i) throws IOException {
        String bearer = "Bearer " + TOKEN;
        String uuid = "n1-" + UUID.randomUUID();
        if (i % 1000 == 999) {
            check(i, "oversized manifest", client.send("PUT", "/v2/a/manifests/v1", new byte[Registry.MAX_MANIFEST_BYTES + 1],
                    AUTH, bearer, "Content-Type", MediaTypes.OCI_MANIFEST), new Expect(413, "SIZE_INVALID"));
            return;
        }
        if (i % 100 == 42) {
            rawGarbage(node);
            return;
        }
        if (i % 100 == 43) {
            truncatedUpload(node);
            return;
        }
        switch (i % 20) {
            case 0 -> check(i, "invalid JSON", client.send("PUT", "/v2/a/manifests/v1", "{\"schemaVersion\":2,".getBytes(StandardCharsets.UTF_8),
                    AUTH, bearer, "Content-Type", MediaTypes.OCI_MANIFEST), new Expect(400, "MANIFEST_INVALID"));
            case 1 -> check(i, "wrong media type", client.send("PUT", "/v2/a/manifests/v1",
                    manifest(seeded, 10_000, seeded, 10_000), AUTH, bearer, "Content-Type", "text/plain"), new Expect(400, "MANIFEST_INVALID"));
            case 2 -> check(i, "bad digest", client.get("/v2/lib/app/blobs/sha256:not-hex"), new Expect(400, "DIGEST_INVALID"));
            case 3 -> check(i, "mismatched digest", client.send("POST", "/v2/a/blobs/uploads/?digest=" + Digest.of(new byte[] {1}),
                    random(2000, i), AUTH, bearer), new Expect(400, "DIGEST_INVALID"));
            case 4 -> check(i, "range past the end", client.get("/v2/lib/app/blobs/" + seeded, "Range", "bytes=20000-"), new Expect(416, null));
            case 5 -> check(i, "malformed range", client.get("/v2/lib/app/blobs/" + seeded, "Range", "bytes=a-b"), new Expect(416, null));
            case 6 -> check(i, "unknown upload PATCH", client.send("PATCH", "/v2/a/blobs/uploads/" + uuid, random(100, i),
                    AUTH, bearer, "Content-Type", "application/octet-stream"), new Expect(404, "BLOB_UPLOAD_UNKNOWN"));
            case 7 -> check(i, "unknown upload PUT", client.send("PUT", "/v2/a/blobs/uploads/" + uuid + "?digest=" + seeded, null,
                    AUTH, bearer), new Expect(404, "BLOB_UPLOAD_UNKNOWN"));
            case 8 -> check(i, "unknown upload GET", client.get("/v2/a/blobs/uploads/" + uuid), new Expect(404, "BLOB_UPLOAD_UNKNOWN"));
            case 9 -> check(i, "dotted upload id DELETE", client.send("DELETE", "/v2/a/blobs/uploads/..%2e", null, AUTH, bearer),
                    new Expect(404, "BLOB_UPLOAD_UNKNOWN"));
            case 10 -> check(i, "encoded dot segments", client.get("/v2/a/%2e%2e/b/tags/list"), new Expect(400, null));
            case 11 -> check(i, "uppercase name", client.get("/v2/Lib/App/tags/list"), new Expect(400, "NAME_INVALID"));
            case 12 -> check(i, "empty segment", client.get("/v2/a//b/manifests/v1"), new Expect(400, null));
            case 13 -> check(i, "name over 255", client.get("/v2/" + "a".repeat(256) + "/tags/list"), new Expect(400, "NAME_INVALID"));
            case 14 -> check(i, "push without token", client.send("POST", "/v2/a/blobs/uploads/?digest=" + seeded, random(500, i)),
                    new Expect(401, "UNAUTHORIZED"));
            case 15 -> check(i, "delete with wrong token", client.send("DELETE", "/v2/lib/app/blobs/" + seeded, null,
                    AUTH, "Bearer not-the-token-0123456789"), new Expect(401, "UNAUTHORIZED"));
            case 16 -> check(i, "unknown endpoint", client.get("/v3/lib/app"), new Expect(404, "NOT_FOUND"));
            case 17 -> check(i, "unsupported method", client.send("PATCH", "/v2/lib/app/manifests/v1", null, AUTH, bearer),
                    new Expect(405, "UNSUPPORTED"));
            case 18 -> check(i, "invalid tag", client.get("/v2/lib/app/manifests/-bad"), new Expect(400, "MANIFEST_INVALID"));
            default -> check(i, "manifest of missing blobs", client.send("PUT", "/v2/a/manifests/v1",
                    manifest(Digest.of(random(10, i)), 10, Digest.of(random(11, i)), 11), AUTH, bearer,
                    "Content-Type", MediaTypes.OCI_MANIFEST), new Expect(400, "MANIFEST_BLOB_UNKNOWN"));
        }
    }

    private void check(int i, String kind, HttpResponse<byte[]> r, Expect expect) {
        String problem = null;
        if (r.statusCode() != expect.status()) {
            problem = "status " + r.statusCode();
        } else if (expect.code() != null) {
            try {
                JsonNode error = Json.MAPPER.readTree(r.body()).get("errors").get(0);
                if (!expect.code().equals(error.get("code").asText())) {
                    problem = "code " + error.get("code").asText();
                }
            } catch (IOException | RuntimeException e) {
                problem = "no error JSON";
            }
        }
        if (problem != null && mismatches.size() < 100) {
            mismatches.add("#" + i + " " + kind + ": " + problem + " (want " + expect + ") "
                    + new String(r.body(), 0, Math.min(200, r.body().length), StandardCharsets.UTF_8));
        }
    }

    /** Not HTTP at all; the server answers 400 or closes, and must not keep the connection. */
    private static void rawGarbage(ImagedProcess node) throws IOException {
        try (Socket s = connect(node)) {
            s.getOutputStream().write("\u0000\u0001GARBAGE /\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            s.getInputStream().readAllBytes();
        }
    }

    /** A push that promises 100,000 bytes, sends 1,000 and hangs up. */
    private static void truncatedUpload(ImagedProcess node) throws IOException {
        try (Socket s = connect(node)) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v2/a/blobs/uploads/?digest=" + Digest.of(new byte[] {2}) + " HTTP/1.1\r\nHost: x\r\n"
                    + "Authorization: Bearer " + TOKEN + "\r\nContent-Length: 100000\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(new byte[1000]);
            out.flush();
        }
    }

    private static Socket connect(ImagedProcess node) throws IOException {
        String[] hp = node.httpAddress().split(":");
        Socket s = new Socket();
        s.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 3000);
        s.setSoTimeout(10_000);
        return s;
    }

    static byte[] manifest(Digest config, long configSize, Digest layer, long layerSize) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
                + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + config + "\",\"size\":" + configSize
                + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR_GZIP + "\",\"digest\":\"" + layer
                + "\",\"size\":" + layerSize + "}]}").getBytes(StandardCharsets.UTF_8);
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** The local addresses sockets listen on at {@code port}, from /proc/net/tcp and tcp6 (IPv4 and IPv4-mapped ones decoded). */
    static List<String> listeningAddresses(int port) throws IOException {
        List<String> found = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> rows = Files.readAllLines(Path.of(table));
            // The kernel makes this table anew on every read chunk: a busy machine can hand back a
            // cut line, so skip anything that is not a whole row (the header included).
            for (String line : rows) {
                String[] f = line.trim().split("\\s+");
                String[] local = f.length > 3 ? f[1].split(":") : new String[0];
                if (local.length != 2 || !local[1].matches("[0-9A-F]{4}")) {
                    continue;
                }
                if (!f[3].equals("0A") || Integer.parseInt(local[1], 16) != port) {
                    continue; // not a listening socket on this port
                }
                String hex = local[0];
                if (hex.startsWith("0000000000000000FFFF0000")) {
                    hex = hex.substring(24); // an IPv4-mapped IPv6 address, as Java's sockets bind
                }
                if (hex.length() == 8) {
                    found.add(Integer.parseInt(hex.substring(6, 8), 16) + "." + Integer.parseInt(hex.substring(4, 6), 16) + "."
                            + Integer.parseInt(hex.substring(2, 4), 16) + "." + Integer.parseInt(hex.substring(0, 2), 16));
                } else {
                    found.add("ipv6:" + hex);
                }
            }
        }
        return found;
    }

    static long threads(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("Threads:"))
                    .mapToLong(l -> Long.parseLong(l.substring(8).trim())).findFirst().orElseThrow();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static long fds(long pid) {
        return countFiles(Path.of("/proc/" + pid + "/fd"));
    }

    static long countFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static List<String> storedBlobs(Path data) throws IOException {
        Path sha = data.resolve("blobs/sha256");
        if (!Files.isDirectory(sha)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(sha)) {
            return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

}
