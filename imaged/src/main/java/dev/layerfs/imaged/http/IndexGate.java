package dev.layerfs.imaged.http;

import dev.layerfs.imaged.meta.WriteIndex;
import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Read-your-writes across nodes. A response to a request that wrote carries {@code Imaged-Index}:
 * the Raft index its write committed at. A request carrying {@code Imaged-Min-Index: N} is
 * handled once this node has applied entry N (so even a local read sees that write), waiting at
 * most a bounded time; a node still behind then answers 503 UNAVAILABLE saying how far behind it
 * is, and the client may try another node.
 */
public final class IndexGate extends Handler.Wrapper {

    public static final String INDEX_HEADER = "Imaged-Index";
    public static final String MIN_INDEX_HEADER = "Imaged-Min-Index";

    private final String nodeId;
    private final LongSupplier appliedIndex;
    private final long maxWaitMillis;

    public IndexGate(String nodeId, LongSupplier appliedIndex, long maxWaitMillis, Handler next) {
        super(next);
        this.nodeId = nodeId;
        this.appliedIndex = appliedIndex;
        this.maxWaitMillis = maxWaitMillis;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        WriteIndex.clear();
        String wanted = request.getHeaders().get(MIN_INDEX_HEADER);
        if (wanted != null) {
            Exchange ex = new Exchange(request, response, callback);
            try {
                awaitApplied(parse(wanted));
            } catch (RegistryException e) {
                ErrorResponses.send(ex, request.getMethod() + " " + Request.getPathInContext(request), e);
                return true;
            }
        }
        return super.handle(request, response, callback);
    }

    private static long parse(String value) {
        try {
            long n = Long.parseLong(value.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new RegistryException(ErrorCode.NAME_INVALID, 400, MIN_INDEX_HEADER + " '" + value + "' is not a Raft index (a number >= 0)", value);
    }

    private void awaitApplied(long wanted) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxWaitMillis);
        long applied;
        while ((applied = appliedIndex.getAsLong()) < wanted) {
            if (System.nanoTime() >= deadline) {
                throw new RegistryException(ErrorCode.UNAVAILABLE, 503, "node " + nodeId + " has applied index " + applied
                        + ", not yet the requested " + MIN_INDEX_HEADER + " " + wanted + " (waited " + maxWaitMillis
                        + " ms); retry, or read from another node", null);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException(ErrorCode.UNAVAILABLE, 503, "node " + nodeId + " is shutting down", null);
            }
        }
    }
}
