package dev.layerfs.imaged.server;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.layerfs.imaged.oci.Descriptor;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.Manifest;
import dev.layerfs.imaged.oci.MediaTypes;
import dev.layerfs.imaged.oci.RegistryException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the registry needs from a manifest being put: its media type, the digests it references
 * (config and layers of an image manifest, child manifests of an index), its subject and artifact
 * type. Anything malformed is MANIFEST_INVALID naming the problem.
 */
record ParsedManifest(String mediaType, List<String> references, String subject, String artifactType) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The fields of an image index (or Docker manifest list) we read. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Index(int schemaVersion, String mediaType, String artifactType, List<Descriptor> manifests,
                 Descriptor subject, Map<String, String> annotations) {
    }

    /** Parses {@code body}, sent with Content-Type {@code contentType} (may be null). */
    static ParsedManifest parse(String contentType, byte[] body) {
        String declared = declaredMediaType(body);
        String mediaType = contentType != null && !contentType.isBlank() ? contentType : declared;
        if (mediaType == null) {
            throw invalid("manifest has no media type (neither Content-Type nor a mediaType field)");
        }
        if (declared != null && !declared.equals(mediaType)) {
            throw invalid("Content-Type " + mediaType + " does not match the manifest's mediaType " + declared);
        }
        if (!MediaTypes.MANIFESTS.contains(mediaType)) {
            throw invalid("unsupported manifest media type " + mediaType);
        }
        try {
            if (mediaType.equals(MediaTypes.OCI_INDEX) || mediaType.equals(MediaTypes.DOCKER_MANIFEST_LIST)) {
                return parseIndex(mediaType, body);
            }
            Manifest m = Manifest.parse(body);
            List<String> refs = new ArrayList<>();
            refs.add(m.config().parsedDigest().toString());
            for (Descriptor layer : m.layers()) {
                refs.add(layer.parsedDigest().toString());
            }
            String subject = m.subject() == null ? null : m.subject().parsedDigest().toString();
            String artifactType = m.artifactType() != null ? m.artifactType() : m.config().mediaType();
            return new ParsedManifest(mediaType, List.copyOf(refs), subject, artifactType);
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
    }

    private static ParsedManifest parseIndex(String mediaType, byte[] body) {
        Index index;
        try {
            index = JSON.readValue(body, Index.class);
        } catch (IOException e) {
            throw invalid("index is not valid JSON: " + e.getMessage());
        }
        if (index.schemaVersion() != 2 || index.manifests() == null) {
            throw invalid("index must have schemaVersion 2 and a manifests array");
        }
        List<String> refs = new ArrayList<>();
        for (Descriptor d : index.manifests()) {
            refs.add(d.parsedDigest().toString());
        }
        String subject = index.subject() == null ? null : index.subject().parsedDigest().toString();
        return new ParsedManifest(mediaType, List.copyOf(refs), subject, index.artifactType());
    }

    private static String declaredMediaType(byte[] body) {
        try {
            var node = JSON.readTree(body);
            return node != null && node.hasNonNull("mediaType") ? node.get("mediaType").asText() : null;
        } catch (IOException e) {
            throw invalid("manifest is not valid JSON: " + e.getMessage());
        }
    }

    private static RegistryException invalid(String message) {
        return new RegistryException(ErrorCode.MANIFEST_INVALID, message);
    }
}
