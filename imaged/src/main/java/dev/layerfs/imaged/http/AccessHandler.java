package dev.layerfs.imaged.http;

import dev.layerfs.imaged.auth.AccessPolicy;
import dev.layerfs.imaged.auth.AccessPolicy.Denial;
import dev.layerfs.imaged.oci.ErrorCode;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gate in front of every route: asks the {@link AccessPolicy} and answers a refused request
 * with 401, the challenges, and the spec's {@code UNAUTHORIZED} error, before any handler sees it,
 * so a refused request changes nothing.
 */
public final class AccessHandler extends Handler.Wrapper {

    private static final Logger LOG = LoggerFactory.getLogger(AccessHandler.class);

    /**
     * Basic first: clients that take the first challenge they know (skopeo, containers/image)
     * then send the token as a Basic password; the Bearer challenge says a bearer token works too.
     */
    static final String BASIC_CHALLENGE = "Basic realm=\"imaged\"";
    static final String BEARER_CHALLENGE = "Bearer realm=\"imaged\"";

    /**
     * A refused request's body is read and dropped up to this size, so a client that sends its
     * body without waiting (no Expect: 100-continue) still reads the 401 instead of a reset
     * connection; a bigger body is not read at all and the connection is closed.
     */
    static final long DRAIN_LIMIT = 1 << 20;

    private final AccessPolicy policy;

    public AccessHandler(AccessPolicy policy, Handler next) {
        super(next);
        this.policy = policy;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        Optional<Denial> denial = policy.check(request.getMethod(), path, request.getHeaders().get(HttpHeader.AUTHORIZATION));
        if (denial.isEmpty()) {
            return super.handle(request, response, callback);
        }
        LOG.debug("refused {} {} from {}: {}", request.getMethod(), path, Request.getRemoteAddr(request), denial.get().message());
        if (!drained(request)) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
        response.getHeaders().put("Docker-Distribution-API-Version", "registry/2.0");
        response.getHeaders().add(HttpHeader.WWW_AUTHENTICATE, BASIC_CHALLENGE);
        response.getHeaders().add(HttpHeader.WWW_AUTHENTICATE, BEARER_CHALLENGE);
        new Exchange(request, response, callback).sendJson(ErrorCode.UNAUTHORIZED.status(),
                ErrorResponses.body(ErrorCode.UNAUTHORIZED.name(), denial.get().message(), null));
        return true;
    }

    private static boolean drained(Request request) {
        long declared = request.getLength();
        if (declared == 0) {
            return true;
        }
        if (declared > DRAIN_LIMIT) {
            return false;
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] buf = new byte[8192];
            long total = 0;
            int n;
            while ((n = in.read(buf)) >= 0) {
                total += n;
                if (total > DRAIN_LIMIT) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
