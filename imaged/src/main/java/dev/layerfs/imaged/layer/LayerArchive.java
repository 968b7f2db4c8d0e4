package dev.layerfs.imaged.layer;

import dev.layerfs.imaged.oci.MediaTypes;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * A layer tar that already exists as a file ({@code .tar} or {@code .tar.gz}): checked to be a
 * readable tar whose entry names stay inside the layer, and digested both ways, so it can be
 * pushed as it is.
 */
public final class LayerArchive {

    private LayerArchive() {
    }

    public static PackedLayer inspect(Path file) throws IOException {
        HashingInputStream compressed = new HashingInputStream(Files.newInputStream(file));
        try (BufferedInputStream in = new BufferedInputStream(compressed, 1 << 16)) {
            in.mark(2);
            boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
            in.reset();
            HashingInputStream uncompressed;
            try {
                uncompressed = new HashingInputStream(gzip ? new GzipCompressorInputStream(in, true) : in);
                TarArchiveInputStream tar = new TarArchiveInputStream(uncompressed, "UTF-8");
                long entries = 0;
                for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; entries++) {
                    LayerUnpacker.components(e.getName(), e.getName());
                    if (e.isLink()) {
                        LayerUnpacker.components(e.getLinkName(), e.getName());
                    }
                }
                if (entries == 0) {
                    throw new LayerRefusedException(null, file + " holds no tar entries");
                }
                uncompressed.transferTo(java.io.OutputStream.nullOutputStream()); // digests the rest
            } catch (LayerRefusedException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw new LayerRefusedException(null, file + " is not a readable " + (gzip ? "gzip-compressed " : "") + "tar: " + e.getMessage(), e);
            }
            return new PackedLayer(file, compressed.digest(), compressed.count(), uncompressed.digest(),
                    gzip ? MediaTypes.OCI_LAYER_TAR_GZIP : MediaTypes.OCI_LAYER_TAR);
        }
    }
}
