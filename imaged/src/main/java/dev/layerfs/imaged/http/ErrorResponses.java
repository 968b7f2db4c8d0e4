package dev.layerfs.imaged.http;

import dev.layerfs.imaged.oci.RegistryException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become HTTP: a RegistryException becomes its status and the spec's
 * error JSON {@code {"errors":[{"code","message","detail"}]}}; anything else is a 500 logged with
 * its stack trace.
 */
final class ErrorResponses {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponses.class);

    private ErrorResponses() {
    }

    /** The JSON body for one error. */
    static Map<String, Object> body(String code, String message, String detail) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code);
        error.put("message", message);
        if (detail != null) {
            error.put("detail", detail);
        }
        return Map.of("errors", List.of(error));
    }

    static void send(Exchange ex, String where, Throwable failure) {
        if (ex.committed()) {
            LOG.warn("{}: failed after the response started: {}", where, failure.toString());
            ex.fail(failure);
            return;
        }
        if (failure instanceof RegistryException re) {
            LOG.debug("{}: {} {}", where, re.code(), re.getMessage());
            if (re.status() == 416 && re.detail() != null) {
                ex.header("Range", re.detail());
            }
            ex.sendJson(re.status(), body(re.code().name(), re.getMessage(), re.detail()));
            return;
        }
        LOG.error("{}: unexpected failure", where, failure);
        ex.sendJson(500, body("UNKNOWN", "internal error: " + failure, null));
    }

    static void unsupported(Exchange ex, String where) {
        ex.sendJson(405, body("UNSUPPORTED", "method " + ex.method() + " is not supported on " + where, null));
    }

    static void notFound(Exchange ex, String path) {
        ex.sendJson(404, body("NOT_FOUND", "no such endpoint " + path, null));
    }
}
