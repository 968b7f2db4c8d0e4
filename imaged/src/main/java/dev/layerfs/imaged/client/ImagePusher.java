package dev.layerfs.imaged.client;

import dev.layerfs.imaged.layer.LayerArchive;
import dev.layerfs.imaged.layer.LayerPacker;
import dev.layerfs.imaged.layer.PackedLayer;
import dev.layerfs.imaged.meta.Fence;
import dev.layerfs.imaged.oci.Descriptor;
import dev.layerfs.imaged.oci.Digest;
import dev.layerfs.imaged.oci.ImageConfig;
import dev.layerfs.imaged.oci.Manifest;
import dev.layerfs.imaged.oci.MediaTypes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes a directory or a layer tar as an image: the layer blob, an image config listing its
 * diff_id, and a manifest under the tag. With a base image the new layer goes on top of the
 * base's layers (mounted from the base's repository when the registry allows, copied when not)
 * and the base's config is kept, with one more diff_id.
 */
public final class ImagePusher {

    private static final Logger LOG = LoggerFactory.getLogger(ImagePusher.class);
    static final String ARCHITECTURE = "amd64";

    private final RegistryClient registry;
    private final Progress progress;
    private final LayerDigestCache digests;

    public ImagePusher(RegistryClient registry, Progress progress) {
        this(registry, progress, LayerDigestCache.none());
    }

    /** With {@code digests}, a layer tar pushed before unchanged is not sent again to a registry that has it. */
    public ImagePusher(RegistryClient registry, Progress progress, LayerDigestCache digests) {
        this.registry = registry;
        this.progress = progress;
        this.digests = digests;
    }

    public PushResult push(Path source, ImageRef target, Optional<ImageRef> base) throws IOException {
        return push(source, target, base, Optional.empty());
    }

