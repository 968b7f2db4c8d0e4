package dev.layerfs.imaged.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.layerfs.imaged.auth.ClientAccess;
import dev.layerfs.imaged.auth.Credentials;
import dev.layerfs.imaged.meta.Fence;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.Manifest;
import dev.layerfs.imaged.oci.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of the OCI Distribution API (v2), over {@link HttpCall}: what push and pull need,
 * spoken the standard way so it works against any registry, imaged included. Errors carry the
 * registry's OCI error code; a registry that does not answer at all is a
 * {@link RegistryUnreachableException}.
 */
public final class RegistryClient {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");

    /**
     * The default chunk size: none. A blob goes up as one streamed request, so reading, sending
     * and the registry's writing overlap; a chunk size makes blobs above it go up as one PATCH
     * per chunk instead (each held in memory and acknowledged before the next is read).
     */
    public static final int STREAMED = 0;

    /** Where imaged says a write committed (its Raft index); see {@link #writeIndex()}. */
    public static final String WRITE_INDEX_HEADER = "Imaged-Index";

    /** Manifests and configs are small; a bigger one is refused rather than held in memory. */
    private static final int MAX_DOCUMENT = 4 << 20;

    static final String MANIFEST_ACCEPT = String.join(", ", MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST_V2,
            MediaTypes.OCI_INDEX, MediaTypes.DOCKER_MANIFEST_LIST);

    /** A manifest as fetched: the exact bytes (their digest is the manifest's name), its type, its digest. */
    public record FetchedManifest(byte[] body, String mediaType, Digest digest) {
    }

    /** Where a blob upload's bytes come from; opened once per attempt. */
    @FunctionalInterface
    public interface BlobSource {
        InputStream open() throws IOException;

        static BlobSource ofFile(Path file) {
            return () -> Files.newInputStream(file);
        }
    }

    private final URI server;
    private final int chunkSize;
    private final ClientAccess access;
    private final Map<String, String> headers;
    private final AtomicLong writeIndex = new AtomicLong();

    public RegistryClient(URI server) {
        this(server, STREAMED);
    }

    /** {@code chunkSize} above 0: blobs bigger than that are uploaded in chunks of that size (resumable by offset). */
    public RegistryClient(URI server, int chunkSize) {
        this(server, chunkSize, ClientAccess.NONE);
    }

    /** Sends {@code access}'s token on every request and trusts its certificates for https. */
    public RegistryClient(URI server, ClientAccess access) {
        this(server, STREAMED, access);
    }

    public RegistryClient(URI server, int chunkSize, ClientAccess access) {
        String s = server.toString();
        this.server = URI.create(s.endsWith("/") ? s : s + "/");
        this.chunkSize = chunkSize;
        this.access = access;
        this.headers = Map.of();
    }

    private RegistryClient(RegistryClient from, Map<String, String> headers) {
        this.server = from.server;
        this.chunkSize = from.chunkSize;
        this.access = from.access;
        this.headers = Map.copyOf(headers);
    }

    /**
     * This client sending {@code headers} with every request too, e.g. {@code Imaged-Consistency:
     * local} or {@code Imaged-Min-Index: N} for reads.
     */
    public RegistryClient withHeaders(Map<String, String> headers) {
        return new RegistryClient(this, headers);
    }

    /** The highest Raft index imaged reported for this client's writes ({@code Imaged-Index}), if any. */
    public OptionalLong writeIndex() {
        long i = writeIndex.get();
        return i > 0 ? OptionalLong.of(i) : OptionalLong.empty();
    }

    public URI server() {
        return server;
    }

    /** GET /v2/: is this an OCI registry we can talk to? */
    public void ping() throws IOException {
        HttpCall.Reply r = call("GET", "v2/");
        expect(r, "registry API check at " + server, 200);
    }

    /** HEAD a blob: its size if the repository has it. */
    public Optional<Long> blobSize(String repo, Digest digest) throws IOException {
        HttpCall.Reply r = call("HEAD", blobPath(repo, digest));
        if (r.status() == 404) {
            return Optional.empty();
        }
        if (r.status() != 200) {
            throw error(r.status(), new byte[0], "blob HEAD " + repo + "@" + digest);
        }
        return Optional.of(r.header("Content-Length").map(RegistryClient::number).orElse(-1L));
    }

