package dev.layerfs.imaged.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * An OCI image configuration: the platform and {@code rootfs.diff_ids} (the uncompressed digest
 * of each layer, bottom first). A config from another tool carries more (Env, Cmd, history …);
 * this keeps the whole document and changes only what stacking a layer must change, so a base
 * image's settings survive a push on top of it. Instances are immutable.
 */
public final class ImageConfig {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode document;
    private final List<Digest> diffIds;

    private ImageConfig(ObjectNode document) {
        this.document = document;
        JsonNode rootfs = document.path("rootfs");
        if (!rootfs.path("type").asText().equals("layers") || !rootfs.path("diff_ids").isArray()) {
            throw new IllegalArgumentException("image config has no rootfs of type layers with diff_ids");
        }
        List<Digest> ids = new ArrayList<>();
        for (JsonNode id : rootfs.get("diff_ids")) {
            ids.add(Digest.parse(id.asText()));
        }
        this.diffIds = List.copyOf(ids);
    }

    /** A fresh config for a Linux image of these layers (bottom first). */
    public static ImageConfig linux(String architecture, List<Digest> diffIds) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("architecture", architecture);
        doc.put("os", "linux");
        doc.putObject("config");
        ObjectNode rootfs = doc.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode ids = rootfs.putArray("diff_ids");
        diffIds.forEach(d -> ids.add(d.toString()));
        return new ImageConfig(doc);
    }

    /** Parses a config blob; the message names what is missing or malformed. */
    public static ImageConfig parse(byte[] json) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("image config is not valid JSON: " + e.getMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("image config is not a JSON object");
        }
        return new ImageConfig((ObjectNode) node);
    }

    public List<Digest> diffIds() {
        return diffIds;
    }

    public String architecture() {
        return document.path("architecture").asText();
    }

    public String os() {
        return document.path("os").asText();
    }

    /**
     * This config with one more layer on top. A history, if the config keeps one, gets an entry
     * for it (history must list every layer). No timestamp is added, so pushing the same tree
     * twice gives the same config and manifest digests.
     */
    public ImageConfig withLayer(Digest diffId, String createdBy) {
        ObjectNode doc = document.deepCopy();
        ((ArrayNode) doc.path("rootfs").get("diff_ids")).add(diffId.toString());
        if (doc.path("history").isArray()) {
            ((ArrayNode) doc.get("history")).addObject().put("created_by", createdBy);
        }
        return new ImageConfig(doc);
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(document);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise image config", e);
        }
    }
}
