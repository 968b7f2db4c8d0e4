package dev.layerfs.imaged.client;

import dev.layerfs.imaged.layer.LayerStore;
import dev.layerfs.imaged.oci.Descriptor;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.ImageConfig;
import dev.layerfs.imaged.oci.Manifest;
import dev.layerfs.imaged.oci.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls an image into the layer store: fetches the manifest and config, then each layer the
 * store lacks, verifying digest and size while it downloads, unpacking the verified blob and
 * checking the unpacked content against the config's diff_id. A layer that fails any check
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
        boolean[] downloaded = {false};
        try {
            Path dir = store.ensure(digest, Optional.of(diffId), () -> {
                downloaded[0] = true;
                progress.start(label, layer.size());
                return download(repo, layer, digest);
            });
            if (downloaded[0]) {
                progress.finish("unpacked");
            }
            return dir;
        } catch (IOException | RuntimeException e) {
            if (downloaded[0]) {
                progress.finish("failed");
            }
            throw e;
        }
    }

    /**
     * Downloads a layer blob beside its future directory, checking size and digest as it
     * streams, and opens the verified copy (removed when closed). Unverified bytes are never
     * parsed, so a corrupt or substituted blob is reported as exactly that.
     */
    private InputStream download(String repo, Descriptor layer, Digest digest) throws IOException {
        Path file = Files.createTempFile(store.pathOf(digest).getParent(), "." + digest.hex() + ".unpack-", ".blob");
        try {
            try (InputStream in = new VerifyingInputStream(progress.counting(registry.openBlob(repo, digest)), digest, layer.size());
                 OutputStream out = Files.newOutputStream(file)) {
                in.transferTo(out);
            } catch (IOException e) {
                throw new IOException("layer " + digest + " of " + repo + ": " + e.getMessage(), e);
            }
            return Files.newInputStream(file, StandardOpenOption.DELETE_ON_CLOSE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }
}
