package dev.layerfs.imaged.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * An image manifest (OCI or Docker schema 2). Parsing and validation live here so the registry
 * and the clients agree on what a well-formed manifest is.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Manifest(int schemaVersion, String mediaType, String artifactType, Descriptor config,
                       List<Descriptor> layers, Descriptor subject, Map<String, String> annotations) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A new OCI image manifest for a config and its layers, bottom layer first. */
    public static Manifest oci(Descriptor config, List<Descriptor> layers) {
        return new Manifest(2, MediaTypes.OCI_MANIFEST, null, config, List.copyOf(layers), null, null);
    }

    /** Parses and validates an image manifest; the message names what is wrong. */
    public static Manifest parse(byte[] json) {
        Manifest m;
        try {
            m = JSON.readValue(json, Manifest.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("manifest is not valid JSON: " + e.getMessage(), e);
        }
        if (m.schemaVersion != 2) {
            throw new IllegalArgumentException("manifest schemaVersion must be 2, got " + m.schemaVersion);
        }
        if (m.config == null) {
            throw new IllegalArgumentException("manifest has no config descriptor");
        }
        m.config.parsedDigest();
        if (m.layers == null) {
            throw new IllegalArgumentException("manifest has no layers array");
        }
        for (Descriptor layer : m.layers) {
            layer.parsedDigest();
            if (layer.size() < 0) {
                throw new IllegalArgumentException("layer " + layer.digest() + " has a negative size");
            }
        }
        return m;
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise manifest", e);
        }
    }
}
