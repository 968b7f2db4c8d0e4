package dev.layerfs.imaged.http;

import dev.layerfs.imaged.ops.Operations;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * In front of the registry's switchboard: times and counts every request for the metrics, answers
 * the operations paths itself ({@link OpsHandler}) and passes everything else on.
 */
public final class OpsRoutes extends Handler.Wrapper {

    private final Operations ops;
    private final OpsHandler handler;

    public OpsRoutes(Operations ops, dev.layerfs.imaged.auth.PeerAccess peers, Handler registry) {
        super(registry);
        this.ops = ops;
        this.handler = new OpsHandler(ops, peers);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        long start = System.nanoTime();
        Callback timed = Callback.from(callback, () -> ops.metrics().request(path, request.getMethod(), response.getStatus(),
                System.nanoTime() - start));
        if (!OpsHandler.handles(path)) {
            return super.handle(request, response, timed);
        }
        Exchange ex = new Exchange(request, response, timed);
        try {
            handler.handle(ex, path);
        } catch (Throwable t) {
            ErrorResponses.send(ex, request.getMethod() + " " + path, t);
        }
        return true;
    }
}
