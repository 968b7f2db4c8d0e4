package dev.layerfs.imaged.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load generator for the metadata path of running imaged nodes, through the OCI HTTP API only
 * (java.net.http, nothing of imaged's own code, so it measures what any client sees).
 *
 * <p>Operations: {@code put} pushes a new tiny manifest under a tag (each request a new digest,
 * so every request is a Raft write that moves a tag); {@code get} reads a manifest by tag and
 * {@code list} the tags list, both linearizable (imaged's default). Client {@code i} talks to node
 * {@code i % nodes}, so followers forward to the leader as they would for real users.
 */
public final class TagLoad {

    static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
    static final String CONFIG_TYPE = "application/vnd.oci.image.config.v1+json";
    static final String LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar";
    /** Tags each client cycles through: updates move existing tags after the first lap. */
    static final int TAGS_PER_CLIENT = 50;

    /** One measured run: operations completed in the window, their latency percentiles, failures. */
    public record Result(String op, int clients, long ops, double seconds, double p50ms, double p99ms,
                         long errors, String firstError) {
        public double perSecond() {
            return ops / seconds;
        }

        public String markdownRow() {
            return String.format("| %s | %d | %.0f | %.2f | %.2f | %d |", op, clients, perSecond(), p50ms, p99ms, errors);
        }
    }

    /** The blobs a manifest refers to, uploaded once per repository. */
    record Image(String configDigest, int configSize, String layerDigest, int layerSize) {
    }

    private final List<URI> nodes;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    public TagLoad(List<URI> nodes) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("no imaged node URLs given");
        }
        this.nodes = List.copyOf(nodes);
    }

    URI node(int client) {
        return nodes.get(client % nodes.size());
    }

    /** Uploads (monolithic POST ?digest=) a config and a layer blob to {@code repo}. */
    public Image prepare(String repo) throws IOException, InterruptedException {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
                + "\"config\":{}}").getBytes(StandardCharsets.UTF_8);
        byte[] layer = new byte[1024]; // two zero blocks: an empty tar
        String cd = uploadBlob(node(0), repo, config);
        String ld = uploadBlob(node(0), repo, layer);
        return new Image(cd, config.length, ld, layer.length);
    }

    public String uploadBlob(URI node, String repo, byte[] content) throws IOException, InterruptedException {
        String digest = sha256(content);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                        node.resolve("/v2/" + repo + "/blobs/uploads/?digest=" + digest))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(content)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 202) { // no monolithic POST (the reference registry): POST, then PUT the bytes
            String location = r.headers().firstValue("Location").orElseThrow(() ->
                    new IOException("upload session on " + node + " has no Location"));
            URI put = node.resolve(location + (location.contains("?") ? "&" : "?") + "digest=" + digest);
            r = http.send(HttpRequest.newBuilder(put).header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(content)).build(), HttpResponse.BodyHandlers.ofString());
        }
        if (r.statusCode() != 201) {
            throw new IOException("blob upload " + digest + " to " + node + " answered " + r.statusCode() + ": " + r.body());
        }
        return digest;
    }

    static byte[] manifest(Image image, String nonce) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + MANIFEST_TYPE + "\","
                + "\"config\":{\"mediaType\":\"" + CONFIG_TYPE + "\",\"digest\":\"" + image.configDigest()
                + "\",\"size\":" + image.configSize() + "},"
                + "\"layers\":[{\"mediaType\":\"" + LAYER_TYPE + "\",\"digest\":\"" + image.layerDigest()
                + "\",\"size\":" + image.layerSize() + "}],"
                + "\"annotations\":{\"bench.nonce\":\"" + nonce + "\"}}").getBytes(StandardCharsets.UTF_8);
    }

    static String tag(int client, long i) {
        return "c" + client + "-" + (i % TAGS_PER_CLIENT);
    }

    /** PUT a new manifest under a tag; answers its digest. */
    public String putManifest(URI node, String repo, String tag, byte[] manifest) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(node.resolve("/v2/" + repo + "/manifests/" + tag))
                .header("Content-Type", MANIFEST_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IOException("PUT manifest " + repo + ":" + tag + " on " + node + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.headers().firstValue("Docker-Content-Digest").orElse("");
    }

    /** GET a manifest by tag; answers its digest (or throws on anything but 200). */
    public String getManifestDigest(URI node, String repo, String tag, boolean local) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(node.resolve("/v2/" + repo + "/manifests/" + tag))
                .header("Accept", MANIFEST_TYPE).GET();
        if (local) {
            b.header("Imaged-Consistency", "local");
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IOException("GET manifest " + repo + ":" + tag + " on " + node + " answered " + r.statusCode());
        }
        return sha256(r.body());
    }

    private void listTags(URI node, String repo) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(node.resolve("/v2/" + repo + "/tags/list")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 || !r.body().contains("\"tags\"")) {
            throw new IOException("GET tags list " + repo + " on " + node + " answered " + r.statusCode());
        }
    }

    /**
     * Runs {@code op} with {@code clients} threads for {@code warmup + window}, counting only what
     * completes inside the window.
     */
    public Result run(String op, String repo, Image image, int clients, Duration warmup, Duration window)
            throws InterruptedException {
        long start = System.nanoTime();
        long measureFrom = start + warmup.toNanos();
        long end = measureFrom + window.toNanos();
        long[][] latencies = new long[clients][];
        int[] counts = new int[clients];
        AtomicLong errors = new AtomicLong();
        String[] firstError = new String[1];
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                long[] lat = new long[1024];
                int n = 0;
                URI node = node(client);
                for (long i = 0; ; i++) {
                    long t0 = System.nanoTime();
                    if (t0 >= end) {
                        break;
                    }
                    try {
                        switch (op) {
                            case "put" -> putManifest(node, repo, tag(client, i),
                                    manifest(image, client + "-" + i + "-" + t0));
                            case "get" -> getManifestDigest(node, repo, readTag(client, i), false);
                            case "list" -> listTags(node, repo);
                            default -> throw new IllegalArgumentException("unknown op " + op + " (put, get, list)");
                        }
                    } catch (IOException e) {
                        if (errors.getAndIncrement() == 0) {
                            firstError[0] = e.getMessage();
                        }
                        continue;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                    long t1 = System.nanoTime();
                    if (t0 >= measureFrom && t1 <= end) {
                        if (n == lat.length) {
                            lat = Arrays.copyOf(lat, n * 2);
                        }
                        lat[n++] = t1 - t0;
                    }
                }
                latencies[client] = lat;
                counts[client] = n;
            }, "tagload-" + op + "-" + c);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        int total = Arrays.stream(counts).sum();
        long[] all = new long[total];
        int at = 0;
        for (int c = 0; c < clients; c++) {
            System.arraycopy(latencies[c], 0, all, at, counts[c]);
            at += counts[c];
        }
        Arrays.sort(all);
        return new Result(op, clients, total, window.toNanos() / 1e9, percentileMs(all, 0.50), percentileMs(all, 0.99),
                errors.get(), firstError[0]);
    }

    static String readTag(int client, long i) {
        return "r" + ((client + i) % TAGS_PER_CLIENT);
    }

    /** Fills {@code repo} with the tags a read run asks for. */
    public void populateReads(String repo, Image image) throws IOException, InterruptedException {
        for (int i = 0; i < TAGS_PER_CLIENT; i++) {
            putManifest(node(i), repo, readTag(0, i), manifest(image, "seed-" + i));
        }
    }

    /**
     * {@code blobs} distinct 1 KiB blobs and {@code tags} tags (each a distinct manifest whose layer
     * is one of those blobs) in {@code repo}, written by {@code threads} clients; answers the digest
     * the last tag, {@code t<tags-1>}, points at.
     */
    public String fill(String repo, Image image, int tags, int blobs, int threads) throws InterruptedException {
        String[] layers = new String[blobs];
        String[] lastDigest = new String[1];
        AtomicLong next = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int w = 0; w < threads; w++) {
            int worker = w;
            Thread t = new Thread(() -> {
                try {
                    for (int b = worker; b < blobs; b += threads) {
                        byte[] content = new byte[1024];
                        new java.util.Random(b * 7919L + 17).nextBytes(content);
                        layers[b] = uploadBlob(node(worker), repo, content);
                    }
                } catch (IOException | InterruptedException e) {
                    failures.add(e.toString());
                }
            });
            workers.add(t);
            t.start();
        }
        for (Thread t : workers) {
            t.join();
        }
        workers.clear();
        if (!failures.isEmpty()) {
            throw new IllegalStateException("blob uploads failed: " + failures.get(0));
        }
        for (int w = 0; w < threads; w++) {
            int worker = w;
            Thread t = new Thread(() -> {
                try {
                    for (long i; (i = next.getAndIncrement()) < tags; ) {
                        Image img = new Image(image.configDigest(), image.configSize(), layers[(int) (i % blobs)], 1024);
                        String d = putManifest(node(worker), repo, "t" + i, manifest(img, "fill-" + i));
                        if (i == tags - 1) {
                            lastDigest[0] = d;
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    failures.add(e.toString());
                }
            });
            workers.add(t);
            t.start();
        }
        for (Thread t : workers) {
            t.join();
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("tag writes failed: " + failures.get(0));
        }
        return lastDigest[0];
    }

    static double percentileMs(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e6;
    }

    static String sha256(byte[] content) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
