package dev.layerfs.imaged.faults;

import dev.layerfs.imaged.faults.Op.Kind;
import dev.layerfs.imaged.faults.Op.Outcome;
import dev.layerfs.imaged.oci.Digest;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The client side of the workload: each call is one OCI request to one node, timed and classified
 * into an {@link Op} that is recorded in the history before it is returned.
 */
final class RegistryOps {

    static final String REPO = "faults/app";
    static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";

    private final History history;
    private final int client;
    private final Duration timeout;
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1)
            .build();

    RegistryOps(History history, int client, Duration timeout) {
        this.history = history;
        this.client = client;
        this.timeout = timeout;
    }

    /** Monolithic push: {@code POST /v2/<repo>/blobs/uploads/?digest=}. */
    Op pushBlob(Endpoint node, byte[] content) {
        String digest = Digest.of(content).toString();
        long start = history.now();
        Outcome outcome;
        String error = "";
        try {
            HttpResponse<String> r = send(node, "POST", "/v2/" + REPO + "/blobs/uploads/?digest=" + digest, content,
                    "application/octet-stream");
            outcome = writeOutcome(r.statusCode());
            error = outcome == Outcome.OK ? "" : r.statusCode() + " " + r.body();
        } catch (IOException e) {
            outcome = failureOutcome(e);
            error = e.toString();
        }
        return record(new Op(history.nextId(), client, node.id(), Kind.PUSH_BLOB, digest, digest, -1,
                start, history.now(), outcome, error));
    }

    /**
     * Chunked push: POST a session, PATCH {@code chunks} pieces, PUT {@code ?digest=}. Only the
     * final PUT can acknowledge; a failure before it means the blob was not pushed.
     */
    Op pushBlobChunked(Endpoint node, byte[] content, int chunks) {
        String digest = Digest.of(content).toString();
        long start = history.now();
        Outcome outcome;
        String error = "";
        boolean finalSent = false;
        try {
            HttpResponse<String> r = send(node, "POST", "/v2/" + REPO + "/blobs/uploads/", null, null);
            if (r.statusCode() != 202) {
                throw new RefusedStep("POST answered " + r.statusCode() + " " + r.body());
            }
            String location = r.headers().firstValue("Location").orElseThrow(() -> new RefusedStep("POST gave no Location"));
            int step = (content.length + chunks - 1) / chunks;
            for (int from = 0; from < content.length; from += step) {
                int to = Math.min(content.length, from + step);
                r = send(node, "PATCH", location, java.util.Arrays.copyOfRange(content, from, to), "application/octet-stream",
                        "Content-Range", from + "-" + (to - 1));
                if (r.statusCode() != 202) {
                    throw new RefusedStep("PATCH " + from + "-" + (to - 1) + " answered " + r.statusCode() + " " + r.body());
                }
                location = r.headers().firstValue("Location").orElse(location);
            }
            finalSent = true;
            r = send(node, "PUT", location + (location.contains("?") ? "&" : "?") + "digest=" + digest, null, null);
            outcome = writeOutcome(r.statusCode());
            error = outcome == Outcome.OK ? "" : "PUT answered " + r.statusCode() + " " + r.body();
        } catch (RefusedStep e) {
            outcome = Outcome.FAIL;
            error = e.getMessage();
        } catch (IOException e) {
            // Lost during POST or PATCH: the blob cannot have been stored. Lost during the final PUT: unknown.
            outcome = finalSent ? failureOutcome(e) : Outcome.FAIL;
            error = e.toString();
        }
        return record(new Op(history.nextId(), client, node.id(), Kind.PUSH_BLOB, digest, digest, -1,
                start, history.now(), outcome, error));
    }

    /** A step before the final PUT was refused: the blob was not pushed. */
    private static final class RefusedStep extends IOException {
        RefusedStep(String message) {
            super(message);
        }
    }

    /** {@code PUT /v2/<repo>/manifests/<tag>} of a manifest whose blobs were pushed before. */
    Op putTag(Endpoint node, String tag, long seq, byte[] manifest) {
        String digest = Digest.of(manifest).toString();
        long start = history.now();
        Outcome outcome;
        String error = "";
        try {
            HttpResponse<String> r = send(node, "PUT", "/v2/" + REPO + "/manifests/" + tag, manifest, MANIFEST_TYPE);
            outcome = writeOutcome(r.statusCode());
            error = outcome == Outcome.OK ? "" : r.statusCode() + " " + r.body();
        } catch (IOException e) {
            outcome = failureOutcome(e);
            error = e.toString();
        }
        return record(new Op(history.nextId(), client, node.id(), Kind.PUT_TAG, tag, digest, seq,
                start, history.now(), outcome, error));
    }

    /** A linearizable (default) read of a tag: the digest of the manifest it names, "" when absent. */
    Op readTag(Endpoint node, String tag) {
        long start = history.now();
        Outcome outcome;
        String value = "";
        String error = "";
        try {
            HttpResponse<String> r = send(node, "GET", "/v2/" + REPO + "/manifests/" + tag, null, null);
            if (r.statusCode() == 200) {
                outcome = Outcome.OK;
                value = Digest.of(r.body().getBytes(StandardCharsets.UTF_8)).toString();
            } else if (r.statusCode() == 404) {
                outcome = Outcome.OK;
            } else {
                outcome = Outcome.FAIL;
                error = r.statusCode() + " " + r.body();
            }
        } catch (IOException e) {
            outcome = Outcome.FAIL; // a read that did not answer tells nothing
            error = e.toString();
        }
        return record(new Op(history.nextId(), client, node.id(), Kind.READ_TAG, tag, value, -1,
                start, history.now(), outcome, error));
    }

    /** A tiny image manifest; the seq annotation makes every write's value unique. */
    static byte[] manifest(byte[] config, String layerDigest, long layerSize, String tag, long seq) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + MANIFEST_TYPE + "\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + Digest.of(config)
                + "\",\"size\":" + config.length + "},"
                + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + layerDigest
                + "\",\"size\":" + layerSize + "}],"
                + "\"annotations\":{\"dev.layerfs.faults.tag\":\"" + tag + "\",\"dev.layerfs.faults.seq\":\"" + seq + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    static byte[] config(String tag, long seq) {
        return ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"tag\":\"" + tag
                + "\",\"seq\":\"" + seq + "\"}}}").getBytes(StandardCharsets.UTF_8);
    }

    private Op record(Op op) {
        history.record(op);
        return op;
    }

    private HttpResponse<String> send(Endpoint node, String method, String path, byte[] body, String type,
                                      String... headers) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + node.httpAddress() + path))
                .timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (type != null) {
            b.header("Content-Type", type);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** 201 acknowledges; a 4xx refuses (nothing changed); a 5xx may have half-happened. */
    private static Outcome writeOutcome(int status) {
        if (status == 201) {
            return Outcome.OK;
        }
        return status >= 400 && status < 500 ? Outcome.FAIL : Outcome.UNKNOWN;
    }

    /** Never connected: it did not happen. Anything after the request may have left: unknown. */
    private static Outcome failureOutcome(IOException e) {
        if (e instanceof HttpConnectTimeoutException || e instanceof ConnectException
                || e.getCause() instanceof ConnectException) {
            return Outcome.FAIL;
        }
        if (e instanceof HttpTimeoutException) {
            return Outcome.UNKNOWN;
        }
        return Outcome.UNKNOWN;
    }
}
