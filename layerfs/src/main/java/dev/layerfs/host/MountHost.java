package dev.layerfs.host;

import dev.layerfs.control.ControlClient;
import dev.layerfs.control.ControlServer;
import dev.layerfs.mount.MountException;
import dev.layerfs.mount.MountOptions;
import dev.layerfs.mount.MountSession;
import dev.layerfs.mount.MountTable;
import dev.layerfs.sys.Fs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One process serving many union mounts (on the wire engine), so that many containers do not
 * mean many JVMs. It listens on a control socket ({@link ControlServer}: the caller must be the
 * host's user or root) for {@link HostRequest}s; each mount runs on its own threads with its own
 * control socket for branch changes, exactly as a daemon's, and is freed when the kernel ends
 * its FUSE session (unmount). The price: a crash of this process takes every mount it serves.
 */
public final class MountHost implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MountHost.class);
    private static final Duration MOUNT_TIMEOUT = Duration.ofSeconds(30);
    /** How long a mount request waits for an earlier session on the same mount point to close. */
    private static final Duration PREVIOUS_SESSION_WAIT = Duration.ofSeconds(10);

    private final Map<Path, HostedMount> mounts = new ConcurrentHashMap<>();
    private final ControlServer server;

    private MountHost(Path socket) throws IOException {
        this.server = ControlServer.startRaw(socket, raw -> answer(HostRequest.decode(raw)));
    }

    /**
     * Starts listening on {@code socket}; MountException if another host answers there already
     * (a socket nobody answers on is stale and replaced).
     */
    public static MountHost start(Path socket) {
        if (Files.exists(socket) && answers(socket)) {
            throw new MountException("a layerfs host is already listening on " + socket);
        }
        Fs.umask(0); // modes arrive from the kernel with the caller's umask applied already
        try {
            MountHost host = new MountHost(socket);
            LOG.info("mount host listening on {}", socket);
            return host;
        } catch (IOException e) {
            throw new MountException(e.getMessage(), e);
        }
    }

    private static boolean answers(Path socket) {
        try {
            ControlClient.exchange(socket, new HostRequest.Status().encode());
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public Path socket() {
        return server.socket();
    }

    /** The mount points served now. */
    public List<Path> mountPoints() {
        return mounts.keySet().stream().sorted().toList();
    }

    private String answer(HostRequest request) {
        if (request instanceof HostRequest.Mount m) {
            return "mounted " + mount(m);
        }
        return status();
    }

    /** Mounts as a daemon would, with its checks and error messages; returns the real mount point. */
    Path mount(HostRequest.Mount request) {
        long started = System.nanoTime();
        MountOptions options = MountOptions.parse(List.of(request.options()), Path.of("/"));
        if (options.engine() != MountOptions.Engine.WIRE) {
            throw new MountException("the mount host serves engine=wire only, not " + options.engine());
        }
        HostedMount previous = mounts.get(request.mountPoint());
        // unmounted, but its session not closed yet (fusermount -u returns before we notice):
        // wait, so that it does not remove the new session's control socket and pid file
        if (previous != null && !MountTable.isMounted(request.mountPoint()) && !previous.awaitEnd(PREVIOUS_SESSION_WAIT)) {
            throw new MountException("mountpoint " + request.mountPoint() + ": the host still serves it"
                    + " (unmounted lazily and busy, or mounted in another mount namespace)");
        }
        MountSession session = MountSession.open(request.mountPoint(), options, request.debug());
        Path real = session.mountPoint();
        HostedMount mount = new HostedMount(session, ended -> {
            mounts.remove(real, ended);
            LOG.info("freed {} ({} mounts left)", real, mounts.size());
        });
        mounts.put(real, mount);
        try {
            mount.start(MOUNT_TIMEOUT); // on failure the session has closed and left the map, or will
        } catch (MountException e) {
            LOG.warn("mount of {} refused: {}", real, e.getMessage());
            throw e;
        }
        LOG.info("serving {} ({} mounts), live {} ms after the request", real, mounts.size(),
                (System.nanoTime() - started) / 1_000_000);
        return real;
    }

    private String status() {
        StringBuilder b = new StringBuilder("layerfs host pid " + ProcessHandle.current().pid() + ", "
                + mounts.size() + " mounts\n");
        mountPoints().forEach(p -> {
            HostedMount m = mounts.get(p);
            if (m != null) {
                b.append(m.describe()).append('\n');
            }
        });
        return b.toString();
    }

    /** Stops listening; the mounts stay served until unmounted (or this process ends). */
    @Override
    public void close() {
        server.close();
    }

    /**
     * As the process ends: stops listening and gives the sessions, which the wire engine's
     * shutdown hooks are unmounting meanwhile, up to {@code grace} to close their unions and
     * remove their control sockets and pid files.
     */
    public void stop(Duration grace) {
        close();
        long deadline = System.nanoTime() + grace.toNanos();
        for (HostedMount m : List.copyOf(mounts.values())) {
            long left = Math.max(0, deadline - System.nanoTime());
            if (!m.awaitEnd(Duration.ofNanos(left))) {
                LOG.warn("{} still in use as the host stops: its control socket and pid file stay", m.mountPoint());
            }
        }
    }
}
