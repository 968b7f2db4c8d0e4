package dev.layerfs.imaged.http;

import dev.layerfs.imaged.meta.ManifestRecord;
import dev.layerfs.imaged.server.Registry;
import java.io.IOException;

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
                ManifestRecord m = registry.putManifest(repo, reference, type, body);
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

}
