package dev.layerfs.cli.lxc;

import dev.layerfs.imaged.auth.ClientAccess;
import dev.layerfs.imaged.client.ImagePuller;
import dev.layerfs.imaged.client.ImageRef;
import dev.layerfs.imaged.client.Progress;
import dev.layerfs.imaged.client.PulledImage;
import dev.layerfs.imaged.client.RegistryClient;
import dev.layerfs.imaged.layer.LayerStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.util.Optional;

/**
 * Makes containers from imaged images: the union of a private writable branch over the image's
 * layer directories, which live once in the layer store and are shared by every container
 * made from them (no copy).
 */
public final class ContainerCreator {

    private static final Logger log = LoggerFactory.getLogger(ContainerCreator.class);

    private final ContainerWriter writer;
    private final LayerStore store;
    private final Progress progress;
    private final ClientAccess access;

    public ContainerCreator(ContainerWriter writer, LayerStore store, Progress progress) {
        this(writer, store, progress, ClientAccess.NONE);
    }

    /** Pulls with {@code access}'s token and trusted certificates. */
    public ContainerCreator(ContainerWriter writer, LayerStore store, Progress progress, ClientAccess access) {
        this.writer = writer;
        this.store = store;
        this.progress = progress;
        this.access = access;
    }

    /** Pulls the image (layers already in the store are not fetched again) and makes the container. */
    public PulledImage create(ContainerDir container, ImageRef image, URI server) throws IOException {
        return create(container, image, server, Optional.empty());
    }

    /**
     * With {@code lease}, the container holds the lease {@code lxc:NAME} on {@code server} while it
     * runs (see {@link ContainerLeases}); without, it may run on several hosts at once.
     */
    public PulledImage create(ContainerDir container, ImageRef image, URI server, Optional<ContainerWriter.LeaseFiles> lease)
            throws IOException {
        return create(container, image, server, lease, Optional.empty());
    }

    /** As above, the union served by the mount host when {@code host} is given. */
    public PulledImage create(ContainerDir container, ImageRef image, URI server, Optional<ContainerWriter.LeaseFiles> lease,
                              Optional<MountHost> host) throws IOException {
        // Refuse a taken name or an unwritable lxcpath before a long pull, not after.
        ContainerWriter.checkCanCreate(container);
        PulledImage pulled = new ImagePuller(new RegistryClient(server, access), store, progress).pull(image);
        UnionDirs union = UnionDirs.overLayers(container.delta(), pulled.layersTopFirst());
        ImageRecord record = new ImageRecord(image, pulled.manifestDigest(), server);
        ContainerWriter.Contents contents = ContainerWriter.Contents.fromImage(union, record.toText()).withMountHost(host);
        if (lease.isPresent()) {
            contents = contents.withLease(lease.get().lease(), lease.get().imagedLauncher());
        }
        writer.create(container, contents);
        log.debug("created container {} from {} ({}, {} layers)", container.name(), image, pulled.manifestDigest(),
                pulled.layersTopFirst().size());
        return pulled;
    }
}
