package dev.layerfs.imaged.layer;

import dev.layerfs.imaged.oci.Digest;
import java.nio.file.Path;

/**
 * A layer blob on disk, ready to push.
 *
 * @param file      the blob (a tar, gzip-compressed or not, as {@code mediaType} says)
 * @param digest    digest of the blob bytes: the layer's name in a manifest
 * @param size      size of the blob in bytes
 * @param diffId    digest of the uncompressed tar: what the image config lists in rootfs.diff_ids
 * @param mediaType the OCI layer media type
 */
public record PackedLayer(Path file, Digest digest, long size, Digest diffId, String mediaType) {
}
