package dev.layerfs.imaged.meta;

import java.util.List;
import java.util.Map;

/**
 * A stored manifest: its exact bytes and media type, plus what was read from it when it was put:
 * the digests it references (blobs, or child manifests of an index), its subject, artifact type
 * and annotations (for the referrers API).
 */
public record ManifestRecord(String digest, String mediaType, byte[] content, List<String> references,
                             String subject, String artifactType, Map<String, String> annotations) {

    public ManifestRecord {
        references = List.copyOf(references);
        annotations = annotations == null ? null : Map.copyOf(annotations);
    }
}
