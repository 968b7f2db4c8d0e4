package dev.layerfs.imaged.http;

import dev.layerfs.imaged.meta.Answers.ReferrerList;
import dev.layerfs.imaged.meta.Json;
import dev.layerfs.imaged.oci.MediaTypes;
import dev.layerfs.imaged.server.Registry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** {@code /v2/<name>/referrers/<digest>[?artifactType=]}: an image index of the manifests whose subject matches. */
final class ReferrersHandler {

    private final Registry registry;

    ReferrersHandler(Registry registry) {
        this.registry = registry;
    }

    void handle(Exchange ex, String repo, String digest) {
        if (!"GET".equals(ex.method())) {
            ErrorResponses.unsupported(ex, "referrers");
            return;
        }
        Optional<String> artifactType = ex.param("artifactType");
        ReferrerList found = registry.referrers(repo, Registry.parseDigest(digest), artifactType.orElse(null));
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaTypes.OCI_INDEX);
        index.put("manifests", found.manifests());
        if (artifactType.isPresent()) {
            ex.header("OCI-Filters-Applied", "artifactType");
        }
        ex.sendBytes(200, MediaTypes.OCI_INDEX, Json.write(index));
    }
}