    /** As {@link #push(Path, ImageRef, Optional)}, the manifest PUT made under {@code fence} (refused once stale). */
    public PushResult push(Path source, ImageRef target, Optional<ImageRef> base, Optional<Fence> fence) throws IOException {
        if (target.isByDigest()) {
            throw new IllegalArgumentException("push target " + target + " must name a tag, not a digest");
        }
        if (!Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(source.toString(), null, "push source does not exist");
        }
        if (!Files.isDirectory(source) && !Files.isRegularFile(source)) {
            throw new IllegalArgumentException("push source " + source + " is neither a directory nor a layer tar");
        }
        registry.ping();
        Optional<BaseImage> baseImage = base.isPresent() ? Optional.of(fetchBase(base.get())) : Optional.empty();
        Path temp = Files.isDirectory(source) ? Files.createTempFile("imaged-push-", ".tar.gz") : null;
        try {
            List<Descriptor> layers = new ArrayList<>();
            if (baseImage.isPresent()) {
                for (Descriptor d : baseImage.get().layers()) {
                    copyBaseLayer(baseImage.get().ref(), target.repository(), d);
                    layers.add(d);
                }
            }
            PackedLayer layer;
            if (temp != null) {
                layer = pack(source, temp);
                ensureBlob(target.repository(), layer.digest(), layer.size(), "layer", RegistryClient.BlobSource.ofFile(layer.file()));
            } else {
                layer = pushTar(target.repository(), source);
            }
            layers.add(new Descriptor(layer.mediaType(), layer.digest(), layer.size()));

            ImageConfig config = baseImage.map(b -> b.config().withLayer(layer.diffId(), "imaged push"))
                    .orElseGet(() -> ImageConfig.linux(ARCHITECTURE, List.of(layer.diffId())));
            byte[] configJson = config.toJson();
            Digest configDigest = Digest.of(configJson);
            ensureBlob(target.repository(), configDigest, configJson.length, "config", () -> new ByteArrayInputStream(configJson));

            Manifest manifest = Manifest.oci(new Descriptor(MediaTypes.OCI_CONFIG, configDigest, configJson.length), layers);
            Digest manifestDigest = registry.putManifest(target.repository(), target.reference(), manifest.toJson(), MediaTypes.OCI_MANIFEST, fence);
            LOG.debug("pushed {} ({} layers) as {}", target, layers.size(), manifestDigest);
            return new PushResult(target, manifestDigest, manifest);
        } finally {
            if (temp != null) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /**
     * A layer tar whose digest is remembered from an earlier push of the unchanged file is not
     * sent when the registry has that blob. Otherwise it is sent while it is checked and digested,
     * in one read of the file (its digest is known only at the end), and the digest remembered.
     */
    private PackedLayer pushTar(String repo, Path tar) throws IOException {
        Optional<LayerDigestCache.Known> known = digests.lookup(tar);
        if (known.isPresent() && alreadyThere(repo, known.get())) {
            PackedLayer layer = known.get().layer();
            progress.start("layer " + tar.getFileName(), layer.size());
            progress.finish("already on the registry");
            return layer;
        }
        Optional<String> stamp = LayerDigestCache.stamp(tar);
        PackedLayer layer = uploadWhileChecking(repo, tar);
        digests.remember(layer, repo, stamp);
        return layer;
    }

    /** Whether the registry has the known layer in {@code repo}, or mounted it there from the repository it was last pushed to. */
    private boolean alreadyThere(String repo, LayerDigestCache.Known known) throws IOException {
        PackedLayer layer = known.layer();
        Optional<Long> size = registry.blobSize(repo, layer.digest());
        if (size.isPresent() && (size.get() == layer.size() || size.get() < 0)) {
            LOG.debug("layer {} is {}, already in {}: not sent", layer.file(), layer.digest(), repo);
            return true;
        }
        if (size.isEmpty() && !known.repository().equals(repo) && registry.mountBlob(repo, layer.digest(), known.repository())) {
            LOG.debug("layer {} is {}, mounted into {} from {}: not sent", layer.file(), layer.digest(), repo, known.repository());
            return true;
        }
        return false;
    }

    /** The tar is sent while it is checked and digested; a tar that is refused leaves nothing stored. */
    private PackedLayer uploadWhileChecking(String repo, Path tar) throws IOException {
        progress.start("layer " + tar.getFileName(), Files.size(tar));
        try {
            PackedLayer layer = registry.uploadWhileWriting(repo, Files.size(tar), progress,
                    body -> LayerArchive.inspect(tar, body), PackedLayer::digest);
            progress.finish("pushed " + layer.digest().hex().substring(0, 12));
            return layer;
        } catch (IOException | RuntimeException e) {
            progress.finish("failed");
            throw e;
        }
    }

    private PackedLayer pack(Path source, Path temp) throws IOException {
        progress.start("packing " + source, -1);
        try {
            PackedLayer layer = new LayerPacker().pack(source, temp, progress::advance);
            progress.finish(layer.digest().toString());
            return layer;
        } catch (IOException | RuntimeException e) {
            progress.finish("failed");
            throw e;
        }
    }

    private record BaseImage(ImageRef ref, List<Descriptor> layers, ImageConfig config) {
    }

    /** The base's manifest and config, checked to be an image we can stack on and later unpack. */
    private BaseImage fetchBase(ImageRef base) throws IOException {
        Manifest manifest = registry.getImageManifest(base.repository(), base.reference());
        ImageConfig config;
        try {
            config = ImageConfig.parse(registry.readSmallBlob(base.repository(), manifest.config().parsedDigest()));
        } catch (IllegalArgumentException e) {
            throw new IOException("base image " + base + ": " + e.getMessage(), e);
        }
        if (config.diffIds().size() != manifest.layers().size()) {
            throw new IOException("base image " + base + " lists " + manifest.layers().size()
                    + " layers but its config has " + config.diffIds().size() + " diff_ids");
        }
        List<Descriptor> layers = new ArrayList<>();
        for (Descriptor d : manifest.layers()) {
            if (!MediaTypes.UNPACKABLE_LAYERS.contains(d.mediaType())) {
                throw new IOException("base image " + base + " has layer " + d.digest() + " of media type "
                        + d.mediaType() + ", which cannot be unpacked into a layerfs branch");
            }
            // Docker's gzip layer type names the same bytes as OCI's; the new manifest is OCI.
            String type = d.mediaType().equals(MediaTypes.DOCKER_LAYER_TAR_GZIP) ? MediaTypes.OCI_LAYER_TAR_GZIP : d.mediaType();
            layers.add(new Descriptor(type, d.parsedDigest(), d.size()));
        }
        return new BaseImage(base, layers, config);
    }

    private void copyBaseLayer(ImageRef base, String repo, Descriptor layer) throws IOException {
        Digest digest = layer.parsedDigest();
        if (registry.blobSize(repo, digest).isPresent()) {
            return;
        }
        if (!base.repository().equals(repo) && registry.mountBlob(repo, digest, base.repository())) {
            return;
        }
        ensureBlob(repo, digest, layer.size(), "base layer",
                () -> new VerifyingInputStream(registry.openBlob(base.repository(), digest), digest, layer.size()));
    }

    private void ensureBlob(String repo, Digest digest, long size, String what, RegistryClient.BlobSource source) throws IOException {
        if (registry.blobSize(repo, digest).isPresent()) {
            LOG.debug("{} {} already in {}", what, digest, repo);
            return;
        }
        progress.start(what + " " + digest.hex().substring(0, 12), size);
        try {
            registry.uploadBlob(repo, digest, size, source, progress);
        } catch (IOException | RuntimeException e) {
            progress.finish("failed");
            throw e;
        }
        progress.finish("pushed");
    }
}
