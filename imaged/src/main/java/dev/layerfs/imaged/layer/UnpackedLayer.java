package dev.layerfs.imaged.layer;

import dev.layerfs.imaged.oci.Digest;
import java.nio.file.Path;

/**
 * A layer unpacked into its directory.
 *
 * @param directory the layer directory, complete
 * @param diffId    digest of the uncompressed tar (checked against the image config's diff_ids)
 * @param entries   number of archive entries
 */
public record UnpackedLayer(Path directory, Digest diffId, long entries) {
}
