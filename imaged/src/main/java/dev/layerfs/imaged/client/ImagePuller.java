package dev.layerfs.imaged.client;

import dev.layerfs.imaged.layer.LayerStore;
import dev.layerfs.imaged.oci.Descriptor;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.ImageConfig;
import dev.layerfs.imaged.oci.Manifest;
import dev.layerfs.imaged.oci.MediaTypes;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls an image into the layer store: fetches the manifest and config, then each layer the
 * store lacks, unpacking it as it downloads (into a temp tree that is renamed into place only
 * at the end) while checking its size and digest and the unpacked content's diff_id. The
 * digest is checked when the download ends, before the rename, so a layer that fails any check
 * leaves nothing.
 */
public final class ImagePuller {

    private static final Logger LOG = LoggerFactory.getLogger(ImagePuller.class);

    private final RegistryClient registry;
    private final LayerStore store;
    private final Progress progress;

    public ImagePuller(RegistryClient registry, LayerStore store, Progress progress) {
        this.registry = registry;
        this.store = store;
        this.progress = progress;
    }

    public PulledImage pull(ImageRef ref) throws IOException {
        String repo = ref.repository();
        RegistryClient.ImageManifest image = registry.resolveImage(repo, ref.reference());
        Manifest manifest = image.manifest();
        ImageConfig config;
        try {
            config = ImageConfig.parse(registry.readSmallBlob(repo, manifest.config().parsedDigest()));
        } catch (IllegalArgumentException e) {
            throw new IOException("image " + ref + ": " + e.getMessage(), e);
        }
        if (config.diffIds().size() != manifest.layers().size()) {
            throw new IOException("image " + ref + " lists " + manifest.layers().size()
                    + " layers but its config has " + config.diffIds().size() + " diff_ids");
        }
        for (Descriptor d : manifest.layers()) {
            if (!MediaTypes.UNPACKABLE_LAYERS.contains(d.mediaType())) {
                throw new IOException("image " + ref + " has layer " + d.digest() + " of media type " + d.mediaType()
                        + ", which cannot be unpacked into a layerfs branch");
            }
        }
        List<Path> dirs = new ArrayList<>();
        for (int i = 0; i < manifest.layers().size(); i++) {
            Descriptor layer = manifest.layers().get(i);
            dirs.add(fetchLayer(repo, layer, config.diffIds().get(i)));
        }
        Collections.reverse(dirs);
        LOG.debug("pulled {} ({}): {} layers", ref, image.digest(), dirs.size());
        return new PulledImage(ref, image.digest(), dirs);
    }

    private Path fetchLayer(String repo, Descriptor layer, Digest diffId) throws IOException {
        Digest digest = layer.parsedDigest();
        Optional<Path> present = store.find(digest);
        if (present.isPresent()) {
            LOG.debug("layer {} already in the store", digest);
            return present.get();
        }
        String label = "layer " + digest.hex().substring(0, 12);
        VerifyingInputStream[] download = {null};
        ReadAhead[] ahead = {null};
        try {
            Path dir = store.ensure(digest, Optional.of(diffId), () -> {
                progress.start(label, layer.size());
                download[0] = new VerifyingInputStream(progress.counting(registry.openBlob(repo, digest)), digest, layer.size());
                // Downloaded and digested on a second thread while this one unpacks.
                ahead[0] = new ReadAhead(download[0], "imaged-download-" + digest.hex().substring(0, 12));
                return new UnclosedInputStream(ahead[0]);
            }, true);
            if (download[0] != null) {
                progress.finish("unpacked");
            }
            return dir;
        } catch (IOException | RuntimeException e) {
            if (download[0] == null) {
                throw e;
            }
            progress.finish("failed");
            if (ahead[0] != null) {
                ahead[0].close(); // the download is this thread's again, to be read to its end
            }
            throw blame(repo, digest, download[0], e);
        } finally {
            if (ahead[0] != null) {
                ahead[0].close();
            }
            if (download[0] != null) {
                download[0].close();
            }
        }
    }

    /**
     * The layer is unpacked while it downloads, so the unpacker may refuse bytes that were never
     * the layer's: when it fails, the rest of the blob is read and checked, and a blob that is
     * not what the manifest promised is reported as exactly that (the unpacker has already
     * removed its temp tree either way).
     */
    private static IOException blame(String repo, Digest digest, VerifyingInputStream download, Exception failure) {
        try {
            download.verifyToEnd();
        } catch (IOException wrongBlob) {
            IOException e = new IOException("layer " + digest + " of " + repo + ": " + wrongBlob.getMessage(), wrongBlob);
            e.addSuppressed(failure);
            return e;
        }
        if (failure instanceof IOException io) {
            return io;
        }
        throw (RuntimeException) failure;
    }

    /** Hands the download to the layer store without letting it close it: a failed unpack still reads it to the end. */
    private static final class UnclosedInputStream extends FilterInputStream {
        UnclosedInputStream(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
        }
    }
}