    /**
     * Asks the registry to mount a blob from another repository it holds (no bytes sent).
     * True if mounted; false if the registry declined (the caller uploads instead).
     */
    public boolean mountBlob(String repo, Digest digest, String fromRepo) throws IOException {
        String path = "v2/" + repo + "/blobs/uploads/?mount=" + encode(digest.toString()) + "&from=" + encode(fromRepo);
        HttpCall.Reply r = call("POST", path);
        if (r.status() == 201) {
            LOG.debug("mounted {} into {} from {}", digest, repo, fromRepo);
            return true;
        }
        expect(r, "blob mount " + digest + " into " + repo, 202);
        // The registry opened an ordinary upload session instead; it is not used, so close it.
        r.header("Location").ifPresent(loc -> cancelQuietly(server.resolve(loc)));
        return false;
    }

    /**
     * Uploads a blob of known digest and size: one streamed PUT {@code ?digest=} into a fresh
     * upload session, or, with a chunk size and a bigger blob,
     * PATCHes with Content-Range, following the Location the registry returns each time. The
     * registry verifies the digest before it stores anything.
     */
    public void uploadBlob(String repo, Digest digest, long size, BlobSource source, Progress progress) throws IOException {
        HttpCall.Reply started = call("POST", "v2/" + repo + "/blobs/uploads/");
        expect(started, "starting upload of " + digest + " to " + repo, 202);
        URI location = location(started);
        if (chunkSize > 0 && size > chunkSize) {
            uploadChunks(repo, digest, size, source, progress, location);
            return;
        }
        HttpCall.Reply put;
        try (InputStream in = progress.counting(source.open())) {
            put = call("PUT", withDigest(location, digest), Map.of("Content-Type", "application/octet-stream"),
                    HttpCall.Body.of(in, size));
        } catch (RegistryUnreachableException e) {
            throw e;
        } catch (IOException e) {
            // A streamed PUT is not sent twice: if its answer was lost after the registry stored the blob, the blob says so.
            if (stored(repo, digest, size)) {
                LOG.info("uploading {} to {}: the answer was lost ({}), but the registry has the blob", digest, repo, e.toString());
                return;
            }
            throw e;
        }
        expect(put, "uploading " + digest + " to " + repo, 201);
    }

