package dev.layerfs.imaged.client;

import dev.layerfs.imaged.oci.Digest;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A pulled image: its layer directories in the layer store, top layer first, the order of a
 * layerfs branch stack.
 */
public record PulledImage(ImageRef ref, Digest manifestDigest, List<Path> layersTopFirst) {

    public PulledImage {
        layersTopFirst = List.copyOf(layersTopFirst);
    }

    /**
     * The read-only branch list for layerfs, {@code /l3=ro:/l2=ro:/l1=ro}, ready for
     * {@code layerfs mount -o dirs=/container/delta=rw:<this> /mnt}.
     */
    public String branchLine() {
        return layersTopFirst.stream().map(p -> p + "=ro").collect(Collectors.joining(":"));
    }
}
