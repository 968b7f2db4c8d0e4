package dev.layerfs.mount;

import dev.layerfs.control.ControlServer;
import dev.layerfs.control.LiveBranches;
import dev.layerfs.fuse.LayerFuse;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.sys.Fs;
import dev.layerfs.union.UnionFs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Serves a union in the foreground: from opening the branches to the unmount. */
public final class Mounter {

    private static final Logger LOG = LoggerFactory.getLogger(Mounter.class);

    private Mounter() {
    }

    public static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Mounts {@code mountPoint} and blocks until it is unmounted. */
    public static void serve(Path mountPoint, MountOptions options, boolean debug) {
        Path real = MountCheck.check(mountPoint, options);
        UnionFs union;
        try {
            union = new UnionFs(options.branches(), options.policies());
            union.statfsMode(options.statfs());
            union.cacheDirectories(options.entryTimeout() > MountOptions.REVAL_TIMEOUT); // udba=reval: see direct branch changes
        } catch (ErrnoException e) {
            throw new MountException("cannot open branches " + options.branches().spec() + ": " + e.getMessage(), e);
        }
        Path pidFile = RunFiles.pid(real);
        boolean wire = options.engine() == MountOptions.Engine.WIRE;
        LayerFuse fuse = wire ? null : new LayerFuse(union);
        dev.layerfs.wire.WireMount wireMount = wire
                ? new dev.layerfs.wire.WireMount(real, options, union, runningAsRoot(), debug) : null;
        ControlServer control = null;
        try {
            control = startControl(real, new LiveBranches(union,
                    wire ? wireMount::branchesChanged : fuse::branchesChanged, real));
            Fs.umask(0); // modes arrive from the kernel with the caller's umask applied already
            writePid(pidFile);
            List<String> args = options.fuseArgs(runningAsRoot());
            LOG.info("mounting {} on {} ({})", options.branches().spec(), real, String.join(" ", args));
            try {
                if (wire) {
                    wireMount.serve();
                } else {
                    fuse.serve(real, debug, args.toArray(String[]::new));
                }
            } catch (ru.serce.jnrfuse.FuseException e) {
                throw new MountException("libfuse could not mount " + real, e);
            }
            LOG.info("unmounted {}", real);
        } finally {
            if (control != null) {
                control.close();
            }
            union.close();
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException e) {
                LOG.warn("could not remove {}: {}", pidFile, e.toString());
            }
        }
    }

    /** The control socket for live branch changes; without it the union still serves, its branches fixed. */
    private static ControlServer startControl(Path mountPoint, ControlServer.Handler handler) {
        Path socket = RunFiles.control(mountPoint);
        try {
            return ControlServer.start(socket, handler);
        } catch (IOException e) {
            LOG.warn("no live branch changes for {}: {}", mountPoint, e.getMessage());
            return null;
        }
    }

    private static void writePid(Path pidFile) {
        try {
            Files.createDirectories(pidFile.getParent());
            Files.writeString(pidFile, ProcessHandle.current().pid() + "\n");
        } catch (IOException e) {
            LOG.warn("could not write pid file {}: {}", pidFile, e.toString());
        }
    }
}
