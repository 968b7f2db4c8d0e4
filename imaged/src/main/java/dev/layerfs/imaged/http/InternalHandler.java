package dev.layerfs.imaged.http;

import dev.layerfs.imaged.blob.BlobStore;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import dev.layerfs.imaged.server.Registry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Node-to-node endpoints, not part of the OCI API: {@code /internal/blobs/<digest>} serves and
 * receives this node's blob bytes (a PUT answers 201 only once the verified blob is fsynced),
 * and {@code /internal/status} reports the node's Raft role and applied state.
 */
final class InternalHandler {

    private final BlobStore store;
    private final Supplier<Object> status;

    InternalHandler(BlobStore store, Supplier<Object> status) {
        this.store = store;
        this.status = status;
    }

    void blob(Exchange ex, String digestText) throws IOException {
        Digest digest = Registry.parseDigest(digestText);
        switch (ex.method()) {
            case "GET", "HEAD" -> {
                Path file = store.find(digest).orElseThrow(() ->
                        new RegistryException(ErrorCode.BLOB_UNKNOWN, "this node does not hold blob " + digest));
                ex.sendFile(200, "application/octet-stream", file, 0, Files.size(file));
            }
            case "PUT" -> {
                try (InputStream body = ex.body()) {
                    store.put(Optional.of(digest), ex.contentLength(), body);
                }
                ex.sendEmpty(201);
            }
            default -> ErrorResponses.unsupported(ex, "internal blobs");
        }
    }

    void status(Exchange ex) {
        ex.sendJson(200, status.get());
    }
}