    /** Whether the registry has blob {@code digest} of {@code size} bytes in {@code repo}; false if it cannot say. */
    private boolean stored(String repo, Digest digest, long size) {
        try {
            Optional<Long> stored = blobSize(repo, digest);
            return stored.isPresent() && (stored.get() == size || stored.get() < 0);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Writes a blob's bytes to the stream it is given as it produces them, and answers what it learnt of them. */
    @FunctionalInterface
    public interface BodyWriter<T> {
        T writeTo(OutputStream body) throws IOException;
    }

    /**
     * Uploads a blob whose digest is known only once its bytes have gone by: one streamed PATCH
     * carries the {@code size} bytes {@code writer} writes (while it reads and checks them, say),
     * then a PUT {@code ?digest=} with the digest {@code digestOf} takes from the writer's result
     * closes the session. The registry verifies that digest before it stores anything. When the
     * writer fails the session is cancelled: nothing is stored, and the writer's error is thrown.
     */
    public <T> T uploadWhileWriting(String repo, long size, Progress progress, BodyWriter<T> writer,
                                    java.util.function.Function<T, Digest> digestOf) throws IOException {
        HttpCall.Reply started = call("POST", "v2/" + repo + "/blobs/uploads/");
        expect(started, "starting upload to " + repo, 202);
        URI location = location(started);
        Map<String, String> headers = requestHeaders();
        headers.put("Content-Type", "application/octet-stream");
        if (size > 0) {
            headers.put("Content-Range", "0-" + (size - 1));
        }
        T result;
        StreamedPatch.Answer patched;
        try (StreamedPatch patch = openPatch(location, size, headers)) {
            try {
                result = writer.writeTo(progress.counting(patch.body()));
            } catch (IOException | RuntimeException e) {
                // The registry may have refused the upload and stopped reading: its answer says why.
                Optional<StreamedPatch.Answer> early = patch.earlyAnswer();
                if (early.isPresent() && early.get().status() != 202) {
                    RegistryException refused = error(early.get().status(), early.get().body(), "uploading to " + repo);
                    refused.addSuppressed(e);
                    throw refused;
                }
                throw e;
            }
            patched = patch.finish();
        } catch (IOException | RuntimeException e) {
            cancelQuietly(location); // after the connection closed: nothing is stored
            throw e;
        }
        Digest digest = digestOf.apply(result);
        expect(patched.status(), patched.body(), "uploading " + digest + " to " + repo, 202);
        URI next = server.resolve(patched.header("Location")
                .orElseThrow(() -> new IOException("registry gave no Location for the upload at " + location)));
        completeUpload(repo, next, digest, size);
        return result;
    }

    /**
     * Closes upload session {@code session} with PUT {@code ?digest=}. HttpURLConnection sends a
     * buffered PUT once more when the answer to the first is lost (the connection closed after the
     * registry acted on it); the registry then no longer knows the session and answers 404, though
     * it stored the blob. So a 404 is checked against the blob itself: stored with this digest and
     * size, the upload has done what it was for.
     */
    private void completeUpload(String repo, URI session, Digest digest, long size) throws IOException {
        HttpCall.Reply close = call("PUT", withDigest(session, digest), Map.of(), HttpCall.Body.NONE);
        if (close.status() == 404 && stored(repo, digest, size)) {
            LOG.info("completing upload of {} to {}: the registry no longer knows the session but has the blob "
                    + "(the answer to an earlier attempt was lost)", digest, repo);
            return;
        }
        expect(close, "completing upload of " + digest + " to " + repo, 201);
    }

    private StreamedPatch openPatch(URI location, long size, Map<String, String> headers) throws IOException {
        try {
            return StreamedPatch.open(location, size, headers, access.tls());
        } catch (ConnectException | java.net.SocketTimeoutException e) {
            throw new RegistryUnreachableException(server, e);
        }
    }

    /** Drops an upload session that will not be completed (it would expire on its own anyway). */
    private void cancelQuietly(URI location) {
        try {
            call("DELETE", location, Map.of(), HttpCall.Body.NONE);
        } catch (IOException | RuntimeException ignored) {
            // an abandoned session is purged by the registry
        }
    }

    private void uploadChunks(String repo, Digest digest, long size, BlobSource source, Progress progress, URI location) throws IOException {
        try (InputStream in = progress.counting(source.open())) {
            byte[] chunk = new byte[chunkSize];
            long offset = 0;
            while (offset < size) {
                int n = in.readNBytes(chunk, 0, (int) Math.min(chunkSize, size - offset));
                if (n == 0) {
                    throw new IOException("blob source for " + digest + " ended at " + offset + " of " + size + " bytes");
                }
                Map<String, String> h = requestHeaders();
                h.put("Content-Type", "application/octet-stream");
                h.put("Content-Range", offset + "-" + (offset + n - 1));
                StreamedPatch.Answer patched;
                try (StreamedPatch patch = openPatch(location, n, h)) {
                    patch.body().write(chunk, 0, n);
                    patched = patch.finish();
                }
                expect(patched.status(), patched.body(), "uploading chunk at " + offset + " of " + digest + " to " + repo, 202);
                String at = "registry gave no Location for the upload chunk at " + offset;
                location = server.resolve(patched.header("Location").orElseThrow(() -> new IOException(at)));
                offset += n;
            }
            completeUpload(repo, location, digest, size);
        }
    }

    /** PUTs a manifest under a tag (or digest); returns the digest the registry stored it under. */
    public Digest putManifest(String repo, String reference, byte[] body, String mediaType) throws IOException {
        return putManifest(repo, reference, body, mediaType, Optional.empty());
    }

    /** With a fence: the registry stores it only while the fence's token is its lease's latest grant (else 409). */
    public Digest putManifest(String repo, String reference, byte[] body, String mediaType, Optional<Fence> fence) throws IOException {
        Map<String, String> h = new java.util.LinkedHashMap<>();
        h.put("Content-Type", mediaType);
        fence.ifPresent(f -> {
            h.put(Fence.LEASE_HEADER, f.lease());
            h.put(Fence.TOKEN_HEADER, Long.toString(f.token()));
        });
        HttpCall.Reply r = call("PUT", server.resolve("v2/" + repo + "/manifests/" + reference), h,
                HttpCall.Body.of(body, 0, body.length));
        expect(r, "putting manifest " + repo + ":" + reference, 201);
        Digest ours = Digest.of(body);
        Optional<String> theirs = r.header("Docker-Content-Digest");
        if (theirs.isPresent() && !theirs.get().equals(ours.toString())) {
            throw new IOException("registry stored manifest " + repo + ":" + reference + " as " + theirs.get() + ", but its digest is " + ours);
        }
        return ours;
    }

    /** GETs a manifest (or index) by tag or digest, exactly as stored. */
    public FetchedManifest getManifest(String repo, String reference) throws IOException {
        HttpCall.Reply r = call("GET", server.resolve("v2/" + repo + "/manifests/" + reference), Map.of("Accept", MANIFEST_ACCEPT),
                HttpCall.Body.NONE);
        byte[] body = bounded(r.body(), "manifest " + repo + ":" + reference);
        expect(r.status(), body, "manifest " + repo + ":" + reference, 200);
        Digest digest = Digest.of(body);
        if (reference.startsWith(Digest.SHA256 + ":") && !digest.toString().equals(reference)) {
            throw new IOException("manifest " + repo + "@" + reference + " has digest " + digest);
        }
        String type = r.header("Content-Type").map(t -> t.split(";")[0].trim()).orElse("");
        if (type.isEmpty() || type.equals("application/json")) {
            JsonNode mt = JSON.readTree(body).get("mediaType");
            type = mt != null ? mt.asText() : MediaTypes.OCI_MANIFEST;
        }
        return new FetchedManifest(body, type, digest);
    }

    /**
     * The image manifest for a reference: when the registry holds an index (a multi-platform
     * image), the linux/amd64 entry's manifest.
     */
    public Manifest getImageManifest(String repo, String reference) throws IOException {
        return resolveImage(repo, reference).manifest();
    }

    /** An image manifest with the digest it is stored under. */
    public record ImageManifest(Manifest manifest, Digest digest) {
    }

    public ImageManifest resolveImage(String repo, String reference) throws IOException {
        FetchedManifest fetched = getManifest(repo, reference);
        if (fetched.mediaType().equals(MediaTypes.OCI_INDEX) || fetched.mediaType().equals(MediaTypes.DOCKER_MANIFEST_LIST)) {
            String digest = null;
            for (JsonNode m : JSON.readTree(fetched.body()).path("manifests")) {
                JsonNode platform = m.path("platform");
                if (platform.path("os").asText().equals("linux") && platform.path("architecture").asText().equals("amd64")) {
                    digest = m.path("digest").asText();
                    break;
                }
            }
            if (digest == null) {
                throw new IOException("image " + repo + ":" + reference + " has no linux/amd64 manifest in its index");
            }
            fetched = getManifest(repo, digest);
        }
        try {
            return new ImageManifest(Manifest.parse(fetched.body()), fetched.digest());
        } catch (IllegalArgumentException e) {
            throw new IOException("malformed manifest " + repo + ":" + reference + ": " + e.getMessage(), e);
        }
    }

    /**
     * GETs a blob's bytes (following a redirect to wherever the registry keeps them), read by the
     * caller's thread straight from the connection ({@link BlobDownload}). The caller verifies and closes.
     */
    public InputStream openBlob(String repo, Digest digest) throws IOException {
        URI uri = server.resolve(blobPath(repo, digest));
        BlobDownload.Answer r = BlobDownload.get(server, uri, requestHeaders(), access.tls());
        noteWriteIndex(r.header(WRITE_INDEX_HEADER));
        LOG.debug("GET {} -> {}", uri, r.status());
        if (r.status() != 200) {
            throw error(r.status(), BlobDownload.errorBody(r, MAX_DOCUMENT), "blob " + repo + "@" + digest);
        }
        return r.body();
    }

    /** A small blob (a config) read fully and verified against its digest. */
    public byte[] readSmallBlob(String repo, Digest digest) throws IOException {
        byte[] body;
        try (InputStream in = openBlob(repo, digest)) {
            body = readBounded(in, "blob " + repo + "@" + digest);
        }
        Digest actual = Digest.of(body);
        if (!actual.equals(digest)) {
            throw new IOException("blob " + repo + "@" + digest + " has digest " + actual);
        }
        return body;
    }

    /** Every tag of a repository, following the registry's pagination. */
    public List<String> tags(String repo) throws IOException {
        return tags(repo, 1000);
    }

    /** Every tag, asked for {@code pageSize} at a time (the spec's {@code n}), following each Link to the next page. */
    public List<String> tags(String repo, int pageSize) throws IOException {
        List<String> tags = new ArrayList<>();
        java.util.Set<String> visited = new java.util.HashSet<>();
        String path = "v2/" + repo + "/tags/list?n=" + pageSize;
        while (path != null && visited.add(path)) { // a Link back to a page already read ends the walk
            HttpCall.Reply r = call("GET", path);
            expect(r, "tags of " + repo, 200);
            for (JsonNode t : JSON.readTree(r.body()).path("tags")) {
                if (!tags.contains(t.asText())) {
                    tags.add(t.asText());
                }
            }
            path = r.header("Link").map(NEXT_LINK::matcher).filter(Matcher::find)
                    .map(m -> m.group(1).replaceFirst("^/", "")).orElse(null);
        }
        return tags;
    }

    private static String blobPath(String repo, Digest digest) {
        return "v2/" + repo + "/blobs/" + digest;
    }

    private URI location(HttpCall.Reply r) throws IOException {
        String loc = r.header("Location")
                .orElseThrow(() -> new IOException("registry gave no Location for the upload at " + r.uri()));
        return server.resolve(loc);
    }

    private static URI withDigest(URI location, Digest digest) {
        String s = location.toString();
        return URI.create(s + (s.contains("?") ? "&" : "?") + "digest=" + encode(digest.toString()));
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** What every request carries: who we are, the token, this client's extra headers. */
    private Map<String, String> requestHeaders() {
        Map<String, String> h = new java.util.LinkedHashMap<>();
        h.put("User-Agent", "imaged-client");
        access.token().ifPresent(t -> h.put("Authorization", Credentials.bearer(t)));
        h.putAll(headers);
        return h;
    }

    private HttpCall.Reply call(String method, String path) throws IOException {
        return call(method, server.resolve(path), Map.of(), HttpCall.Body.NONE);
    }

    private HttpCall.Reply call(String method, URI uri, Map<String, String> extra, HttpCall.Body body) throws IOException {
        Map<String, String> h = requestHeaders();
        h.putAll(extra);
        HttpCall.Reply r = HttpCall.send(method, server, uri, h, body, access.tls(), MAX_DOCUMENT);
        noteWriteIndex(r.header(WRITE_INDEX_HEADER));
        LOG.debug("{} {} -> {}", method, uri, r.status());
        return r;
    }

    /** Keeps the highest Raft index imaged reported for a write (a header that is not a number is someone else's). */
    private void noteWriteIndex(Optional<String> header) {
        header.map(RegistryClient::number).filter(i -> i > 0).ifPresent(i -> writeIndex.accumulateAndGet(i, Math::max));
    }

    private static long number(String header) {
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void expect(HttpCall.Reply r, String what, int status) throws RegistryException {
        expect(r.status(), r.body(), what, status);
    }

    private static void expect(int actual, byte[] body, String what, int status) throws RegistryException {
        if (actual != status) {
            throw error(actual, body, what);
        }
    }

    /** The registry's error, from the OCI error body {"errors":[{"code","message","detail"}]} when it sent one. */
    static RegistryException error(int status, byte[] body, String what) {
        String code = "HTTP_" + status;
        String message = null;
        try {
            JsonNode first = body == null || body.length == 0 ? null : JSON.readTree(body).path("errors").path(0);
            if (first != null && first.hasNonNull("code")) {
                code = first.get("code").asText();
                message = first.path("message").asText(null);
            }
        } catch (IOException notJson) {
            message = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8).trim();
        }
        return new RegistryException(what, status, code, message);
    }

    private static byte[] readBounded(InputStream in, String what) throws IOException {
        try (in) {
            return bounded(in.readNBytes(MAX_DOCUMENT + 1), what);
        }
    }

    private static byte[] bounded(byte[] body, String what) throws IOException {
        if (body.length > MAX_DOCUMENT) {
            throw new IOException(what + " is larger than " + MAX_DOCUMENT + " bytes");
        }
        return body;
    }
}
