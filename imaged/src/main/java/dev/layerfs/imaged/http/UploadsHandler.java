package dev.layerfs.imaged.http;

import dev.layerfs.imaged.blob.StoredBlob;
import dev.layerfs.imaged.blob.Upload;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import dev.layerfs.imaged.server.Registry;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code /v2/<name>/blobs/uploads/[<id>]}: start (POST, also monolithic {@code ?digest=} and
 * cross-repository {@code ?mount=&from=}), chunks (PATCH with Content-Range), status (GET),
 * finish (PUT {@code ?digest=}), cancel (DELETE).
 */
final class UploadsHandler {

    private static final Pattern CONTENT_RANGE = Pattern.compile("(?:bytes )?(\\d+)-(\\d+)(?:/\\d+|/\\*)?");

    private final Registry registry;

    UploadsHandler(Registry registry) {
        this.registry = registry;
    }

    void start(Exchange ex, String repo) throws IOException {
        if (!"POST".equals(ex.method())) {
            ErrorResponses.unsupported(ex, "blob uploads");
            return;
        }
        Optional<String> mount = ex.param("mount");
        if (mount.isPresent() && ex.param("from").isPresent()) {
            Digest digest = Registry.parseDigest(mount.get());
            if (registry.mount(repo, ex.param("from").get(), digest)) {
                created(ex, repo, digest);
                return;
            }
        }
        Optional<String> digest = ex.param("digest");
        if (digest.isPresent()) {
            try (InputStream body = ex.body()) {
                StoredBlob blob = registry.putBlob(repo, Registry.parseDigest(digest.get()), ex.contentLength(), body);
                created(ex, repo, blob.digest());
            }
            return;
        }
        accepted(ex, registry.startUpload(repo), 202);
    }

    void session(Exchange ex, String repo, String id) throws IOException {
        switch (ex.method()) {
            case "GET" -> accepted(ex, registry.uploadStatus(repo, id), 204);
            case "PATCH" -> {
                long start = contentRangeStart(ex);
                try (InputStream body = ex.body()) {
                    registry.appendChunk(repo, id, start, body);
                }
                accepted(ex, registry.uploadStatus(repo, id), 202);
            }
            case "PUT" -> {
                Digest digest = Registry.parseDigest(ex.param("digest").orElseThrow(() ->
                        new RegistryException(ErrorCode.DIGEST_INVALID, "PUT to upload " + id + " needs ?digest=")));
                long start = contentRangeStart(ex);
                try (InputStream body = ex.body()) {
                    StoredBlob blob = registry.finishUpload(repo, id, start, digest, body);
                    created(ex, repo, blob.digest());
                }
            }
            case "DELETE" -> {
                registry.cancelUpload(repo, id);
                ex.sendEmpty(204);
            }
            default -> ErrorResponses.unsupported(ex, "upload sessions");
        }
    }

    private static long contentRangeStart(Exchange ex) {
        Optional<String> range = ex.header("Content-Range");
        if (range.isEmpty()) {
            return -1;
        }
        Matcher m = CONTENT_RANGE.matcher(range.get().trim());
        if (!m.matches() || Long.parseLong(m.group(2)) < Long.parseLong(m.group(1))) {
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, 416, "malformed Content-Range '" + range.get() + "'", null);
        }
        return Long.parseLong(m.group(1));
    }

    private static void created(Exchange ex, String repo, Digest digest) {
        ex.header("Location", "/v2/" + repo + "/blobs/" + digest)
                .header("Docker-Content-Digest", digest.toString())
                .sendEmpty(201);
    }

    private static void accepted(Exchange ex, Upload upload, int status) {
        ex.header("Location", "/v2/" + upload.repository() + "/blobs/uploads/" + upload.id())
                .header("Range", "0-" + Math.max(0, upload.size() - 1))
                .header("Docker-Upload-UUID", upload.id())
                .sendEmpty(status);
    }
}
