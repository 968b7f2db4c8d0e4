package dev.layerfs.imaged.http;

import dev.layerfs.imaged.meta.ManifestRecord;
import dev.layerfs.imaged.server.Registry;
import dev.layerfs.imaged.meta.Fence;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import java.io.IOException;
import java.util.Optional;

/** {@code /v2/<name>/manifests/<reference>}: GET, HEAD, PUT, DELETE. */
final class ManifestsHandler {

    private final Registry registry;

    ManifestsHandler(Registry registry) {
        this.registry = registry;
    }

    void handle(Exchange ex, String repo, String reference) throws IOException {
        switch (ex.method()) {
            case "GET", "HEAD" -> {
                ManifestRecord m = registry.getManifest(repo, reference, RegistryHandler.readMode(ex));
                ex.header("Docker-Content-Digest", m.digest()).sendBytes(200, m.mediaType(), m.content());
            }
            case "PUT" -> {
                byte[] body = ex.bodyBytes(Registry.MAX_MANIFEST_BYTES);
                String type = ex.header("Content-Type").map(t -> t.split(";")[0].trim()).orElse(null);
                ManifestRecord m = registry.putManifest(repo, reference, type, body, fence(ex));
                ex.header("Location", "/v2/" + repo + "/manifests/" + m.digest())
                        .header("Docker-Content-Digest", m.digest());
                if (m.subject() != null) {
                    ex.header("OCI-Subject", m.subject());
                }
                ex.sendEmpty(201);
            }
            case "DELETE" -> {
                registry.deleteManifest(repo, reference);
                ex.sendEmpty(202);
            }
            default -> ErrorResponses.unsupported(ex, "manifests");
        }
    }

    /** The lease a write is made under, from the fence headers: both or neither. */
    private static Optional<Fence> fence(Exchange ex) {
        Optional<String> lease = ex.header(Fence.LEASE_HEADER);
        Optional<String> token = ex.header(Fence.TOKEN_HEADER);
        if (lease.isEmpty() && token.isEmpty()) {
            return Optional.empty();
        }
        if (lease.isEmpty() || token.isEmpty()) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, 400, "a fenced write needs both " + Fence.LEASE_HEADER
                    + " and " + Fence.TOKEN_HEADER + " headers", null);
        }
        try {
            return Optional.of(new Fence(lease.get(), Long.parseLong(token.get().trim())));
        } catch (NumberFormatException e) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, 400, Fence.TOKEN_HEADER + " '" + token.get()
                    + "' is not a number", token.get());
        }
    }
}
