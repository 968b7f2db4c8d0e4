package dev.layerfs.mount;

import dev.layerfs.control.ControlServer;
import dev.layerfs.control.LiveBranches;
import dev.layerfs.fuse.LayerFuse;
import dev.layerfs.sys.ErrnoException;
import dev.layerfs.union.UnionFs;
import dev.layerfs.wire.WireMount;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One union mount from opening its branches to its unmount: the union, the FUSE engine serving
 * it, its control socket for live branch changes and its pid file. A daemon runs one session in
 * its main thread ({@link Mounter}); the mount host runs many, one thread each.
 */
public final class MountSession implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MountSession.class);

    private final Path mountPoint;
    private final MountOptions options;
    private final UnionFs union;
    private final LayerFuse fuse;
    private final WireMount wire;
    private final ControlServer control;
    private final Path pidFile;
    private final boolean debug;

    private MountSession(Path mountPoint, MountOptions options, UnionFs union, LayerFuse fuse, WireMount wire,
                         ControlServer control, boolean debug) {
        this.mountPoint = mountPoint;
        this.options = options;
        this.union = union;
        this.fuse = fuse;
        this.wire = wire;
        this.control = control;
        this.pidFile = RunFiles.pid(mountPoint);
        this.debug = debug;
    }

    /**
     * Checks the request ({@link MountCheck}), opens the branches and the control socket, and
     * writes the pid file (this process's pid); nothing is mounted until {@link #serve()}.
     */
    public static MountSession open(Path mountPoint, MountOptions options, boolean debug) {
        Path real = MountCheck.check(mountPoint, options);
        UnionFs union;
        try {
            union = new UnionFs(options.branches(), options.policies());
            union.statfsMode(options.statfs());
            union.cacheDirectories(options.entryTimeout() > MountOptions.REVAL_TIMEOUT); // udba=reval: see direct branch changes
        } catch (ErrnoException e) {
            throw new MountException("cannot open branches " + options.branches().spec() + ": " + e.getMessage(), e);
        }
        boolean wire = options.engine() == MountOptions.Engine.WIRE;
        LayerFuse fuse = wire ? null : new LayerFuse(union);
        WireMount wireMount = wire ? new WireMount(real, options, union, Mounter.runningAsRoot(), debug) : null;
        ControlServer control = startControl(real, new LiveBranches(union,
                wire ? wireMount::branchesChanged : fuse::branchesChanged, real));
        MountSession session = new MountSession(real, options, union, fuse, wireMount, control, debug);
        session.writePid();
        return session;
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /** The branches now, in AUFS syntax (they change under live branch edits). */
    public String branches() {
        return union.stack().spec();
    }

    /** Mounts and serves until the file system is unmounted (blocking). */
    public void serve() {
        List<String> args = options.fuseArgs(Mounter.runningAsRoot());
        LOG.info("mounting {} on {} ({})", options.branches().spec(), mountPoint, String.join(" ", args));
        try {
            if (wire != null) {
                wire.serve();
            } else {
                fuse.serve(mountPoint, debug, args.toArray(String[]::new));
            }
        } catch (ru.serce.jnrfuse.FuseException e) {
            throw new MountException("libfuse could not mount " + mountPoint, e);
        }
        LOG.info("unmounted {}", mountPoint);
    }

    /** Closes the control socket and the branches, then removes the pid file: the last sign of the mount. */
    @Override
    public void close() {
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

    private void writePid() {
        try {
            Files.createDirectories(pidFile.getParent());
            Files.writeString(pidFile, ProcessHandle.current().pid() + "\n");
            // the umask may be 0 already (a mount host serving others): nobody else may rewrite it
            Files.setPosixFilePermissions(pidFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException e) {
            LOG.warn("could not write pid file {}: {}", pidFile, e.toString());
        }
    }
}
