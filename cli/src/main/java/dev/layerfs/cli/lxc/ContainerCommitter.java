package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;
import dev.layerfs.imaged.auth.ClientAccess;
import dev.layerfs.imaged.client.ImagePusher;
import dev.layerfs.imaged.client.ImageRef;
import dev.layerfs.imaged.client.Progress;
import dev.layerfs.imaged.client.PushResult;
import dev.layerfs.imaged.client.RegistryClient;
import dev.layerfs.imaged.client.RegistryException;
import dev.layerfs.imaged.meta.Fence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.util.Optional;

/**
 * The way back from a container to an image: its private branch, whose whiteouts are already
 * the OCI layer convention, pushed as one new layer on top of the image it was made from.
 */
public final class ContainerCommitter {

    private static final Logger log = LoggerFactory.getLogger(ContainerCommitter.class);

    private final Progress progress;
    private final ClientAccess access;

    public ContainerCommitter(Progress progress) {
        this(progress, ClientAccess.NONE);
    }

    /** Pushes with {@code access}'s token and trusted certificates. */
    public ContainerCommitter(Progress progress, ClientAccess access) {
        this.progress = progress;
        this.access = access;
    }

    /**
     * Pushes the container's private branch as a new layer on top of the image it was made from.
     * Only a stopped container: then its union is unmounted, so every write has reached the
     * branch and nothing changes it during the push.
     */
    public PushResult commit(ContainerDir container, ImageRef target, Optional<URI> server) throws IOException {
        ImageRecord record = ImageRecord.read(container);
        if (Lxc.isRunning(container) || MountTable.isMountpoint(container.rootfs())) {
            throw new UserError("container " + container.name() + " is running: stop it first (lxc-stop "
                    + container.lxcpathOption() + "-n " + container.name() + "), so that all its writes are in its branch");
        }
        URI to = server.orElse(record.server());
        // A container with a lease commits under it: refused once another host got the name after this one.
        Optional<Fence> fence = ContainerLeases.of(container, System.getenv())
                .map(leases -> leases.fenceForCommit(HostIdentity.holder(System.getenv())));
        PushResult pushed;
        try {
            pushed = new ImagePusher(new RegistryClient(to, access), progress)
                    .push(container.delta(), target, Optional.of(record.pinned()), fence);
        } catch (RegistryException e) {
            if (e.status() == 409 && fence.isPresent()) {
                throw new UserError("container " + container.name() + " is not committed: the registry refused " + fence.get()
                        + " (" + e.getMessage() + ")", e);
            }
            throw e;
        }
        log.debug("committed container {} as {} ({}) on {}", container.name(), target, pushed.manifestDigest(), record.pinned());
        return pushed;
    }
}
