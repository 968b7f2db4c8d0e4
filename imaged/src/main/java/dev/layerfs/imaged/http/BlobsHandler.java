package dev.layerfs.imaged.http;

import dev.layerfs.imaged.meta.BlobRecord;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import dev.layerfs.imaged.server.Registry;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code /v2/<name>/blobs/<digest>}: GET (with Range → 206), HEAD, DELETE. */
final class BlobsHandler {

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

    private final Registry registry;

    BlobsHandler(Registry registry) {
        this.registry = registry;
    }

    void handle(Exchange ex, String repo, String digestText) {
        Digest digest = Registry.parseDigest(digestText);
        switch (ex.method()) {
            case "GET", "HEAD" -> get(ex, repo, digest);
            case "DELETE" -> {
                registry.deleteBlob(repo, digest);
                ex.sendEmpty(202);
            }
            default -> ErrorResponses.unsupported(ex, "blobs");
        }
    }

    private void get(Exchange ex, String repo, Digest digest) {
        BlobRecord blob = registry.statBlob(repo, digest);
        ex.header("Docker-Content-Digest", digest.toString()).header("Accept-Ranges", "bytes");
        Optional<String> range = ex.header("Range");
        if (ex.isHead() && range.isEmpty()) {
            ex.sendHead(200, "application/octet-stream", blob.size()); // metadata answers HEAD: no bytes needed here
            return;
        }
        Path file = registry.openBlob(blob);
        if (range.isEmpty()) {
            ex.sendFile(200, "application/octet-stream", file, 0, blob.size());
            return;
        }
        long[] span = parseRange(range.get(), blob.size());
        ex.header("Content-Range", "bytes " + span[0] + "-" + span[1] + "/" + blob.size());
        ex.sendFile(206, "application/octet-stream", file, span[0], span[1] - span[0] + 1);
    }

    /** {@code bytes=a-b}, {@code bytes=a-} or {@code bytes=-n}, as inclusive [first, last]. */
    static long[] parseRange(String header, long size) {
        Matcher m = RANGE.matcher(header.trim());
        if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
            throw unsatisfiable(header, size);
        }
        long first;
        long last;
        if (m.group(1).isEmpty()) {
            long suffix = Long.parseLong(m.group(2));
            first = Math.max(0, size - suffix);
            last = size - 1;
        } else {
            first = Long.parseLong(m.group(1));
            last = m.group(2).isEmpty() ? size - 1 : Math.min(Long.parseLong(m.group(2)), size - 1);
        }
        if (first > last || first >= size) {
            throw unsatisfiable(header, size);
        }
        return new long[] {first, last};
    }

    private static RegistryException unsatisfiable(String header, long size) {
        return new RegistryException(ErrorCode.BLOB_UNKNOWN, 416,
                "range '" + header + "' cannot be served from a blob of " + size + " bytes", null);
    }
}
