package dev.layerfs.imaged.meta;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * A stored manifest: its exact bytes and media type, plus what was read from it when it was put:
 * the digests it references (blobs, or child manifests of an index), its subject and artifact type
 * (for the referrers API). Annotations are not copied out: they can be as large as the manifest,
 * and the Raft entry carries the bytes once.
 */
public record ManifestRecord(String digest, String mediaType, byte[] content, List<String> references,
                             String subject, String artifactType) {

    public ManifestRecord {
        references = List.copyOf(references);
    }

    /** The manifest's top-level annotations, read from its bytes; null when it has none. */
    @JsonIgnore
    public Map<String, String> annotations() {
        try {
            JsonNode node = Json.MAPPER.readTree(content).get("annotations");
            return node == null || !node.isObject() ? null
                    : Json.MAPPER.convertValue(node, new TypeReference<Map<String, String>>() { });
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }
}
