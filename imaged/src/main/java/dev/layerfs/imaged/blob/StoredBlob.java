package dev.layerfs.imaged.blob;

import dev.layerfs.imaged.oci.Digest;

/** A blob that is durable in a local store: its digest and its size in bytes. */
public record StoredBlob(Digest digest, long size) {
}
