package dev.layerfs.host;

import dev.layerfs.mount.MountException;
import dev.layerfs.mount.MountSession;
import dev.layerfs.mount.MountTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One union the host serves: its session runs on a thread of its own from the mount until the
 * kernel ends the FUSE session (unmount), then closes and tells the host it is gone.
 */
final class HostedMount {

    private static final Logger LOG = LoggerFactory.getLogger(HostedMount.class);

    private final MountSession session;
    private final Instant since = Instant.now();
    private final Thread thread;
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();

    /** {@code session}, to be served once started; {@code onEnd} gets it back when it is over. */
    HostedMount(MountSession session, Consumer<HostedMount> onEnd) {
        this.session = session;
        this.thread = new Thread(() -> run(() -> onEnd.accept(this)), "layerfs-host-" + session.mountPoint());
        this.thread.setDaemon(true);
    }

    /**
     * Starts serving and returns once the mount is live; MountException (the same a daemon
     * would have ended with) if it failed first.
     */
    void start(Duration timeout) {
        thread.start();
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 1;
        while (!MountTable.isMounted(session.mountPoint())) {
            if (!thread.isAlive()) {
                awaitEnd(Duration.ofSeconds(1));
                RuntimeException e = failure.get();
                throw e instanceof MountException me ? me
                        : new MountException("mount of " + session.mountPoint() + " ended at once"
                        + (e == null ? "" : ": " + e), e);
            }
            if (System.nanoTime() > deadline) {
                throw new MountException("mount of " + session.mountPoint() + " not live after "
                        + timeout.toSeconds() + " s");
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MountException("interrupted while mounting " + session.mountPoint());
            }
            pause = Math.min(pause * 2, 20);
        }
    }

    private void run(Runnable onEnd) {
        try (session) {
            session.serve();
        } catch (RuntimeException e) {
            failure.set(e);
            LOG.warn("mount of {} failed: {}", session.mountPoint(), e.getMessage());
        } finally {
            onEnd.run();
        }
    }

    Path mountPoint() {
        return session.mountPoint();
    }

    /** Whether the session ended (and was closed) within {@code timeout}. */
    boolean awaitEnd(Duration timeout) {
        try {
            thread.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }

    /** One line of {@code layerfs host status}: mount point, branches, since when. */
    String describe() {
        String line = session.mountPoint() + "\tdirs=" + session.branches() + "\tsince " + since;
        // still served but no longer in our mount table: a copy in another mount namespace, or lazily unmounted and busy
        return MountTable.isMounted(session.mountPoint()) ? line : line + "\t(detached: still in use elsewhere)";
    }
}
