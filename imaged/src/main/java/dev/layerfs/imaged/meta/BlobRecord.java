package dev.layerfs.imaged.meta;

import java.util.List;

/** What the cluster knows of a blob: its digest, size, and the nodes holding its bytes (sorted). */
public record BlobRecord(String digest, long size, List<String> holders) {

    public BlobRecord {
        holders = List.copyOf(holders);
    }
}
