package dev.layerfs.imaged.client;

import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.Manifest;

/** What a push stored: the image reference, its manifest and the manifest's digest. */
public record PushResult(ImageRef ref, Digest manifestDigest, Manifest manifest) {
}
