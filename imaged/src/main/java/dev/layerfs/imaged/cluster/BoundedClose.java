package dev.layerfs.imaged.cluster;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes something on a helper thread and stops waiting after a limit, so that a shutdown ends
 * even when a library's close does not: Ratis's gRPC server waits, without a limit, for every
 * call still open, and a node asked to stop has been seen to wait for minutes on a stream a peer
 * kept open. Giving up is safe where the state is already durable (a Raft log is flushed before
 * anything it holds is acknowledged): the process then ends as if it had crashed.
 */
final class BoundedClose {

    private static final Logger LOG = LoggerFactory.getLogger(BoundedClose.class);

    private BoundedClose() {
    }

    /**
     * Closes {@code c}; true when it finished within {@code limit}, false when this gave up
     * waiting (the close goes on on a daemon thread). A failure of the close is thrown.
     */
    static boolean close(String what, Closeable c, Duration limit) throws IOException {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread closer = new Thread(() -> {
            try {
                c.close();
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, "close " + what);
        closer.setDaemon(true);
        closer.start();
        try {
            done.get(limit.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            LOG.warn("{} did not close within {} s; going on without waiting for it", what, limit.toSeconds());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw (Error) cause; // Closeable.close throws nothing else
        }
    }
}
