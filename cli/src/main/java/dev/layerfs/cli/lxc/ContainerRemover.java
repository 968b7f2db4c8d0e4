package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Removes a container made by layerfs: stops it if it runs, unmounts its union, removes its
 * directory. The union's shared branches (an image's layers, a base named by hand) live outside
 * that directory and are never touched; nothing is deleted while anything is mounted inside it,
 * so a delete can never reach through a union into the branches below.
 */
public final class ContainerRemover {

    private static final Logger log = LoggerFactory.getLogger(ContainerRemover.class);

    public void destroy(ContainerDir container) {
        if (!Files.isRegularFile(container.config())) {
            throw new UserError("no container " + container.name() + " in " + container.lxcpath());
        }
        if (!Files.isRegularFile(container.options())) {
            throw new UserError("container " + container.name() + " in " + container.lxcpath()
                    + " was not made by layerfs (it has no " + container.options().getFileName() + "): use lxc-destroy");
        }
        if (Lxc.isRunning(container)) {
            log.info("stopping container {} (lxc-stop -k)", container.name());
            Lxc.kill(container);
        }
        unmountAll(container);
        releaseLease(container);
        // Out of LXC's sight in one step, then deleted: never a half-deleted container in lxc-ls.
        Path doomed = container.lxcpath().resolve("." + container.name() + ".destroy-" + ProcessHandle.current().pid());
        try {
            Files.move(container.dir(), doomed, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UserError("cannot remove container " + container.name() + " from " + container.lxcpath() + ": " + e.getMessage(), e);
        }
        ContainerWriter.deleteQuietly(doomed);
        if (Files.exists(doomed)) {
            throw new IllegalStateException("container " + container.name() + " is gone from LXC but " + doomed + " could not be fully removed");
        }
        log.debug("destroyed container {} in {}", container.name(), container.lxcpath());
    }

    /**
     * The post-stop hook normally gave the lease back; when the registry could not be reached
     * then, this does it, so that the name is free for another host now rather than after the
     * lease's TTL. Never stops a destroy: a grant not given back lapses by itself.
     */
    private static void releaseLease(ContainerDir container) {
        try {
            ContainerLeases.of(container, System.getenv()).ifPresent(ContainerLeases::release);
        } catch (RuntimeException e) {
            log.warn("container {}: lease not given back ({}): it lapses by itself", container.name(), e.getMessage());
        }
    }

    /** The post-stop hook normally unmounted the union already; a failed stop may not have. */
    private static void unmountAll(ContainerDir container) {
        List<Path> mounts = MountTable.mountsAtOrUnder(container.dir());
        for (int i = mounts.size() - 1; i >= 0; i--) {
            Path mount = mounts.get(i);
            log.info("unmounting {}", mount);
            Lxc.Result r = Lxc.run(List.of("umount", mount.toString()), 60);
            if (r.exit() != 0 && MountTable.isMountpoint(mount)) {
                // A dead FUSE daemon leaves a mount plain umount may refuse; it holds no one's data.
                Lxc.run(List.of("umount", "-l", mount.toString()), 60);
            }
        }
        List<Path> left = MountTable.mountsAtOrUnder(container.dir());
        if (!left.isEmpty()) {
            throw new UserError("container " + container.name() + " still has mounts " + left + "; not removing anything");
        }
    }
}
